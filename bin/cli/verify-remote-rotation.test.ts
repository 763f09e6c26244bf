// `companyos verify --remote` across a rotation of the log's key, against a live server: a server seals with
// its first key, stops; the key is rotated as `keys generate --rotate` does (commands/rotate-key.ts: final
// checkpoints signed by the outgoing key, then the sealed rotation); the server restarts with the new key
// (the retired one public only, in its keyring file) and seals more. An auditor who pinned only the first key
// verifies every leaf and checkpoint of both keys; one who pinned only the new key has the first key's
// events and checkpoints named; a rotation not sealed by a key the auditor reached adds nothing; and an event
// the retired key seals after its final checkpoint (its seed leaked) is named a forgery, whatever its sealedAt.
// Receipts carry the sealed rotations, so `verify-receipt` pinned to the first key verifies either key's.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startHttpServer } from '../../adapters/http/server.js';
import { writeKeyring } from '../../adapters/keys/keyring-store.js';
import { migrate } from '../../adapters/read-store/postgres/database.js';
import { rotateSigningKey } from '../../commands/rotate-key.js';
import { appendSealed, readTail, sealOntoTail } from '../../commands/stream-writer.js';
import { Keyring, publicKeyEntry, signingKeyFromSeed, type SigningKey } from '../../ledger/index.js';
import { READ_MODELS, projectUntil, readModelMigrations } from '../../projections/index.js';
import type { Config } from '../../schemas/config.js';
import { openTestApi, type TestApi } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';
import { makeUnsealed, OTHER_TEST_SEED, testSigningKey } from '../../test/test-events.js';
import { verifyReceipt } from '../../ledger/offline-verifier.js';
import { ExitCode } from './failures.js';
import { verifyReceiptCommand } from './verify-receipt.js';
import { verifyCommand } from './verify.js';

const FIRST = testSigningKey(OTHER_TEST_SEED);
const SECOND = testSigningKey(); // the harness's key: the server's after the rotation
const ATTACKER = signingKeyFromSeed(Uint8Array.from({ length: 32 }, (_, i) => 40 + i), '2020-01-01T00:00:00Z');
const EVIL = signingKeyFromSeed(Uint8Array.from({ length: 32 }, (_, i) => 90 + i), '2020-01-01T00:00:00Z');
const b64 = (k: SigningKey) => Buffer.from(k.publicKey).toString('base64');
const region = 'us-east';
const ORIGIN = { COMPANYOS_LOG_ORIGIN: 'ledger.test' };

interface Ctx {
  memory: TestLog;
  api: TestApi;
  token: string;
  server: Server;
  url: string;
  dir: string;
  /** The tenant's tree size at the first key's final checkpoint, and at the latest checkpoint. */
  finalSize: number;
  size: number;
}

const test = suite<Ctx>('companyos verify --remote across a key rotation', {} as Ctx);

async function project(ctx: Ctx): Promise<void> {
  const store = ctx.memory.log.database;
  for (const p of READ_MODELS) await projectUntil({ log: ctx.memory.log, store }, p, { schema: store.schema });
}

