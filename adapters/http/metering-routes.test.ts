// POST /v1/metering/events and GET /v1/finops/costs on a real embedded log, projectors and chDB: the
// fixture's batches (duplicates, late records, a late price) through HTTP reproduce every expected figure.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import { issueDevelopmentToken } from '../auth/jwt.js';
import type { ClickHouseStore } from '../analytics-store/clickhouse/index.js';
import { openSystem, type System } from '../../bin/system.js';
import { TEST_SEED } from '../../test/test-events.js';
import { loadConfig } from '../../schemas/config.js';
import { openTestAnalytics } from '../../test/analytics.js';
import { JWT_SECRET } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';

const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/finops/march.json', import.meta.url), 'utf8'));
let system: System;
let testLog: TestLog;
let analytics: ClickHouseStore;
let dataDir: string;
const tokens: Record<string, string> = {};

async function call(method: string, path: string, who: string, body?: unknown, raw?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${tokens[who]}` };
  if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
  const res = await system.app.request(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : raw !== undefined ? { body: raw } : {}) });
  const text = await res.text();
  return { status: res.status, text, body: text.startsWith('{') ? JSON.parse(text) : text };
}

async function settle(): Promise<void> {
  const head = await system.log.headPosition();
  const costs = system.projectors().find((p) => p.name === 'costs');
  assert.ok(costs, 'the cost projector runs');
  if (head !== undefined) assert.ok(await costs.waitFor(head, 30_000), 'cost projector caught up');
}

const command = async (type: string, data: object) => {
  const r = await call('POST', `/v1/commands/${type}`, 'admin', { region: 'us-east', ...data });
  assert.ok(r.status === 201 || r.status === 200, r.text);
};

const test = suite('HTTP: metering ingest and costs');

test.before(async () => {
  testLog = await openMemoryLog();
  analytics = await openTestAnalytics();
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-metering-api-'));
  const config = loadConfig({ COMPANYOS_DATA_DIR: dataDir, COMPANYOS_SIGNING_KEY: Buffer.from(TEST_SEED).toString('base64'), COMPANYOS_JWT_SECRET: JWT_SECRET });
  if (isLeft(config)) throw new Error(config.left.join('; '));
  system = await openSystem(config.right, { log: testLog.log, analytics });
  system.startProjectors({ headPollMs: 50, retryDelayMs: 50, onError: (e) => console.error('projector:', e) });
  const secret = new TextEncoder().encode(JWT_SECRET);
  const as = (subject: string, tenant: string, roles: ('admin' | 'service' | 'viewer' | 'editor')[]) =>
    issueDevelopmentToken(secret, config.right.jwt, { subject, tenant, roles, region: 'us-east' }, Math.floor(Date.now() / 1000));
  Object.assign(tokens, {
    admin: await as('ada', 'acme', ['admin']),
    service: await as('svc-meter', 'acme', ['service']),
    viewer: await as('victor', 'acme', ['viewer']),
    editor: await as('alice', 'acme', ['editor']),
    globex: await as('gus', 'globex', ['service']),
  });
});

test.after(async () => {
  await system?.close();
  await analytics?.close();
  await testLog?.close();
  await rm(dataDir, { recursive: true, force: true });
});

test('the fixture through HTTP: batches, duplicates answered per record, a late price, exact costs', async () => {
  for (const p of fixture.pricesBefore) await command('pricing.price.set', p);
  await command('pricing.tag-rule.set', fixture.tagRules);
  for (const s of fixture.sharedCosts) await command('pricing.shared-cost.set', s);
  const answers = [];
  for (const records of fixture.batches) {
    const r = await call('POST', '/v1/metering/events', 'service', { records });
    assert.is(r.status, 200, r.text);
    answers.push(r.body);
  }
  assert.equal(answers.map((a) => [a.accepted, a.duplicates, a.rejected]), [[3, 0, 0], [3, 0, 0], [1, 1, 0]]);
  assert.equal(answers[2].results.map((x: { status: string }) => x.status), ['duplicate', 'accepted']);
  assert.match(answers[0].batch.stream, /^acme\/metering\/0$/);
  // The whole first batch again: nothing new, no event.
  const before = (await testLog.log.readAll()).length;
  const again = await call('POST', '/v1/metering/events', 'service', { records: fixture.batches[0] });
  assert.is(again.status, 200, again.text);
  assert.equal([again.body.accepted, again.body.duplicates, again.body.batch], [0, 3, undefined]);
  assert.is((await testLog.log.readAll()).length, before);
  for (const p of fixture.pricesAfter) await command('pricing.price.set', p);
  await settle();

  for (const d of ['service', 'team', 'meter', 'day', 'tag:environment']) {
    const r = await call('GET', `/v1/finops/costs?groupBy=${d}&from=2026-03-01&to=2026-04-01`, 'viewer');
    assert.is(r.status, 200, r.text);
    assert.equal(Object.fromEntries(r.body.rows.map((x: { group: Record<string, string>; cost: string }) => [x.group[d], x.cost])), fixture.expected[d]);
  }
  const all = await call('GET', '/v1/finops/costs?groupBy=service,meter&from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z', 'viewer');
  assert.equal(all.body.totals, [{ currency: 'USD', cost: fixture.expected.total }]);
  assert.equal(Object.fromEntries(all.body.shared[0].shares.map((s: { service: string; amount: string }) => [s.service, s.amount])), fixture.expected.shared);
  const other = await call('GET', '/v1/finops/costs?groupBy=service&from=2026-03-01&to=2026-04-01', 'globex');
  assert.equal(other.body.rows, []);
});

test('invalid records are answered per record; the valid ones are kept', async () => {
  const records = [
    { eventId: 'v1', service: 'api', team: 't', meter: 'compute', quantity: '1', unit: 'vcpu-hour', ts: '2026-03-20T00:00:00Z' },
    { eventId: 'v2', service: 'api', team: 't', meter: 'compute', quantity: '-1', unit: 'vcpu-hour' },
    { eventId: 'v3', service: 'api', team: 't', meter: 'compute', quantity: 1e-7, unit: 'vcpu-hour', ts: '2026-03-20T00:00:00Z', colour: 'red' },
  ];
  const r = await call('POST', '/v1/metering/events', 'service', { records });
  assert.is(r.status, 200, r.text);
  assert.equal([r.body.accepted, r.body.rejected], [1, 2]);
  const [, bad, worse] = r.body.results;
  assert.equal([bad.index, bad.eventId, bad.status], [1, 'v2', 'rejected']);
  assert.ok(bad.errors.some((e: string) => e.startsWith('records[1].quantity:')), bad.errors.join('\n'));
  assert.ok(bad.errors.some((e: string) => e.startsWith('records[1].ts: missing')), bad.errors.join('\n'));
  assert.ok(worse.errors.some((e: string) => e === 'records[2].colour: unknown field'), worse.errors.join('\n'));
  assert.ok(worse.errors.some((e: string) => e.startsWith('records[2].quantity:')), worse.errors.join('\n'));
});

test('concurrent batches sharing ids: each id accepted exactly once, one segment per accepting batch, in order', async () => {
  const record = (id: string) => ({ eventId: id, service: 'api', team: 't', meter: 'compute', quantity: '1', unit: 'vcpu-hour', ts: '2026-03-21T00:00:00Z' });
  // Five batches at once; c-shared-* are in every one of them.
  const batches = Array.from({ length: 5 }, (_, b) => [...Array.from({ length: 4 }, (_, i) => record(`c-${b}-${i}`)), record('c-shared-1'), record('c-shared-2')]);
  const answers = await Promise.all(batches.map((records) => call('POST', '/v1/metering/events', 'service', { records })));
  for (const a of answers) assert.is(a.status, 200, a.text);
  const acceptedIds = answers.flatMap((a) => a.body.results.filter((x: { status: string }) => x.status === 'accepted').map((x: { eventId: string }) => x.eventId));
  assert.is(acceptedIds.length, new Set(acceptedIds).size, 'no id accepted twice');
  assert.equal(new Set(acceptedIds), new Set(batches.flat().map((r) => r.eventId)), 'every id accepted once');
  const segments = answers.map((a) => a.body.batch.segment as number).sort((x, y) => x - y);
  assert.equal(segments, segments.map((_, i) => segments[0]! + i), 'consecutive segments');
});

test('bad bodies and bad queries are RFC 9457 problems naming the field; roles are checked', async () => {
  const none = await call('POST', '/v1/metering/events', 'service', { records: [{ eventId: 'x' }] });
  assert.is(none.status, 422);
  assert.ok(none.body.errors.some((e: string) => e.startsWith('records[0].service: missing')));
  const empty = await call('POST', '/v1/metering/events', 'service', { records: [] });
  assert.is(empty.status, 400);
  assert.match(empty.body.detail, /^records:/);
  const huge = await call('POST', '/v1/metering/events', 'service', { records: Array.from({ length: 10_001 }, () => ({})) });
  assert.is(huge.status, 400);
  const json = await call('POST', '/v1/metering/events', 'service', undefined, '{"records": [');
  assert.equal([json.status, json.body.code], [400, 'malformed-json']);
  const viewer = await call('POST', '/v1/metering/events', 'viewer', { records: fixture.batches[0] });
  assert.equal([viewer.status, viewer.body.code], [403, 'forbidden']);
  const bad = await call('GET', '/v1/finops/costs?groupBy=service,colour&from=yesterday', 'viewer');
  assert.is(bad.status, 400);
  assert.ok(bad.body.errors.some((e: string) => e.startsWith('groupBy: unknown dimension "colour"')));
  assert.ok(bad.body.errors.some((e: string) => e.startsWith('from: expected')));
  assert.ok(bad.body.errors.some((e: string) => e.startsWith('to: missing')));
});

test.run();
