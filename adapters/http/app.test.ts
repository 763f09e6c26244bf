// Specifications of the HTTP API on a real (embedded PGlite) log: given a state of the log, when a
// request arrives, then this answer and exactly these appended events.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import nacl from 'tweetnacl';
import { SignJWT } from 'jose';
import { JWT_SECRET, openTestApi, type TestApi } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';
import { signingMessage } from '../../ledger/index.js';
import { eventHashOf, verifyStream } from '../../ledger/offline-verifier.js';

const T0 = '2026-01-01T00:00:00Z';
const prov = { sourceSystem: 'github', observedAt: T0 };
const node = (id: string, type: string, extra: Record<string, unknown> = {}) => ({ id, type, region: 'us-east', attributes: { name: id }, provenance: prov, ...extra });
const edge = (type: string, from: string, to: string, extra: Record<string, unknown> = {}) => ({ type, from, to, region: 'us-east', provenance: prov, ...extra });
const enc = encodeURIComponent;

// One embedded log and server for the whole file (PGlite takes seconds to start); each suite works in
// its own tenant so their counts do not interfere.
let testLog: TestLog;
let api: TestApi;
let tenant: string;
let editor: string;
let viewer: string;
let otherTenant: string;

/** Every event in the log, as a count: "nothing appended" is checked against it. */
const total = async () => (await testLog.log.readAll()).length;
const streamOf = (id: string) => `${tenant}/graph.node/${id}`;
const post = (type: string, body: unknown, token = editor, headers: Record<string, string> = {}) =>
  api.call('POST', `/v1/commands/${type}`, { token, body, headers });

const setup = (name: string) => async () => {
  if (api === undefined) {
    testLog = await openMemoryLog();
    api = await openTestApi(testLog.log);
  }
  tenant = name;
  editor = await api.token({ tenant, roles: ['editor'], region: 'us-east', subject: 'alice' });
  viewer = await api.token({ tenant, roles: ['viewer'], region: 'us-east', subject: 'victor' });
  otherTenant = await api.token({ tenant: `${name}-other`, roles: ['admin'], region: 'us-east', subject: 'mallory' });
};
const teardown = async () => {
  await api.close();
  await testLog.close();
};

const commands = suite('HTTP: commands');
commands.before(setup('acme'));

commands('a node upsert is sealed, appended and readable with its provenance and decision', async () => {
  const res = await post('graph.node.upsert', node('svc:checkout', 'Service'));
  assert.is(res.status, 201, JSON.stringify(res.body));
  assert.is(res.body.stream, streamOf('svc:checkout'));
  assert.is(res.body.revision, 0);
  assert.match(res.body.events[0].hash, /^[0-9a-f]{64}$/);
  assert.equal(res.body.decision.determiningPolicies, ['editor-graph-write']);

  const read = await api.call('GET', `/v1/streams/${enc(streamOf('svc:checkout'))}`, { token: viewer });
  assert.is(read.status, 200);
  const [sealed] = read.body.events;
  assert.is(sealed.type, 'graph.node.upserted');
  assert.is(sealed.tenant, tenant);
  assert.is(sealed.region, 'us-east');
  assert.is(sealed.hash, res.body.events[0].hash);
  assert.equal(sealed.meta.actor, { id: 'alice', type: 'user', authn: 'jwt' });
  assert.is(sealed.meta.sourceSystem, 'github');
  assert.is(sealed.meta.observedAt, T0);
  assert.is(sealed.meta.decision.id, res.body.decision.id);
  assert.is(sealed.meta.decision.policyVersion, res.body.decision.policyVersion);
  assert.is(sealed.prevHash, '0'.repeat(64));
});

commands('re-sending the same facts changes nothing (200, unchanged)', async () => {
  const before = await total();
  const res = await post('graph.node.upsert', node('svc:checkout', 'Service'));
  assert.is(res.status, 200);
  assert.is(res.body.unchanged, true);
  assert.is(await total(), before);
});