/** Projects, signs a checkpoint with the api's key, projects it in; the tree's size. */
async function checkpoint(ctx: Ctx, api: TestApi): Promise<number> {
  await project(ctx);
  const checkpointer = api.system.startCheckpointer({ intervalMs: 3_600_000, lockRetryMs: 10 });
  const deadline = Date.now() + 10_000;
  while (!checkpointer.status().active && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await checkpointer.checkpointNow();
  await project(ctx);
  const note = (await api.call('GET', '/v1/ledger/checkpoint', { token: ctx.token })).body as string;
  return Number(note.split('\n')[1]);
}

async function upsert(api: TestApi, token: string, id: string): Promise<void> {
  const r = await api.call('POST', '/v1/commands/graph.node.upsert', { token, body: { id, type: 'Service', region, attributes: {}, provenance: { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' } } });
  if (r.status !== 201 && r.status !== 200) throw new Error(`upsert answered ${r.status}: ${JSON.stringify(r.body)}`);
}

/** Runs the command in this process: what it printed, and what it threw. */
async function verify(ctx: Ctx, url: string, ...argv: string[]): Promise<{ out: string; error?: unknown; report: any }> {
  const out: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...parts: unknown[]) => void out.push(parts.join(' '));
  console.error = (...parts: unknown[]) => void out.push(parts.join(' '));
  let thrown: unknown;
  try {
    await verifyCommand({} as Config, ['--remote', url, ...argv], { COMPANYOS_TOKEN: ctx.token });
  } catch (e) {
    thrown = e;
  } finally {
    [console.log, console.error] = [log, error];
  }
  const text = out.join('\n');
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch {
    report = undefined;
  }
  return { out: text, report, ...(thrown === undefined ? {} : { error: thrown }) };
}

/** A server in the middle: passes every call on, answering GET /v1/ledger/keys with `rotations` instead. */
async function keysProxy(ctx: Ctx, rotations: unknown[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const upstream = await fetch(`${ctx.url}${req.url}`, { headers: { authorization: String(req.headers.authorization) } });
    let body = await upstream.text();
    if (req.url === '/v1/ledger/keys') body = JSON.stringify({ ...JSON.parse(body), rotations });
    const headers: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'content-encoding') headers[k] = v;
    });
    res.writeHead(upstream.status, headers).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, close: () => new Promise((r) => server.close(() => r())) };
}

// uvu reports a failing hook only as "Exiting early": say why.
test.before(async (ctx) => setUp(ctx).catch((e: unknown) => {
  console.error(e);
  throw e;
}));
async function setUp(ctx: Ctx): Promise<void> {
  ctx.dir = await mkdtemp(join(tmpdir(), 'companyos-verify-rotation-'));
  ctx.memory = await openMemoryLog();
  await migrate(ctx.memory.log.database, readModelMigrations);
  // The first key seals, and signs a checkpoint.
  const first = await openTestApi(ctx.memory.log, { ...ORIGIN, COMPANYOS_SIGNING_KEY: Buffer.from(OTHER_TEST_SEED).toString('base64') });
  ctx.token = await first.token({ subject: 'user:alice', tenant: 'acme', roles: ['editor'], region });
  for (let i = 0; i < 3; i++) await upsert(first, ctx.token, `svc:k1-${i}`);
  await checkpoint(ctx, first);
  await upsert(first, ctx.token, 'svc:k1-3'); // past that checkpoint: only the final checkpoint covers it
  await first.close();
  // The rotation as `keys generate --rotate` makes it: the server is stopped; the retired key stays public only.
  const now = new Date().toISOString();
  const handover = await rotateSigningKey(ctx.memory.log, FIRST, publicKeyEntry(SECOND.publicKey, SECOND.notBefore), 'ledger.test', now);
  const acme = handover.finalCheckpoints.find((c) => c.tenant === 'acme');
  if (acme === undefined) throw new Error('no final checkpoint of acme');
  ctx.finalSize = acme.treeSize;
  const keyringFile = join(ctx.dir, 'keyring.json');
  await writeKeyring(keyringFile, new Keyring([publicKeyEntry(FIRST.publicKey, FIRST.notBefore, now)]));
  // The server restarts with the new key and seals more.
  ctx.api = await openTestApi(ctx.memory.log, { ...ORIGIN, COMPANYOS_KEYRING_FILE: keyringFile, COMPANYOS_TRUSTED_KEYS: b64(FIRST) });
  for (let i = 0; i < 3; i++) await upsert(ctx.api, ctx.token, `svc:k2-${i}`);
  await upsert(ctx.api, ctx.token, 'svc:k1-0'); // a stream both keys sealed on
  ctx.size = await checkpoint(ctx, ctx.api);
  await upsert(ctx.api, ctx.token, 'svc:tail');
  await project(ctx);
  ctx.server = await startHttpServer({ fetch: ctx.api.system.app.fetch, port: 0, hostname: '127.0.0.1' });
  const address = ctx.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  ctx.url = `http://127.0.0.1:${address.port}`;
}
test.after(async (ctx) => {
  await new Promise((r) => ctx.server.close(r));
  await ctx.api.close();
  await ctx.memory.close();
  await rm(ctx.dir, { recursive: true, force: true });
});

test('pinned to the first key only: the rotation is followed, every leaf and checkpoint of both keys verifies', async (ctx) => {
  const r = await verify(ctx, ctx.url, '--trusted-key', b64(FIRST), '--json');
  assert.is(r.error, undefined, r.out);
  assert.is(r.report.ok, true, r.out);
  assert.is(r.report.eventsChecked, ctx.size);
  assert.is(r.report.anchoredSize, ctx.size);
  assert.ok(ctx.finalSize > 0 && ctx.finalSize < ctx.size);
  assert.equal(r.report.keys.map((k: { keyId: string; pinned: boolean; from?: string }) => [k.keyId, k.pinned, k.from]), [[FIRST.keyId, true, undefined], [SECOND.keyId, false, FIRST.keyId]]);
  assert.is(r.report.keys[0].finalCheckpoint, ctx.finalSize);
  assert.ok(r.report.checkpoints >= 3, r.out);
  // Nothing pinned: from the keys the server publishes (the retired one among them), the same verdict, said unpinned.
  const unpinned = await verify(ctx, ctx.url, '--json');
  assert.is(unpinned.report.ok, true, unpinned.out);
  assert.is(unpinned.report.pinned, false);
  // Pinned by its key id (the weaker pin), the same; and the text says which chain it followed.
  const byId = await verify(ctx, ctx.url, '--trusted-key', FIRST.keyId);
  assert.is(byId.error, undefined, byId.out);
  assert.match(byId.out, new RegExp(`^ok: ${ctx.size} events`));
  assert.match(byId.out, new RegExp(`keys: chain from pinned ${FIRST.keyId}: ${FIRST.keyId} \\(retired after checkpoint ${ctx.finalSize}\\) -> ${SECOND.keyId}$`));
});

test('pinned to the new key only: the first key reaches nothing, its events and checkpoints are named', async (ctx) => {
  const r = await verify(ctx, ctx.url, '--trusted-key', b64(SECOND), '--json');
  assert.instance(r.error, ExitCode);
  assert.is(r.report.ok, false);
  const reasons = r.report.failures.map((f: { reason: string }) => f.reason).join('\n');
  assert.match(reasons, new RegExp(`leaf 0 \\(event [0-9a-f-]+\\): signed by ${FIRST.keyId}, a key the chain from the pinned key\\(s\\) does not reach`));
  assert.ok(r.report.failures.some((f: { treeSize?: number; reason: string }) => f.treeSize === ctx.finalSize && /pinned keys/.test(f.reason)), reasons);
  // The new key's own checkpoint still holds.
  assert.is(r.report.anchoredSize, ctx.size);
});

test('a rotation not sealed by a key the auditor reached adds nothing', async (ctx) => {
  // The server shows, in place of the real rotation, one claiming to retire the first key, sealed by another.
  const l = await openMemoryLog();
  try {
    const { appendKeyRotation, keyRotations } = await import('../../commands/rotate-key.js');
    await appendKeyRotation(l.log, ATTACKER, publicKeyEntry(EVIL.publicKey, EVIL.notBefore), new Date().toISOString());
    const [forged] = JSON.parse(JSON.stringify(await keyRotations(l.log))) as { data: Record<string, unknown> }[];
    const claimed = { ...forged!, data: { ...forged!.data, retiredKeyId: FIRST.keyId, retiredPublicKey: b64(FIRST), nextKeyId: SECOND.keyId, nextPublicKey: b64(SECOND) } };
    const proxy = await keysProxy(ctx, [claimed]);
    try {
      const r = await verify(ctx, proxy.url, '--trusted-key', b64(FIRST), '--json');
      assert.instance(r.error, ExitCode);
      assert.equal(r.report.keys.map((k: { keyId: string }) => k.keyId), [FIRST.keyId]);
      assert.match(r.report.failures.map((f: { reason: string }) => f.reason).join('\n'), new RegExp(`signed by ${SECOND.keyId}, a key the chain from the pinned key\\(s\\) does not reach`));
    } finally {
      await proxy.close();
    }
  } finally {
    await l.close();
  }
});

test('receipts carry the sealed rotations: verify-receipt pinned to the first key verifies events of both keys', async (ctx) => {
  const res = await fetch(`${ctx.url}/v1/ledger/receipts?from=0001-01-01T00:00:00.000Z&to=9999-12-31T23:59:59.999Z`, { headers: { authorization: `Bearer ${ctx.token}` } });
  const text = await res.text();
  const bulk = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { event: { id: string; keyId: string }; keys: { rotations?: unknown[] } });
  const byFirst = bulk.find((r) => r.event.keyId === FIRST.keyId)!;
  const bySecond = bulk.find((r) => r.event.keyId === SECOND.keyId)!;
  assert.ok(byFirst !== undefined && bySecond !== undefined);
  const single = (await ctx.api.call('GET', `/v1/ledger/receipts/${byFirst.event.id}`, { token: ctx.token })).body;
  assert.is(single.keys.rotations.length, 1);
  assert.is(single.keys.rotations[0].keyId, FIRST.keyId);
  for (const receipt of [single, bySecond]) {
    const report = await verifyReceipt(receipt, { trustedKeys: [b64(FIRST)] });
    assert.is(report.ok, true, report.problems.join('; '));
    assert.is(report.eventKeyPinned, true);
  }
  // Without the rotations the first key reaches nothing that signed the checkpoint.
  const bare = await verifyReceipt({ ...single, keys: { ...single.keys, rotations: [] } }, { trustedKeys: [b64(FIRST)] });
  assert.match(bare.problems.join('; '), /checkpoint: no signature by a known key .*\(with the pinned keys\)/);
  // The bulk export, from a shell.
  const file = join(ctx.dir, 'receipts.ndjson');
  await writeFile(file, text);
  const out: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => void out.push(parts.join(' '));
  try {
    await verifyReceiptCommand({} as Config, [file, '--trusted-key', FIRST.keyId]);
  } finally {
    console.log = log;
  }
  assert.match(out.join('\n'), new RegExp(`^ok: ${bulk.length} of ${bulk.length} receipts verified against ledger\\.test/acme@${ctx.size}`));
});

