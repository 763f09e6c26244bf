// The FinOps monitor on a real system: budget thresholds crossed once per period and a ±3σ daily cost
// anomaly, both sealed through the pipeline as the monitor's service identity, re-runs writing nothing;
// then GET /v1/finops/budget answering them with the month's spend.
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
import { shapeDifferences } from '../../test/answer-shape.js';
import { ANSWER_EXAMPLES } from './openapi-examples.js';

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
  tokens['auditor'] = await issueDevelopmentToken(secret, config.right.jwt, { subject: 'audrey', tenant: 'acme', roles: ['auditor'], region: 'us-east' }, Math.floor(Date.now() / 1000));
  tokens['globex'] = await issueDevelopmentToken(secret, config.right.jwt, { subject: 'gina', tenant: 'globex', roles: ['admin'], region: 'us-east' }, Math.floor(Date.now() / 1000));
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

test('GET /v1/finops/budget: the budget, a month\'s spend against it, its thresholds crossed and anomalies; problems for bad input', async () => {
  const get = async (path: string, who = 'admin') => {
    const res = await system.app.request(path, { headers: { authorization: `Bearer ${tokens[who]}` } });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
  };
  // March 2026 (after the monitor ran above): 1.2 (api, Mar 1) + 35 (worker, Mar 1) + 10 (api, Mar 2) of 50 USD.
  const march = await get('/v1/finops/budget?period=2026-03');
  assert.is(march.status, 200, JSON.stringify(march.body));
  assert.equal(
    [march.body.tenant, march.body.period, march.body.from, march.body.to, march.body.budget, march.body.spent, march.body.share],
    ['acme', '2026-03', '2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z', { amount: '50', currency: 'USD' }, '46.2', '92.4'],
  );
  assert.equal(march.body.thresholdsCrossed.map((t: { threshold: number; spent: string; budget: string }) => [t.threshold, t.spent, t.budget]), [[75, '46.2', '50'], [90, '46.2', '50']]);
  assert.match(march.body.thresholdsCrossed[0].eventId, /^[0-9a-f-]{36}$/);
  assert.match(march.body.thresholdsCrossed[0].recordedAt, /^\d{4}-\d{2}-\d{2}T/);
  assert.equal(shapeDifferences(ANSWER_EXAMPLES['GET /v1/finops/budget'], march.body), [], 'the OpenAPI example has this shape');
  assert.equal(march.body.anomalies.map((a: { day: string; service: string; cost: string; direction: string }) => [a.day, a.service, a.cost, a.direction]), [['2026-03-02', 'api', '10', 'above']]);
  // February: the whole month's spend (Feb 2-28: 14 days of 1 and 13 of 1.2 USD), nothing crossed, no anomaly.
  const february = await get('/v1/finops/budget?period=2026-02');
  assert.equal([february.body.spent, february.body.share, february.body.thresholdsCrossed, february.body.anomalies], ['29.6', '59.2', [], []]);
  // By default the current month: no usage yet, so nothing spent.
  const now = await get('/v1/finops/budget');
  assert.equal([now.body.period, now.body.spent, now.body.share], [new Date().toISOString().slice(0, 7), '0', '0']);

  // An auditor reads it too; another tenant has no budget (and sees nothing of acme's).
  assert.equal((await get('/v1/finops/budget?period=2026-03', 'auditor')).body.spent, '46.2');
  const other = await get('/v1/finops/budget?period=2026-03', 'globex');
  assert.equal([other.status, other.body.tenant, other.body.budget, other.body.spent, other.body.share, other.body.thresholdsCrossed, other.body.anomalies], [200, 'globex', null, null, null, [], []]);
  // Bad input: RFC 9457 problems, never a 500.
  for (const [path, error] of [
    ['/v1/finops/budget?period=2026-13', /^period: /],
    ['/v1/finops/budget?period=March', /^period: /],
    ['/v1/finops/budget?period=2299-01', /^period: 2299-01 is after /],
    ['/v1/finops/budget?tenant=globex', /^tenant: /],
  ] as const) {
    const r = await get(path);
    assert.is(r.status, 400, path);
    assert.is(r.type, 'application/problem+json', path);
    assert.match(r.body.errors[0], error, path);
  }
});

test.run();
