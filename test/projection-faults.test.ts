// An event no read store can hold, written straight to the log, in a running system: the other tenants'
// read models stay current, the fault is recorded, /metrics counts it, /readyz is not ready and names it
// (without its error text, which may quote tenant data), and an acknowledgement makes it ready again.
// On PGlite always, and on the PostgreSQL server when DATABASE_URL is set (log and read models there).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { issueDevelopmentToken } from '../adapters/auth/jwt.js';
import type { ClickHouseStore } from '../adapters/analytics-store/clickhouse/index.js';
import { dropSchema } from '../adapters/read-store/postgres/database.js';
import { openPostgresEventLog, type PostgresEventLog } from '../adapters/event-log/postgres/index.js';
import { openSystem, type System } from '../bin/system.js';
import { TEST_SEED } from './test-events.js';
import { acknowledgeFaults, listFaults } from '../projections/index.js';
import { loadConfig } from '../schemas/config.js';
import { openTestAnalytics } from './analytics.js';
import { JWT_SECRET } from './api-harness.js';
import { appendImpossibleDate } from './unappliable-event.js';

interface Bed {
  readonly system: System;
  readonly log: PostgresEventLog;
  token(tenant: string): Promise<string>;
  close(): Promise<void>;
}

async function openBed(url: string | undefined): Promise<Bed> {
  const schema = url === undefined ? 'companyos' : `faults_${randomBytes(4).toString('hex')}`;
  const log = await openPostgresEventLog(url === undefined ? { schema } : { url, schema });
  const analytics: ClickHouseStore = await openTestAnalytics();
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-faults-'));
  const config = loadConfig({ COMPANYOS_DATA_DIR: dataDir, COMPANYOS_SIGNING_KEY: Buffer.from(TEST_SEED).toString('base64'), COMPANYOS_JWT_SECRET: JWT_SECRET });
  if (isLeft(config)) throw new Error(config.left.join('; '));
  const system = await openSystem(config.right, { log, analytics });
  const secret = new TextEncoder().encode(JWT_SECRET);
  return {
    system,
    log,
    token: (tenant) => issueDevelopmentToken(secret, config.right.jwt, { subject: `user:${tenant}`, tenant, roles: ['editor'], region: 'us-east' }, Math.floor(Date.now() / 1000)),
    async close() {
      await system.close();
      await analytics.close();
      if (url !== undefined) await dropSchema(log.database, schema);
      await log.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 20_000; !(await check()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function faultSuite(name: string, url: string | undefined) {
  const test = suite<{ bed: Bed }>(name, {} as { bed: Bed });
  test.before.each(async (ctx) => {
    ctx.bed = await openBed(url);
  });
  test.after.each(async (ctx) => {
    await ctx.bed.close();
  });

  test('other tenants stay current; the fault is recorded, counted in /metrics, named by /readyz until acknowledged', async ({ bed }) => {
    const { system } = bed;
    const call = async (method: string, path: string, tenant?: string, body?: unknown) => {
      const headers: Record<string, string> = tenant === undefined ? {} : { authorization: `Bearer ${await bed.token(tenant)}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await system.app.request(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await res.text();
      return { status: res.status, text, json: () => JSON.parse(text) as any };
    };
    const upsert = async (tenant: string, id: string) => {
      const r = await call('POST', '/v1/commands/graph.node.upsert', tenant, {
        id,
        type: 'Service',
        region: 'us-east',
        attributes: { tenant },
        provenance: { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' },
      });
      assert.is(r.status, 201, r.text);
      return BigInt(r.json().position as string);
    };
    const projectors = system.startProjectors({ headPollMs: 20, retryDelayMs: 20, onError: () => {} });
    const graph = projectors.find((p) => p.name === 'graph')!;

    await upsert('acme', 'svc:first');
    const bad = await appendImpossibleDate(bed.log, 'acme', 'svc:bad');
    await upsert('beta', 'svc:b');
    const last = await upsert('acme', 'svc:after');
    // On a shared server a commit becomes readable once older transactions end: a generous wait.
    assert.ok(await graph.waitFor(last, 30_000), 'the graph projection moved past the event');

    // Other tenants' read models (and the same tenant's later events) are current.
    assert.is((await call('GET', '/v1/graph/nodes/svc:b', 'beta')).status, 200);
    assert.is((await call('GET', '/v1/graph/nodes/svc:after', 'acme')).status, 200);
    assert.is((await call('GET', '/v1/graph/nodes/svc:bad', 'acme')).status, 404);

    const store = system.readStore;
    // The projections that read it skip it: the graph, and the audit index and the tenant trees (every event).
    const audit = projectors.find((p) => p.name === 'audit')!;
    assert.ok(await audit.waitFor(last, 30_000));
    assert.ok(await projectors.find((p) => p.name === 'tree')!.waitFor(last, 30_000));
    const faults = await store.withSession((s) => listFaults(s, store.schema));
    assert.equal(
      faults.map((f) => [f.projection, f.position, f.eventId, f.tenant, f.eventType]),
      ['audit', 'graph', 'tree'].map((p) => [p, bad.position, bad.id, 'acme', 'graph.node.upserted']),
    );

    await until('the faults in /metrics', async () => {
      const text = (await call('GET', '/metrics')).text;
      return text.includes('companyos_projection_faults{projection="graph"} 1') && text.includes('companyos_projection_faults{projection="audit"} 1');
    });
    assert.match((await call('GET', '/metrics')).text, /companyos_projection_faults\{projection="runs"\} 0/);

    const ready = await call('GET', '/readyz');
    assert.is(ready.status, 503);
    const body = ready.json();
    assert.is(body.status, 'not ready');
    for (const p of ['graph', 'audit']) {
      assert.ok((body.waiting as string[]).includes(`projection ${p} (fault: event ${bad.id} at position ${bad.position} skipped)`), JSON.stringify(body.waiting));
    }
    assert.is(body.projections.find((p: { name: string }) => p.name === 'graph').faults, 1);
    assert.not.match(ready.text, /2026-02-30|out of range|malformed/, 'no error text on the unauthenticated endpoint');

    // An operator acknowledges it: ready again (the event stays skipped), the gauge back to 0.
    assert.is(await store.withSession((s) => acknowledgeFaults(s, store.schema, 'graph', bad.position)), 1);
    await until('the graph fault gone from /readyz', async () => !(await call('GET', '/readyz')).text.includes('projection graph (fault'));
    assert.is((await call('GET', '/readyz')).status, 503, 'the audit and tree faults still hold readiness back');
    assert.is(await store.withSession((s) => acknowledgeFaults(s, store.schema, 'audit')), 1);
    assert.is(await store.withSession((s) => acknowledgeFaults(s, store.schema, 'tree')), 1);
    await until('ready after the acknowledgements', async () => (await call('GET', '/readyz')).status === 200);
    assert.match((await call('GET', '/metrics')).text, /companyos_projection_faults\{projection="graph"\} 0/);
    assert.is((await call('GET', '/v1/graph/nodes/svc:bad', 'acme')).status, 404);
  });

  return test;
}

faultSuite('projection faults (PGlite)', undefined).run();
const url = process.env['DATABASE_URL'];
if (url !== undefined) faultSuite('projection faults (PostgreSQL)', url).run();
else console.log('skipped: projection faults on PostgreSQL (DATABASE_URL not set)');