test("a server whose keyring holds only its current key still hands out the first key's receipts (the key named by the sealed rotation)", async (ctx) => {
  const bare = await openTestApi(ctx.memory.log, { ...ORIGIN, COMPANYOS_TRUSTED_KEYS: b64(FIRST) });
  try {
    const res = await bare.system.app.request('/v1/ledger/receipts?from=0001-01-01T00:00:00.000Z&to=9999-12-31T23:59:59.999Z', { headers: { authorization: `Bearer ${ctx.token}` } });
    const receipts = (await res.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { event: { keyId: string }; keys: { events: { keyId: string }[] } });
    const byFirst = receipts.find((r) => r.event.keyId === FIRST.keyId)!;
    assert.equal(byFirst.keys.events.map((k) => k.keyId), [FIRST.keyId]);
    const report = await verifyReceipt(byFirst, { trustedKeys: [b64(FIRST)] });
    assert.is(report.ok, true, report.problems.join('; '));
  } finally {
    await bare.close();
  }
});

// Last: it adds a forgery to the log.
test('an event the retired key seals after its final checkpoint is a forgery, whatever its sealedAt says', async (ctx) => {
  const stream = 'acme/graph.node/svc:k1-1';
  const tail = await readTail(ctx.memory.log, stream);
  const id = randomUUID();
  const [sealed] = sealOntoTail(
    { stream, tail, ids: [id], tenant: 'acme', region, sealedAt: '2021-06-01T00:00:00Z', meta: makeUnsealed().meta, bodies: [{ type: 'graph.node.upserted', schemaVersion: 1, data: { n: id } }] },
    FIRST,
  );
  await appendSealed(ctx.memory.log, tail, [sealed!]);
  const size = await checkpoint(ctx, ctx.api);
  const r = await verify(ctx, ctx.url, '--trusted-key', b64(FIRST), '--json');
  assert.instance(r.error, ExitCode);
  assert.is(r.report.anchoredSize, size);
  const failure = r.report.failures.find((f: { eventId?: string }) => f.eventId === id);
  assert.ok(failure !== undefined, r.out);
  assert.match(failure.reason, new RegExp(`^leaf \\d+ \\(event ${id}\\): signed by retired key ${FIRST.keyId} beyond its final checkpoint ${ctx.finalSize} \\(retired at [^)]+\\): a forgery, whatever its sealedAt says$`));
  assert.is(r.report.failures.length, 1, r.out);
});

test.run();
