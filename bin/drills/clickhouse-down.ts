// Drill `clickhouse-down`: a whole system in this process on a throwaway embedded stack (PGlite log, chDB
// analytics store, both in a temporary directory), its ClickHouse made unreachable for `seconds` by the
// refused-connection double under the real connection guard (test/analytics-outage.ts) while 4 writers
// go on. Detect: the first audit read answered 503. Recover: from ClickHouse's return to the audit index
// answering again with the audit projector at the log's head. Found: acknowledged writes in the audit
// index exactly once (those of the outage included).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { issueDevelopmentToken } from '../../adapters/auth/jwt.js';
import { AUDIT_TABLE, openClickHouse } from '../../adapters/analytics-store/clickhouse/index.js';
import { loadConfig } from '../../schemas/config.js';
import type { DrillOutcome } from '../../schemas/drill.js';
import { analyticsOutage } from '../../test/analytics-outage.js';
import { openSystem } from '../system.js';
import { startLoad } from './load.js';
import { settle, until } from './wait.js';

export async function runClickHouseDown(seconds: number, say: (line: string) => void): Promise<DrillOutcome> {
  const startedAt = new Date().toISOString();
  const dir = await mkdtemp(join(tmpdir(), 'companyos-drill-'));
  try {
    say('clickhouse-down: opening a system on embedded PGlite and chDB in a temporary directory');
    const secret = randomBytes(32).toString('base64url');
    const config = loadConfig({ COMPANYOS_DATA_DIR: join(dir, 'data'), COMPANYOS_JWT_SECRET: secret });
    if (isLeft(config)) throw new Error(config.left.join('; '));
    const analytics = await openClickHouse({ path: join(dir, 'chdb'), database: 'drill' });
    const outage = analyticsOutage(analytics);
    const system = await openSystem(config.right, { analytics: outage.store });
    try {
      const audit = system.startProjectors({ headPollMs: 100, onError: () => {} }).find((p) => p.name === 'audit')!;
      const token = await issueDevelopmentToken(new TextEncoder().encode(secret), config.right.jwt, { tenant: 'drill', roles: ['admin'], region: 'us-east', subject: 'drill-admin' }, Math.floor(Date.now() / 1000));
      const send = async (path: string, init: RequestInit) => system.app.request(path, init);
      const read = async () => (await send('/v1/audit/events?limit=1', { headers: { authorization: `Bearer ${token}` } })).status;
      const load = startLoad(send, token, 4, 'ch', 20);
      const t = load.tally;
      await until('20 writes acknowledged', () => t.acked.length >= 20, 120_000);
      const head0 = (await system.log.headPosition())!;
      await until('the audit index caught up', () => audit.waitFor(head0, 1000), 120_000);
      say(`clickhouse-down: ${t.acked.length} writes acknowledged and in the audit index; ClickHouse unreachable for ${seconds} s`);
      outage.down();
      const began = performance.now();
      let detectMs: number | null = null;
      const readsWhileDown: number[] = [];
      while (performance.now() - began < seconds * 1000) {
        const status = await read();
        readsWhileDown.push(status);
        if (status === 503 && detectMs === null) detectMs = Math.round(performance.now() - began);
        await settle(100);
      }
      const ackedWhileDown = t.ackedAt.filter((at) => at >= began).length;
      const lagWhileDown = audit.status().checkpoint;
      outage.up();
      const ended = performance.now();
      say(`clickhouse-down: ClickHouse back after ${((ended - began) / 1000).toFixed(1)} s; waiting for the audit index`);
      const headAtReturn = (await system.log.headPosition())!;
      await until('the audit index answering, caught up', async () => (await read()) === 200 && (await audit.waitFor(headAtReturn, 1000)), 120_000);
      const recoverMs = Math.round(performance.now() - ended);
      await load.stop();
      const head = (await system.log.headPosition())!;
      await until('the audit projector at the head', () => audit.waitFor(head, 1000), 120_000);
      const rows = await analytics.query<{ resource: string; n: string }>(
        `SELECT resource, count() AS n FROM ${AUDIT_TABLE} FINAL WHERE tenant = 'drill' AND action = 'graph.node.upserted' GROUP BY resource`,
      );
      const counts = new Map(rows.map((r) => [r.resource.slice('drill/graph.node/'.length), Number(r.n)]));
      const found = t.acked.filter((id) => counts.get(id) === 1).length;
      const duplicated = [...counts.values()].filter((n) => n > 1).length;
      const faults = audit.status().faults.length;
      const writesClean = t.unavailableAt.length === 0 && t.transport === 0 && t.other.size === 0;
      const readsClean = readsWhileDown.every((s) => s === 503 || s === 200);
      return {
        drill: 'clickhouse-down',
        result: detectMs !== null && found === t.acked.length && duplicated === 0 && faults === 0 && writesClean && readsClean ? 'passed' : 'failed',
        startedAt,
        endedAt: new Date().toISOString(),
        faultMs: Math.round(ended - began),
        detectMs,
        recoverMs,
        acknowledged: t.acked.length,
        found,
        duplicated,
        summary:
          `ClickHouse unreachable for ${((ended - began) / 1000).toFixed(1)} s under 4 writers: ${ackedWhileDown} writes acknowledged meanwhile (no write refused: ${writesClean}); ` +
          `audit reads ${readsWhileDown.filter((s) => s === 503).length} × 503 of ${readsWhileDown.length}; the audit projector waited at ${lagWhileDown ?? '-'} ` +
          `(${outage.refused} refused calls, ${faults} projection faults) and caught up to ${headAtReturn}`,
      };
    } finally {
      await system.close();
      await analytics.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
