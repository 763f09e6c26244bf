// Specifications of the strict input grammar at the HTTP door: what a read store cannot hold (impossible
// dates, years outside the stores' range, NUL, lone surrogates, `__proto__` keys, 10,000-deep JSON,
// positions beyond 64 bits) is a 400 problem, nothing is appended, and the read models keep projecting.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import type { ApiResponse } from '../../test/api-harness.js';
import { openReadModelBed, type ReadModelBed } from '../../test/read-model-bed.js';
import { githubSignature } from '../ingest/github-signature.js';

const SECRET = 'acme-github-webhook-secret-for-grammar';
const T0 = '2026-01-01T00:00:00Z';
const enc = encodeURIComponent;
const prov = (observedAt: string, extra: Record<string, unknown> = {}) => ({ sourceSystem: 'github', observedAt, ...extra });
const node = (id: string, extra: Record<string, unknown> = {}) => ({ id, type: 'Dataset', region: 'us-east', attributes: { name: 'x' }, provenance: prov(T0), ...extra });
const cursor = (tuple: unknown) => Buffer.from(JSON.stringify(tuple), 'utf8').toString('base64url');

let bed: ReadModelBed;
let admin: string;
let ingestor: string;

const total = async () => (await bed.log.readAll()).length;
const upsert = (body: unknown) => bed.api.call('POST', '/v1/commands/graph.node.upsert', { token: bed.token, body });
const upsertRaw = (rawBody: string) => bed.api.call('POST', '/v1/commands/graph.node.upsert', { token: bed.token, rawBody });
const get = (path: string, token = bed.token) => bed.api.call('GET', path, { token });

