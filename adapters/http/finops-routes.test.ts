// The FinOps monitor on a real system: budget thresholds crossed once per period and a ±3σ daily cost
// anomaly, both sealed through the pipeline as the monitor's service identity, re-runs writing nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import { issueDevelopmentToken } from '../auth/jwt.js';
import type { ClickHouseStore } from '../analytics-store/clickhouse/index.js';
import { evaluateFinops } from '../../commands/finops-monitor.js';
import { openSystem, type System } from '../../bin/system.js';
import { CostQueries } from '../../projections/costs/cost-queries.js';
import { TEST_SEED } from '../../test/test-events.js';
import { loadConfig } from '../../schemas/config.js';
import { openTestAnalytics } from '../../test/analytics.js';
import { JWT_SECRET } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';

let system: System;
let testLog: TestLog;
let analytics: ClickHouseStore;
let dataDir: string;
const tokens: Record<string, string> = {};

const post = async (path: string, who: string, body: unknown) => {
  const res = await system.app.request(path, { method: 'POST', headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
};

const test = suite('FinOps monitor: budgets and anomalies');

test.before(async () => {
  testLog = await openMemoryLog();
  analytics = await openTestAnalytics();
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-finops-'));
  const config = loadConfig({ COMPANYOS_DATA_DIR: dataDir, COMPANYOS_SIGNING_KEY: Buffer.from(TEST_SEED).toString('base64'), COMPANYOS_JWT_SECRET: JWT_SECRET });
  if (isLeft(config)) throw new Error(config.left.join('; '));
  system = await openSystem(config.right, { log: testLog.log, analytics });
  system.startProjectors({ headPollMs: 50, retryDelayMs: 50 });
  const secret = new TextEncoder().encode(JWT_SECRET);
  tokens['admin'] = await issueDevelopmentToken(secret, config.right.jwt, { subject: 'ada', tenant: 'acme', roles: ['admin'], region: 'us-east' }, Math.floor(Date.now() / 1000));
  tokens['service'] = await issueDevelopmentToken(secret, config.right.jwt, { subject: 'svc', tenant: 'acme', roles: ['service'], region: 'us-east' }, Math.floor(Date.now() / 1000));
});

test.after(async () => {
  await system?.close();
  await analytics?.close();
  await testLog?.close();
  await rm(dataDir, { recursive: true, force: true });
});

test('thresholds once per period; a 10x day is an anomaly; re-runs write nothing', async () => {
  const cmd = (type: string, data: object) => post(`/v1/commands/${type}`, 'admin', { region: 'us-east', ...data });
  assert.is((await cmd('pricing.price.set', { meter: 'compute', unit: 'h', currency: 'USD', unitPrice: '1', effectiveFrom: '2026-01-01T00:00:00Z' })).status, 201);
  assert.is((await cmd('finops.budget.set', { amount: '50', currency: 'USD' })).status, 201);
  // 28 days of 1 or 1.2 USD (Feb 2 – Mar 1), then 10 USD on Mar 2; March to date: 10 + 1.2·(Mar 1) = 46 USD of 50 → 90% crossed.
  const records = [];
  for (let i = 0; i < 28; i++) {
    const ts = new Date(Date.UTC(2026, 1, 2 + i, 12)).toISOString();
    records.push({ eventId: `d${i}`, service: 'api', team: 't', meter: 'compute', unit: 'h', quantity: i % 2 ? '1.2' : '1', ts });
  }
  records.push({ eventId: 'spike', service: 'api', team: 't', meter: 'compute', unit: 'h', quantity: '10', ts: '2026-03-02T12:00:00Z' });
  records.push({ eventId: 'more', service: 'worker', team: 't', meter: 'compute', unit: 'h', quantity: '35', ts: '2026-03-01T12:00:00Z' });
  assert.is((await post('/v1/metering/events', 'service', { records })).status, 200);
  const head = await system.log.headPosition();
  assert.ok(await system.projectors().find((p) => p.name === 'costs')!.waitFor(head!, 30_000));

  const deps = {
    pipeline: system.pipeline,
    costs: new CostQueries(async () => analytics),
    log: system.log,
    clock: () => new Date('2026-03-03T06:00:00Z'),
    tenants: async () => ['acme'],
    regionOf: async () => 'us-east',
  };
  const first = await evaluateFinops(deps);
  assert.equal(first.map((f) => [f.command, f.outcome]), [
    ['finops.budget.threshold.record', 'appended'],
    ['finops.budget.threshold.record', 'appended'],
    ['finops.anomaly.record', 'appended'],
  ]);
  const second = await evaluateFinops(deps);
  assert.ok(second.every((f) => f.outcome !== 'appended' && f.outcome !== 'failed'), JSON.stringify(second));
  const events = await system.log.readAll();
  const crossed = events.filter((e) => e.type === 'finops.budget.threshold.crossed');
  assert.equal(crossed.map((e) => (e.data as { threshold: number }).threshold), [75, 90]);
  const anomaly = events.filter((e) => e.type === 'finops.anomaly.detected');
  assert.is(anomaly.length, 1);
  assert.equal((anomaly[0]!.data as Record<string, string>)['service'], 'api');
  assert.equal((anomaly[0]!.data as Record<string, string>)['direction'], 'above');
  assert.equal((anomaly[0]!.metadata as { meta: { actor: { id: string } } }).meta.actor.id, 'companyos-finops-monitor');
});

test.run();
