// The tree's read API end to end on a PGlite system: commands → tree read model → checkpointer → the
// routes. The latest checkpoint opens with the key GET /v1/ledger/keys publishes as a note verifier;
// inclusion and consistency proofs verify against checkpoint roots; a receipt (one, or NDJSON for a stream
// and a time range) passes the offline verifier with that key pinned; another tenant's events, sizes not
// reached and malformed queries are refused with their problems.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openCheckpointNote, verifyConsistencyProof, verifyInclusionProof, verifyReceipt, verifyReceipts } from '../../ledger/offline-verifier.js';
import { Receipt } from '../../schemas/receipt.js';
import { openReadModelBed, type ReadModelBed } from '../../test/read-model-bed.js';

interface Ctx {
  bed: ReadModelBed;
  beta: string;
  /** Event ids by node id (acme). */
  ids: Map<string, string[]>;
  noteKey: string;
}

const test = suite<Ctx>('ledger proofs routes', {} as Ctx);
const region = 'us-east';
const upsert = async (ctx: Ctx, id: string, attributes: Record<string, unknown> = {}) => {
  const r = await ctx.bed.command('graph.node.upsert', { id, type: 'Service', region, attributes, provenance: { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' } });
  const events = r.body.events as { id: string }[];
  ctx.ids.set(id, [...(ctx.ids.get(id) ?? []), ...events.map((e) => e.id)]);
};

/** Projects, signs what grew, projects the checkpoint events in. */
async function checkpoint(ctx: Ctx): Promise<void> {
  await ctx.bed.project();
  const checkpointer = ctx.bed.api.system.startCheckpointer({ intervalMs: 3_600_000, lockRetryMs: 10 });
  const deadline = Date.now() + 10_000;
  while (!checkpointer.status().active && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await checkpointer.checkpointNow();
  await ctx.bed.project();
}

const get = (ctx: Ctx, path: string, token = ctx.bed.token) => ctx.bed.api.call('GET', path, { token });
/** An NDJSON answer as text (the harness would parse anything "json" as one document). */
const getText = async (ctx: Ctx, path: string) => {
  const res = await ctx.bed.api.system.app.request(path, { headers: { authorization: `Bearer ${ctx.bed.token}` } });
  return { status: res.status, headers: res.headers, body: await res.text() };
};

test.before(async (ctx) => {
  ctx.bed = await openReadModelBed({ COMPANYOS_LOG_ORIGIN: 'ledger.test' });
  ctx.beta = await ctx.bed.api.token({ subject: 'user:bob', tenant: 'beta', roles: ['editor'], region });
  ctx.ids = new Map();
  for (const id of ['svc:a', 'svc:b', 'svc:a', 'svc:c']) await upsert(ctx, id, { n: ctx.ids.size, at: id });
  const b = await ctx.bed.api.call('POST', '/v1/commands/graph.node.upsert', {
    token: ctx.beta, body: { id: 'svc:beta', type: 'Service', region, attributes: {}, provenance: { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' } },
  });
  assert.is(b.status, 201);
  ctx.ids.set('beta', [b.body.events[0].id]);
  const keys = await ctx.bed.api.call('GET', '/v1/ledger/keys');
  ctx.noteKey = keys.body.keys[0].noteVerifier;
});
test.after(async (ctx) => ctx.bed.close());

test('before any checkpoint: 409 not-anchored', async (ctx) => {
  const r = await get(ctx, '/v1/ledger/checkpoint');
  assert.is(r.status, 409);
  assert.is(r.body.code, 'not-anchored');
});

test('the latest checkpoint is a note the published key opens, for this tenant, at its tree size', async (ctx) => {
  assert.match(ctx.noteKey, /^ledger\.test\+[0-9a-f]{8}\+AX/);
  await checkpoint(ctx);
  const r = await get(ctx, '/v1/ledger/checkpoint');
  assert.is(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
  const opened = await openCheckpointNote(r.body, [ctx.noteKey], 'ledger.test/acme');
  assert.ok(opened.ok, opened.ok ? '' : opened.reason);
  assert.is(opened.value.checkpoint.size, 4);
  const list = await get(ctx, '/v1/ledger/checkpoints?fromSize=0');
  assert.equal(list.body.checkpoints.map((c: { treeSize: number }) => c.treeSize), [4]);
  assert.is(list.body.checkpoints[0].note, r.body);
  // beta's checkpoint is beta's.
  const beta = await get(ctx, '/v1/ledger/checkpoint', ctx.beta);
  assert.ok((await openCheckpointNote(beta.body, [ctx.noteKey], 'ledger.test/beta')).ok);
});

test('inclusion and consistency proofs verify against the checkpoints; the next checkpoint extends the first', async (ctx) => {
  const first = await openCheckpointNote((await get(ctx, '/v1/ledger/checkpoint')).body, [ctx.noteKey]);
  assert.ok(first.ok);
  const eventId = ctx.ids.get('svc:b')![0]!;
  const proof = await get(ctx, `/v1/ledger/proofs/inclusion?event=${eventId}`);
  assert.is(proof.status, 200);
  assert.equal(Object.keys(proof.body).sort(), ['hashes', 'leafHash', 'leafIndex', 'treeSize']);
  assert.is(proof.body.leafIndex, 1);
  assert.ok(verifyInclusionProof(proof.body, first.value.checkpoint.root));
  await upsert(ctx, 'svc:d');
  await checkpoint(ctx);
  const second = await openCheckpointNote((await get(ctx, '/v1/ledger/checkpoint')).body, [ctx.noteKey]);
  assert.ok(second.ok);
  // 4 events, the first checkpoint event, one more: 6 leaves.
  assert.is(second.value.checkpoint.size, 6);
  const consistency = await get(ctx, '/v1/ledger/proofs/consistency?from=4&to=6');
  assert.is(consistency.status, 200);
  assert.ok(verifyConsistencyProof(consistency.body, first.value.checkpoint.root, second.value.checkpoint.root));
  assert.not.ok(verifyConsistencyProof(consistency.body, second.value.checkpoint.root, second.value.checkpoint.root), 'a wrong old root fails');
  const atSix = await get(ctx, `/v1/ledger/proofs/inclusion?event=${eventId}&treeSize=6`);
  assert.ok(verifyInclusionProof(atSix.body, second.value.checkpoint.root));
});

test('a receipt verifies offline with the published key pinned; bulk receipts of a stream and a time range', async (ctx) => {
  const eventId = ctx.ids.get('svc:a')![1]!;
  const r = await get(ctx, `/v1/ledger/receipts/${eventId}`);
  assert.is(r.status, 200);
  assert.ok(Receipt.is(r.body), 'the receipt has the shape of schemas/receipt.ts');
  assert.not.ok('position' in r.body.event, 'position is not sealed and not in a receipt');
  const report = await verifyReceipt(r.body, { trustedKeys: [ctx.noteKey] });
  assert.ok(report.ok, report.problems.join('; '));
  assert.ok(report.pinned);
  // A receipt whose event was changed fails.
  const receipt = r.body as { event: { data: Record<string, unknown> } };
  const forged = { ...receipt, event: { ...receipt.event, data: { ...receipt.event.data, attributes: { forged: true } } } };
  assert.not.ok((await verifyReceipt(forged, { trustedKeys: [ctx.noteKey] })).ok);

  const stream = await getText(ctx, `/v1/ledger/receipts?stream=${encodeURIComponent('acme/graph.node/svc:a')}`);
  assert.is(stream.status, 200);
  assert.match(stream.headers.get('content-type') ?? '', /^application\/x-ndjson/);
  const lines = stream.body.trim().split('\n').map((l) => JSON.parse(l) as { event: { id: string } });
  assert.equal(lines.map((l) => l.event.id), ctx.ids.get('svc:a'));
  assert.ok((await verifyReceipts(lines, { trustedKeys: [ctx.noteKey] })).every((x) => x.ok));

  const all = await getText(ctx, '/v1/ledger/receipts?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z');
  assert.is(all.status, 200);
  assert.is(all.body.trim().split('\n').length, 6, 'every leaf of the last checkpoint');
  assert.is(all.headers.get('companyos-tree-size'), '6');
  assert.is(all.headers.get('companyos-unanchored'), '1', 'the last checkpoint event is not covered yet');
});

test('refusals: another tenant, sizes not reached, not anchored yet, malformed queries', async (ctx) => {
  const betaEvent = ctx.ids.get('beta')![0]!;
  assert.is((await get(ctx, `/v1/ledger/receipts/${betaEvent}`)).status, 404, "beta's event is not in acme's tree");
  assert.is((await get(ctx, `/v1/ledger/proofs/inclusion?event=${betaEvent}`)).status, 404);
  assert.is((await get(ctx, `/v1/ledger/receipts?stream=${encodeURIComponent('beta/graph.node/svc:beta')}`)).body.code, 'stream-not-found');
  const far = await get(ctx, '/v1/ledger/proofs/consistency?from=1&to=1000');
  assert.is(far.status, 404);
  assert.is(far.body.code, 'tree-size-not-reached');
  assert.is((await get(ctx, `/v1/ledger/proofs/inclusion?event=${ctx.ids.get('svc:a')![0]}&treeSize=1000`)).body.code, 'tree-size-not-reached');
  await upsert(ctx, 'svc:late');
  await ctx.bed.project();
  const late = await get(ctx, `/v1/ledger/receipts/${ctx.ids.get('svc:late')![0]}`);
  assert.is(late.status, 409);
  assert.is(late.body.code, 'not-anchored');
  for (const q of ['/v1/ledger/proofs/consistency?from=0&to=2', '/v1/ledger/proofs/consistency?from=3&to=2', '/v1/ledger/proofs/inclusion?event=nope',
    '/v1/ledger/checkpoints?fromSize=-1', '/v1/ledger/checkpoints?x=1', '/v1/ledger/receipts', '/v1/ledger/receipts?stream=acme%2Fx&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z',
    '/v1/ledger/receipts?from=2000-01-01T00:00:00Z', '/v1/ledger/receipts/not-a-uuid']) {
    const r = await get(ctx, q);
    assert.is(r.status, 400, q);
    assert.is(r.body.code, 'bad-query', q);
  }
  assert.is((await ctx.bed.api.call('GET', '/v1/ledger/checkpoint')).status, 401);
});

test('verify holds the tenant tree against its checkpoints, and against a note the client kept', async (ctx) => {
  const kept = (await get(ctx, '/v1/ledger/checkpoint')).body as string;
  const report = await get(ctx, '/v1/ledger/verify');
  assert.is(report.status, 200);
  assert.ok(report.body.ok, JSON.stringify(report.body));
  assert.is(report.body.tree.anchoredSize, 6);
  assert.is(report.body.tree.unanchored, report.body.tree.treeSize - 6);
  const posted = await ctx.bed.api.call('POST', '/v1/ledger/verify', { token: ctx.bed.token, body: { checkpoint: kept } });
  assert.is(posted.status, 200);
  assert.equal(posted.body.tree.trusted, { treeSize: 6, ok: true });
  // A note signed for another tenant's origin does not vouch for this one.
  const betaNote = (await get(ctx, '/v1/ledger/checkpoint', ctx.beta)).body as string;
  const foreign = await ctx.bed.api.call('POST', '/v1/ledger/verify', { token: ctx.bed.token, body: { checkpoint: betaNote } });
  assert.is(foreign.body.ok, false);
  assert.equal(foreign.body.tree.trusted, { treeSize: null, ok: false });
  assert.is((await ctx.bed.api.call('POST', '/v1/ledger/verify', { token: ctx.bed.token, body: {} })).status, 400);
});

test.run();