/** A 400 problem (never a 500), with `code` when given; the detail names what was wrong when `detail` is given. */
function assertProblem(res: ApiResponse, what: string, code?: string, detail?: RegExp): void {
  assert.is(res.status, 400, `${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/, what);
  if (code !== undefined) assert.is(res.body.code, code, `${what}: ${res.body.code} ${res.body.detail}`);
  if (detail !== undefined) assert.match(String(res.body.detail), detail, what);
}

const test = suite('HTTP: the strict input grammar');

test.before(async () => {
  bed = await openReadModelBed({ COMPANYOS_GITHUB_WEBHOOKS: `acme:us-east:${SECRET}` });
  admin = await bed.api.token({ subject: 'ada', tenant: 'acme', roles: ['admin'], region: 'us-east' });
  ingestor = await bed.api.token({ subject: 'service:airflow', tenant: 'acme', roles: ['service'], region: 'us-east' });
  await bed.command('graph.node.upsert', node('ds:base'));
});
test.after(() => bed.close());

test('an impossible or out-of-range timestamp in a command is a 400 naming the field; nothing is sealed', async () => {
  const before = await total();
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['Feb 30', prov('2026-02-30T00:00:00Z'), /provenance\.observedAt/],
    ['Feb 29 of a common year', prov('2026-02-29T00:00:00Z'), /provenance\.observedAt/],
    ['year 0000', prov('0000-06-01T00:00:00Z'), /provenance\.observedAt/],
    ['year 10000', prov('10000-01-01T00:00:00Z'), /provenance\.observedAt/],
    ['year 0 after the offset', prov('0001-01-01T00:00:00+01:00'), /provenance\.observedAt/],
    ['24:00', prov(T0, { effectiveAt: '2026-01-01T24:00:00Z' }), /provenance\.effectiveAt/],
    ['a leap second', prov(T0, { expiresAt: '2026-12-31T23:59:60Z' }), /provenance\.expiresAt/],
    ['an offset PostgreSQL refuses', prov('2026-01-01T00:00:00+16:00'), /provenance\.observedAt/],
    ['lowercase t', prov('2026-01-01t00:00:00Z'), /provenance\.observedAt/],
  ];
  for (const [what, provenance, field] of cases) assertProblem(await upsert(node('ds:when', { provenance })), what, 'validation', field);
  assert.is(await total(), before, 'nothing appended');
  // Still accepted: a leap day, an offset, nine fractional digits.
  assert.is((await upsert(node('ds:leap', { provenance: prov('2024-02-29T23:30:00.123456789-02:00') }))).status, 201);
});

test('NUL and lone surrogates in ids, attribute keys and values, and provenance text are 400s', async () => {
  const before = await total();
  const cases: [string, unknown][] = [
    ['NUL in an attribute value', node('ds:t1', { attributes: { a: 'x\u0000y' } })],
    ['NUL in an attribute key', node('ds:t2', { attributes: { 'a\u0000b': 1 } })],
    ['NUL deep in an attribute', node('ds:t3', { attributes: { a: [{ b: ['\u0000'] }] } })],
    ['a lone high surrogate in a value', node('ds:t4', { attributes: { a: 'x\uD800' } })],
    ['a lone low surrogate in a key', node('ds:t5', { attributes: { '\uDC00k': 'v' } })],
    ['a lone surrogate in the node id', node('ds:\uDBFF')],
    ['NUL in the node id', node('ds:\u0000')],
    ['a lone surrogate in sourceSystem', node('ds:t6', { provenance: prov(T0, { sourceSystem: 'gh\uDFFF' }) })],
    ['a lone surrogate in a reason', node('ds:t7', { provenance: prov(T0, { reason: '\uD83D' }) })],
  ];
  for (const [what, body] of cases) assertProblem(await upsert(body), what, 'unstorable-value', /U\+(0000|D[89A-F][0-9A-F]{2})/);
  assert.is(await total(), before, 'nothing appended');
});

test('__proto__ as a key is a 400; constructor and prototype are ordinary keys, stored and read back', async () => {
  const proto = await upsertRaw(JSON.stringify(node('ds:proto')).replace('"name"', '"__proto__"'));
  assertProblem(proto, '__proto__ key', 'unstorable-value', /__proto__/);
  const nested = await upsertRaw(JSON.stringify(node('ds:proto2', { attributes: { a: { b: 1 } } })).replace('"b"', '"__proto__"'));
  assertProblem(nested, 'nested __proto__ key', 'unstorable-value', /attributes\.a\.__proto__/);
  assert.is((await upsert(node('ds:ctor', { attributes: { constructor: 'c', prototype: { toString: 't' } } }))).status, 201);
  assert.is((await upsert(node('ds:😀', { attributes: { '😀': 'surrogate pairs are text 😀' } }))).status, 201);
  await bed.project();
  const ctor = await get(`/v1/graph/nodes/${enc('ds:ctor')}`);
  assert.is(ctor.status, 200, JSON.stringify(ctor.body));
  const attributes = ctor.body.attributes ?? ctor.body.node?.attributes;
  // Own keys, read one by one: jsonb orders keys its own way, and uvu's deep equality reads `constructor` as the class.
  assert.equal(Object.keys(attributes).sort(), ['constructor', 'prototype']);
  assert.is(attributes.constructor, 'c');
  assert.is(attributes.prototype.toString, 't');
  const emoji = await get(`/v1/graph/nodes/${enc('ds:😀')}`);
  assert.is(emoji.status, 200, JSON.stringify(emoji.body));
  assert.ok(JSON.stringify(emoji.body).includes('surrogate pairs are text 😀'));
});

test('a 10,000-deep JSON body is a 400 before anything walks it', async () => {
  const deepArray = await upsertRaw('['.repeat(10_000) + ']'.repeat(10_000));
  assertProblem(deepArray, 'deep array', 'json-too-deep', /deeper than 128/);
  const deepObject = await upsertRaw(JSON.stringify(node('ds:deep')).replace('"x"', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)));
  assertProblem(deepObject, 'deep attribute', 'json-too-deep');
  const plan = await bed.api.call('POST', '/v1/plans', { token: admin, rawBody: `{"source":${'['.repeat(10_000)}${']'.repeat(10_000)}}` });
  assertProblem(plan, 'deep plan body', 'json-too-deep');
});

test('graph query parameters: asOf, since, from and to use the one grammar; ids refuse NUL', async () => {
  const id = enc('ds:base');
  for (const [what, path] of [
    ['asOf in year 0000', `/v1/graph/nodes/${id}?asOf=0000-01-01T00:00:00Z`],
    ['asOf on Feb 30', `/v1/graph/nodes/${id}?asOf=2026-02-30T00:00:00Z`],
    ['asOf on Apr 31 (related)', `/v1/graph/related?id=${id}&asOf=2026-04-31T00:00:00Z`],
    ['since in year 0 after its offset', `/v1/graph/services/${id}/surface?since=${enc('0001-01-01T00:00:00+01:00')}`],
    ['from with an hour 24', `/v1/graph/changes?resource=${id}&from=2026-01-01T24:00:00Z`],
    ['to in year 10000', `/v1/graph/changes?resource=${id}&to=10000-01-01T00:00:00Z`],
    ['NUL in a node id', `/v1/graph/nodes/ds%00x`],
    ['NUL in an actor', `/v1/graph/changes?actor=a%00b`],
  ] as const) assertProblem(await get(path), what, 'bad-query');
  assert.is((await get(`/v1/graph/nodes/${id}?asOf=9999-12-31T23:59:59Z`)).status, 200, 'the last second PostgreSQL is asked about');
});

test('a cursor position beyond 64 bits is a 400, not a bigint overflow in PostgreSQL', async () => {
  for (const position of ['9223372036854775808', '9999999999999999999']) {
    assertProblem(await get(`/v1/graph/changes?resource=${enc('ds:base')}&cursor=${cursor([T0, position])}`), `changes cursor ${position}`, 'bad-query');
    assertProblem(await get(`/v1/runs?cursor=${position}`), `runs cursor ${position}`, 'bad-query');
  }
  assertProblem(await get(`/v1/graph/changes?resource=${enc('ds:base')}&cursor=${cursor(['2026-02-30T00:00:00Z', '1'])}`), 'cursor on Feb 30', 'bad-query');
  assert.is((await get(`/v1/graph/changes?resource=${enc('ds:base')}&cursor=${cursor([T0, '9223372036854775807'])}`)).status, 200);
  assert.is((await get('/v1/runs?cursor=9223372036854775807')).status, 200);
});

test('%00 in a stream path or ?stream= is a 400', async () => {
  assertProblem(await get(`/v1/streams/${enc('acme/graph.node/ds')}%00x`), 'NUL in the id', 'bad-stream');
  assertProblem(await get('/v1/streams/ac%00me%2Fgraph.node%2Fds'), 'NUL in the tenant', 'bad-stream');
  assertProblem(await get(`/v1/streams/${enc('acme/graph.node/ds')}%01`), 'another control character', 'bad-stream');
  assertProblem(await get(`/v1/ledger/verify?stream=${enc('acme/graph.node/ds')}%00`), 'NUL in ?stream=', 'bad-stream');
  assert.is((await get(`/v1/streams/${enc('acme/graph.node/ds:base')}`)).status, 200);
});

test('metering: NUL in a tag key or value is a 400 for the batch; impossible times reject the record', async () => {
  const record = (eventId: string, extra: Record<string, unknown> = {}) =>
    ({ eventId, service: 'checkout', team: 'payments', meter: 'cpu_seconds', quantity: '1', unit: 'second', ts: T0, ...extra });
  const post = (records: unknown[]) => bed.api.call('POST', '/v1/metering/events', { token: ingestor, body: { region: 'us-east', records } });
  assertProblem(await post([record('m1', { tags: { 'env\u0000': 'prod' } })]), 'NUL in a tag key', 'unstorable-value', /records\[0\]\.tags/);
  assertProblem(await post([record('m2', { tags: { env: 'prod\u0000' } })]), 'NUL in a tag value', 'unstorable-value');
  assertProblem(await post([record('m3', { tags: { env: '\uD800' } })]), 'a lone surrogate in a tag', 'unstorable-value');
  // A record's own fields are judged record by record (the batch's contract): refused, never sealed.
  for (const ts of ['2026-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '2300-01-01T00:00:00Z', '1899-12-31T23:59:59Z']) {
    const res = await post([record(`m-${ts}`, { ts })]);
    assert.is(res.status, 422, `${ts}: ${JSON.stringify(res.body).slice(0, 200)}`);
    assert.match(JSON.stringify(res.body.errors), /ts/);
  }
});

test('GitHub: NUL in a commit message or an impossible commit time is a 400', async () => {
  const push = JSON.parse(readFileSync(new URL('../../test/fixtures/github/push.json', import.meta.url), 'utf8'));
  const deliver = (payload: unknown) => {
    const body = JSON.stringify(payload);
    return bed.api.call('POST', '/v1/ingest/github', {
      rawBody: body,
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'grammar-1', 'x-hub-signature-256': githubSignature(body, SECRET) },
    });
  };
  const before = await total();
  const withCommit = (patch: Record<string, unknown>) => ({ ...push, commits: [{ ...push.commits[0], ...patch }], head_commit: { ...push.head_commit, ...patch } });
  assertProblem(await deliver(withCommit({ message: 'fix\u0000' })), 'NUL in a commit message', 'unstorable-value', /commits\[0\]\.message/);
  assertProblem(await deliver(withCommit({ message: 'fix \uDE00' })), 'a lone surrogate in a commit message', 'unstorable-value');
  assertProblem(await deliver(withCommit({ timestamp: '2026-02-30T10:00:00Z' })), 'Feb 30 commit time', 'validation', /timestamp/);
  const overflow = JSON.stringify(withCommit({})).replace('"distinct":', '"run_number":1e400,"distinct":');
  const res = await bed.api.call('POST', '/v1/ingest/github', {
    rawBody: overflow,
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': githubSignature(overflow, SECRET) },
  });
  assertProblem(res, 'a number that overflows to Infinity', 'unstorable-value', /beyond the range/);
  assert.is(await total(), before, 'nothing appended');
});

test('OpenLineage: an impossible eventTime or a NUL in a name is a 400', async () => {
  const start = JSON.parse(readFileSync(new URL('../../test/fixtures/openlineage/start.json', import.meta.url), 'utf8'));
  const post = (body: unknown) => bed.api.call('POST', '/v1/ingest/openlineage', { token: ingestor, body });
  assertProblem(await post({ ...start, eventTime: '2026-02-30T00:00:00Z' }), 'Feb 30 eventTime', 'validation', /eventTime/);
  assertProblem(await post({ ...start, job: { ...start.job, name: 'job\u0000' } }), 'NUL in the job name', 'unstorable-value');
});

test('finops and audit time parameters: impossible dates and years outside 1900-2299 are 400s', async () => {
  for (const [what, path] of [
    ['finops from on Feb 30', '/v1/finops/costs?from=2026-02-30&to=2026-03-05'],
    ['finops to at 24:00', '/v1/finops/costs?from=2026-01-01&to=2026-01-02T24:00:00Z'],
    ['finops in year 0001', '/v1/finops/costs?from=0001-01-01&to=0001-02-01'],
    ['audit from in year 0000', '/v1/audit/events?from=0000-01-01T00:00:00Z'],
    ['audit to on Feb 30', '/v1/audit/export?to=2026-02-30T00:00:00Z'],
    ['audit cursor on Feb 30', `/v1/audit/events?cursor=${cursor(['2026-02-30T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])}`],
  ] as const) assertProblem(await get(path, admin), what, 'bad-query');
});

test('a token whose subject is not storable text is refused (401), never a 500 at the append', async () => {
  for (const subject of ['user:a\u0000b', 'user:\uD800']) {
    const token = await bed.api.token({ subject, tenant: 'acme', roles: ['editor'], region: 'us-east' });
    const res = await bed.api.call('POST', '/v1/commands/graph.node.upsert', { token, body: node('ds:by-odd-subject') });
    assert.is(res.status, 401, JSON.stringify(res.body).slice(0, 200));
    assert.match(String(res.body.detail), /sub/);
  }
});

test('after all of it, the read models still project and answer', async () => {
  await bed.project();
  const res = await get(`/v1/graph/nodes/${enc('ds:leap')}`);
  assert.is(res.status, 200, JSON.stringify(res.body));
});

test.run();