commands('a changed node chains onto the previous revision', async () => {
  const res = await post('graph.node.upsert', node('svc:checkout', 'Service', { attributes: { name: 'checkout', tier: 1 } }));
  assert.is(res.status, 201);
  assert.is(res.body.revision, 1);
  const read = await api.call('GET', `/v1/streams/${enc(streamOf('svc:checkout'))}`, { token: viewer });
  assert.is(read.body.events[1].prevHash, read.body.events[0].hash);
});

commands('an edge between nodes of the allowed types is asserted, citing the nodes it read', async () => {
  assert.is((await post('graph.node.upsert', node('dep:42', 'Deployment'))).status, 201);
  const res = await post('graph.edge.assert', edge('DEPLOYS', 'dep:42', 'svc:checkout'));
  assert.is(res.status, 201, JSON.stringify(res.body));
  const read = await api.call('GET', `/v1/streams/${enc(res.body.stream)}`, { token: viewer });
  const refs: string[] = read.body.events[0].meta.evidenceRefs;
  assert.ok(refs.some((r) => r.startsWith(`log:${streamOf('dep:42')}@0#`)), refs.join(','));
  assert.ok(refs.some((r) => r.startsWith(`log:${streamOf('svc:checkout')}@1#`)), refs.join(','));
});

commands('an edge whose ends have the wrong types is refused (422) naming the rule; nothing appended', async () => {
  const before = await total();
  const res = await post('graph.edge.assert', edge('BUILDS', 'svc:checkout', 'dep:42'));
  assert.is(res.status, 422);
  assert.is(res.headers.get('content-type'), 'application/problem+json');
  assert.is(res.body.code, 'edge-ends-not-allowed');
  assert.match(res.body.detail, 'BUILDS requires Build → Artifact, got Service → Deployment');
  assert.is(await total(), before);
});

commands('an edge to a node that does not exist is refused (422)', async () => {
  const res = await post('graph.edge.assert', edge('DEPLOYS', 'dep:404', 'svc:checkout'));
  assert.is(res.status, 422);
  assert.is(res.body.code, 'edge-end-not-found');
});

commands('Idempotency-Key: the same key and payload return the first result; another payload is refused', async () => {
  const body = node('svc:payments', 'Service');
  const first = await post('graph.node.upsert', body, editor, { 'idempotency-key': 'k-1' });
  assert.is(first.status, 201);
  const before = await total();
  const again = await post('graph.node.upsert', body, editor, { 'idempotency-key': 'k-1' });
  assert.is(again.status, 200);
  assert.is(again.body.replayed, true);
  assert.equal(again.body.events, first.body.events);
  assert.is(again.body.position, first.body.position);
  const other = await post('graph.node.upsert', node('svc:payments', 'Service', { attributes: { name: 'x' } }), editor, { 'idempotency-key': 'k-1' });
  assert.is(other.status, 422);
  assert.is(other.body.code, 'idempotency-key-reused');
  const elsewhere = await post('graph.node.upsert', node('svc:ledger', 'Service'), editor, { 'idempotency-key': 'k-1' });
  assert.is(elsewhere.status, 422);
  assert.is(elsewhere.body.code, 'idempotency-key-reused');
  assert.is(await total(), before);
});

commands('natural key: a redelivered ingest with the same payload writes nothing, even after a later change', async () => {
  const v1 = node('commit:abc', 'Commit', { attributes: { message: 'v1' }, provenance: { ...prov, externalId: 'abc' } });
  const v2 = node('commit:abc', 'Commit', { attributes: { message: 'v2' }, provenance: { ...prov, externalId: 'abc' } });
  const first = await post('graph.node.upsert', v1);
  assert.is(first.status, 201);
  assert.is((await post('graph.node.upsert', v2)).status, 201);
  const before = await total();
  const redelivered = await post('graph.node.upsert', v1);
  assert.is(redelivered.status, 200);
  assert.is(redelivered.body.replayed, true);
  assert.equal(redelivered.body.events, first.body.events);
  assert.is(await total(), before);
});

commands('concurrent writers on one node all land on a linear chain (conflicts retried)', async () => {
  // Eight: the default share of one tenant's commands in flight (schemas/config.ts DEFAULT_ADMISSION), so all are admitted.
  const writes = await Promise.all(
    Array.from({ length: 8 }, (_, i) => post('graph.node.upsert', node('svc:hot', 'Service', { attributes: { n: i } }))),
  );
  const statuses = writes.map((w) => w.status);
  assert.ok(statuses.every((s) => s === 201 || s === 409), statuses.join(','));
  const landed = statuses.filter((s) => s === 201).length;
  const stream = await testLog.log.readStream(streamOf('svc:hot'));
  assert.is(stream.length, landed);
  const revisions = writes.filter((w) => w.status === 201).map((w) => w.body.revision).sort((a, b) => a - b);
  assert.equal(revisions, Array.from({ length: landed }, (_, i) => i));
  const verify = await api.call('GET', `/v1/ledger/verify?stream=${enc(streamOf('svc:hot'))}`, { token: viewer });
  assert.is(verify.body.ok, true);
});

const bad = suite('HTTP: bad input gets a precise problem and appends nothing');
bad.before(setup('bad'));

const cases: [string, () => Promise<{ status: number; body: any; headers: Headers }>, number, string][] = [
  ['malformed JSON', () => api.call('POST', '/v1/commands/graph.node.upsert', { token: editor, rawBody: '{"id": "x",' }), 400, 'malformed-json'],
  ['unknown command type', () => post('graph.node.explode', node('svc:a', 'Service')), 404, 'unknown-command'],
  ['wrong field types', () => post('graph.node.upsert', { ...node('svc:a', 'Service'), region: 42 }), 400, 'validation'],
  ['unknown node type', () => post('graph.node.upsert', node('svc:a', 'Spaceship')), 400, 'validation'],
  ['unknown edge type', () => post('graph.edge.assert', edge('LOVES', 'a', 'b')), 400, 'validation'],
  ['unknown field', () => post('graph.node.upsert', { ...node('svc:a', 'Service'), colour: 'red' }), 400, 'validation'],
  ['a body over 1 MiB', () => post('graph.node.upsert', node('svc:a', 'Service', { attributes: { blob: 'x'.repeat(1024 * 1024) } })), 413, 'payload-too-large'],
  ['no token', () => api.call('POST', '/v1/commands/graph.node.upsert', { body: node('svc:a', 'Service') }), 401, 'unauthenticated'],
  ['a non-JSON content type', () => api.call('POST', '/v1/commands/graph.node.upsert', { token: editor, rawBody: 'x', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported-media-type'],
];

for (const [name, send, status, code] of cases) {
  bad(`${name} → ${status} ${code}`, async () => {
    const before = await total();
    const res = await send();
    assert.is(res.status, status, JSON.stringify(res.body).slice(0, 300));
    assert.is(res.headers.get('content-type'), 'application/problem+json');
    assert.is(res.body.code, code);
    assert.is(res.body.status, status);
    assert.type(res.body.title, 'string');
    assert.type(res.body.detail, 'string');
    assert.not.match(JSON.stringify(res.body), /at .*\.ts:\d+/); // no stack traces
    assert.is(await total(), before);
  });
}

bad('validation problems name every field at fault', async () => {
  const res = await post('graph.node.upsert', { id: 'svc:a', type: 'Spaceship', region: 'us-east', provenance: { sourceSystem: 'x', observedAt: 'yesterday' } });
  assert.is(res.status, 400);
  const errors: string[] = res.body.errors;
  assert.ok(errors.some((e) => e.startsWith('type:')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('provenance.observedAt:')), errors.join('\n'));
});

bad('a token that never expires, or lives longer than the cap (24 h by default) → 401, nothing appended', async () => {
  const t = Math.floor(Date.now() / 1000);
  const signed = (times: { iat?: number; exp?: number }) => {
    const jwt = new SignJWT({ tenant, roles: ['admin'], region: 'us-east' }).setProtectedHeader({ alg: 'HS256' }).setSubject('eve').setIssuer('companyos-dev').setAudience('companyos');
    if (times.iat !== undefined) jwt.setIssuedAt(times.iat);
    if (times.exp !== undefined) jwt.setExpirationTime(times.exp);
    return jwt.sign(new TextEncoder().encode(JWT_SECRET));
  };
  const before = await total();
  for (const [times, detail] of [
    [{}, /"exp" missing/],
    [{ iat: t }, /"exp" missing/],
    [{ iat: t, exp: t + 365 * 24 * 3600 }, /lifetime .* exceeds the 86400 s/],
    [{ exp: t + 48 * 3600 }, /exceeds the 86400 s/],
  ] as const) {
    const res = await post('graph.node.upsert', node('svc:forever', 'Service'), await signed(times));
    assert.is(res.status, 401, JSON.stringify(times));
    assert.match(res.headers.get('content-type')!, /^application\/problem\+json/);
    assert.match(res.body.detail, detail);
  }
  assert.is(await total(), before);
  // The same claims within the cap are accepted: the refusals above are about lifetime alone.
  assert.is((await post('graph.node.upsert', node('svc:forever', 'Service'), await signed({ iat: t, exp: t + 3600 }))).status, 201);
});

bad('a forged token (wrong secret) → 401', async () => {
  const forged = await new SignJWT({ tenant: 'acme', roles: ['admin'], region: 'us-east' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('eve')
    .setIssuer('companyos-dev')
    .setAudience('companyos')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode('not-the-server-secret-not-the-server'));
  const before = await total();
  const res = await post('graph.node.upsert', node('svc:a', 'Service'), forged);
  assert.is(res.status, 401);
  assert.is(res.body.detail, 'token signature invalid');
  assert.is(await total(), before);
});

bad('an expired token → 401', async () => {
  const old = await api.token({ tenant: 'acme', roles: ['admin'], region: 'us-east', ttlSeconds: 60 }, Math.floor(Date.now() / 1000) - 3600);
  const res = await post('graph.node.upsert', node('svc:a', 'Service'), old);
  assert.is(res.status, 401);
  assert.is(res.body.detail, 'token expired');
});

const policy = suite('HTTP: policy denials answer 403 and are sealed on the audit stream');
policy.before(setup('policy'));

const auditEvents = () => testLog.log.readStream(`${tenant}/audit`);

policy('a viewer cannot write: 403 with the decision id, and one access.denied event', async () => {
  const before = await total();
  const res = await post('graph.node.upsert', node('svc:a', 'Service'), viewer);
  assert.is(res.status, 403);
  assert.is(res.body.code, 'forbidden');
  assert.match(res.body.detail, 'no policy permits roles [viewer] to graph.node.upsert');
  assert.type(res.body.decisionId, 'string');
  assert.is(await total(), before + 1);
  const audit = await auditEvents();
  const denied = audit[audit.length - 1]!;
  assert.is(denied.type, 'access.denied');
  assert.is(denied.id, res.body.auditEventId);
  assert.is((denied.metadata as any).meta.decision.id, res.body.decisionId);
  assert.is((denied.metadata as any).meta.actor.id, 'victor');
});

policy('a write in another region is denied by the region rule, naming both regions', async () => {
  const euEditor = await api.token({ tenant, roles: ['editor'], region: 'eu-west' });
  const res = await post('graph.node.upsert', node('svc:a', 'Service'), euEditor);
  assert.is(res.status, 403);
  assert.equal(res.body.determiningPolicies, ['write-region-match']);
  assert.match(res.body.detail, 'token region eu-west, resource region us-east');
});

policy("reading another tenant's stream is denied (403) and recorded in the reader's tenant", async () => {
  assert.is((await post('graph.node.upsert', node('svc:secret', 'Service'))).status, 201);
  const otherAudit = () => testLog.log.readStream(`${tenant}-other/audit`);
  const otherAuditBefore = (await otherAudit()).length;
  const before = await total();
  const res = await api.call('GET', `/v1/streams/${enc(streamOf('svc:secret'))}`, { token: otherTenant });
  assert.is(res.status, 403);
  assert.equal(res.body.determiningPolicies, ['tenant-isolation']);
  assert.is(await total(), before + 1);
  assert.is((await otherAudit()).length, otherAuditBefore + 1);
  const verify = await api.call('GET', `/v1/ledger/verify?stream=${enc(streamOf('svc:secret'))}`, { token: otherTenant });
  assert.is(verify.status, 403);
});

policy('the audit stream itself verifies: denials are chained and signed like any event', async () => {
  const res = await api.call('GET', `/v1/ledger/verify?stream=${enc(`${tenant}/audit`)}`, { token: viewer });
  assert.is(res.status, 200);
  assert.is(res.body.ok, true);
  assert.ok(res.body.eventsChecked >= 2);
});

const ledger = suite('HTTP: ledger, keys and operations');
ledger.before(setup('ledger'));
ledger.after(teardown);

ledger('verify covers the whole tenant and reports the shape the API promises', async () => {
  await post('graph.node.upsert', node('svc:a', 'Service'));
  await post('graph.node.upsert', node('svc:b', 'Service'));
  const res = await api.call('GET', '/v1/ledger/verify', { token: viewer });
  assert.is(res.status, 200);
  assert.equal(Object.keys(res.body).sort(), ['eventsChecked', 'failures', 'ok', 'streamsChecked', 'tree', 'trust']);
  // No checkpoint yet (no checkpointer runs here): both events are an unanchored tail.
  const { trust, ...report } = res.body;
  assert.equal(report, { ok: true, eventsChecked: 2, streamsChecked: 2, failures: [], tree: { treeSize: 2, checkpoints: 0, anchoredSize: 0, unanchored: 2, failures: [] } });
  // Nothing pinned here: the report says whose key it trusts on first use.
  assert.is(trust.mode, 'first-use');
  assert.match(trust.warning, /^no trusted key configured: trusting the key of the log's first event, ed25519:[0-9a-f]{16}, on first use/);
});

ledger('verify of a stream that does not exist → 404', async () => {
  const res = await api.call('GET', `/v1/ledger/verify?stream=${enc(streamOf('nope'))}`, { token: viewer });
  assert.is(res.status, 404);
});

ledger('published keys verify a served event with tweetnacl (what an offline auditor does)', async () => {
  const keys = await api.call('GET', '/v1/ledger/keys');
  assert.is(keys.status, 200);
  const [key] = keys.body.keys;
  assert.is(key.algorithm, 'Ed25519');
  const read = await api.call('GET', `/v1/streams/${enc(streamOf('svc:a'))}`, { token: viewer });
  const e = read.body.events[0];
  assert.is(e.keyId, key.keyId);
  const publicKey = Buffer.from(key.publicKey, 'base64');
  const signature = Buffer.from(e.signature, 'base64');
  assert.ok(nacl.sign.detached.verify(signingMessage(e.hash), signature, publicKey));
  const flipped = Buffer.from(e.hash, 'hex');
  flipped[0]! ^= 1;
  assert.not.ok(nacl.sign.detached.verify(signingMessage(flipped), signature, publicKey));
});

ledger('GET /v1/streams adds position, which no seal covers: as served a verifier refuses the page; without it, it verifies', async () => {
  const published = (await api.call('GET', '/v1/ledger/keys')).body.keys.map((k: { keyId: string; publicKey: string }) => ({ keyId: k.keyId, publicKey: k.publicKey }));
  const read = await api.call('GET', `/v1/streams/${enc(streamOf('svc:a'))}`, { token: viewer });
  const served = read.body.events as { position: string; hash: string }[];
  assert.ok(served.length > 0 && served.every((e) => /^\d+$/.test(e.position)));
  const asServed = await verifyStream(served, published);
  assert.ok(asServed.failures.length === served.length && asServed.failures.every((f) => /carries position/.test(f.reason)), JSON.stringify(asServed.failures));
  const sealed = served.map(({ position: _position, ...event }) => event);
  assert.equal((await verifyStream(sealed, published)).failures, []);
  // The README's rule, by hand: SHA-256 over the RFC 8785 form of everything but hash, keyId and signature.
  for (const e of sealed) assert.is(eventHashOf(e), e.hash);
});

ledger('stream pages follow nextRevision to the end', async () => {
  for (let i = 0; i < 5; i++) await post('graph.node.upsert', node('svc:paged', 'Service', { attributes: { i } }));
  const seen: number[] = [];
  let url: string | undefined = `/v1/streams/${enc(streamOf('svc:paged'))}?limit=2`;
  while (url !== undefined) {
    const page: { body: any } = await api.call('GET', url, { token: viewer });
    seen.push(...page.body.events.map((e: { revision: number }) => e.revision));
    url = page.body.next;
  }
  assert.equal(seen, [0, 1, 2, 3, 4]);
  const badLimit = await api.call('GET', `/v1/streams/${enc(streamOf('svc:paged'))}?limit=5000`, { token: viewer });
  assert.is(badLimit.status, 400);
});

ledger('healthz, readyz, metrics and openapi answer', async () => {
  assert.is((await api.call('GET', '/healthz')).status, 200);
  assert.equal((await api.call('GET', '/readyz')).body, { status: 'ready' });
  assert.is((await api.call('GET', '/v1/ledger/keys')).status, 200);
  assert.is((await api.call('POST', '/v1/commands/graph.node.upsert', { body: {} })).status, 401);
  const metrics = await api.call('GET', '/metrics');
  assert.match(metrics.body, /companyos_http_requests_total\{[^}]*route="\/v1\/commands\/:type"[^}]*status="201"\} \d+/);
  // A public route is labelled with its own pattern, not the authenticated routes' wildcard.
  assert.match(metrics.body, /companyos_http_requests_total\{[^}]*route="\/v1\/ledger\/keys"[^}]*status="200"\} \d+/);
  // A refusal by middleware (here the missing token) counts under the route the request was for.
  assert.match(metrics.body, /companyos_http_requests_total\{[^}]*route="\/v1\/commands\/:type"[^}]*status="401"\} \d+/);
  assert.not.match(metrics.body, /route="\/v1\/\*"/);
  // The standard process and Node.js figures, under the names Prometheus clients use.
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds']) {
    assert.match(metrics.body, new RegExp(`^${name} \\d`, 'm'), name);
  }
  assert.match(metrics.body, /companyos_commands_total\{outcome="appended",type="graph.node.upsert"\} \d+/);
  assert.match(metrics.body, /companyos_decision_cache_total\{result="miss"\} [1-9]\d*/, 'decisions evaluated are counted (hits beside them)');
  const doc = await api.call('GET', '/openapi.json');
  assert.is(doc.body.openapi, '3.1.0');
  assert.ok(doc.body.paths['/v1/commands/graph.edge.assert']);
  assert.ok(doc.body.paths['/v1/ledger/verify']);
});

ledger('an unknown route is a problem too', async () => {
  const res = await api.call('GET', '/v1/nothing-here', { token: viewer });
  assert.is(res.status, 404);
  assert.is(res.headers.get('content-type'), 'application/problem+json');
});

commands.run();
bad.run();
policy.run();
ledger.run();
