// `companyos witness` against a live server: the system on PGlite behind a real HTTP listener, the witness
// talking to it over HTTP only. It pins the log key (only when told to trust on first use), cosigns, and the
// server then serves the checkpoint with the witness's line, which opens with the witness's verifier key; it
// follows the tree as it grows (a consistency proof each time), also without --once. A server that answers
// an earlier checkpoint (a rollback: a lying server, and the live one with its later checkpoints deleted),
// another root at the same size, or a larger tree that does not extend the one it held (a fork) is refused:
// one line naming both sizes, exit 1 as a process. Receipts carry the cosigned note, which the offline
// verifier checks with the witness's key. After a rotation of the log's key, a checkpoint by the new
// key is refused until the rotation sealed by the pinned key is published, then the new key is pinned. The
// server keeps cosignatures only by the witnesses its operator configured, over checkpoints it issued.
import { execFile } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startHttpServer } from '../../adapters/http/server.js';
import { checkpointFile, defaultKeyFile, loadWitnessKey, logKeyFile, type WitnessKey } from '../../commands/witness-state.js';
import { WitnessRefusal } from '../../commands/witness.js';
import { toBase64 } from '../../ledger/bytes.js';
import { formatCheckpoint, parseCheckpoint } from '../../ledger/checkpoint-note.js';
import { COSIGNATURE_V1 } from '../../ledger/cosignature.js';
import { openCheckpointNote, verifyReceipts } from '../../ledger/offline-verifier.js';
import { ED25519_NOTE, ed25519NoteSigner, parseNote, parseVerifierString, signNote, verifierString } from '../../ledger/signed-note.js';
import type { Config } from '../../schemas/config.js';
import { openReadModelBed, type ReadModelBed } from '../../test/read-model-bed.js';
import { OTHER_TEST_SEED, TEST_SEED, testSigningKey } from '../../test/test-events.js';
import { openMemoryLog } from '../../test/logs.js';
import { publicKeyEntry } from '../../ledger/index.js';
import { appendKeyRotation, keyRotations } from '../../commands/rotate-key.js';
import { ExitCode, UsageError } from './failures.js';
import { verifyCommand } from './verify.js';
import { witnessCommand } from './witness.js';

interface Ctx {
  bed: ReadModelBed;
  server: Server;
  url: string;
  state: string;
  witness: WitnessKey;
  /** The log's note verifier key (GET /v1/ledger/keys). */
  logKey: string;
  nodes: number;
  /** The acme tree's size at the first and at the second checkpoint (checkpoint events are leaves too). */
  sizes: number[];
}

const test = suite<Ctx>('companyos witness', {} as Ctx);
const region = 'us-east';

/** Appends `count` events to acme, projects, signs a checkpoint, projects it in. */
async function grow(ctx: Ctx, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await ctx.bed.command('graph.node.upsert', { id: `svc:w${ctx.nodes++}`, type: 'Service', region, attributes: {}, provenance: { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' } });
  }
  await ctx.bed.project();
  const checkpointer = ctx.bed.api.system.startCheckpointer({ intervalMs: 3_600_000, lockRetryMs: 10 });
  const deadline = Date.now() + 10_000;
  while (!checkpointer.status().active && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await checkpointer.checkpointNow();
  await ctx.bed.project();
  const note = (await ctx.bed.api.call('GET', '/v1/ledger/checkpoint', { token: ctx.bed.token })).body as string;
  const text = parseNote(note);
  const body = text.ok ? parseCheckpoint(text.value.text) : undefined;
  if (count > 0 && body?.ok) ctx.sizes.push(body.value.size);
}

/** Runs the witness in this process: what it printed, or what it threw. */
async function witness(ctx: Ctx, url: string, ...argv: string[]): Promise<{ out: string; err: string; error?: unknown }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...parts: unknown[]) => void out.push(parts.join(' '));
  console.error = (...parts: unknown[]) => void err.push(parts.join(' '));
  try {
    await witnessCommand({} as Config, ['--url', url, '--tenant', 'acme', '--state', ctx.state, '--once', ...argv], { COMPANYOS_TOKEN: ctx.bed.token });
    return { out: out.join('\n'), err: err.join('\n') };
  } catch (thrown) {
    return { out: out.join('\n'), err: err.join('\n'), error: thrown };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

const latest = async (ctx: Ctx) => (await ctx.bed.api.call('GET', '/v1/ledger/checkpoint', { token: ctx.bed.token })).body as string;

/** The log's key from TEST_SEED, to sign checkpoints a lying server answers with. */
function logSigner(ctx: Ctx) {
  const parsed = parseVerifierString(ctx.logKey);
  if (!parsed.ok) throw new Error(parsed.reason);
  const key = privateKeyOf(TEST_SEED);
  return ed25519NoteSigner(parsed.value.name, parsed.value.publicKey, (m) => new Uint8Array(sign(null, m, key)));
}

const privateKeyOf = (seed: Uint8Array) =>
  createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)]), format: 'der', type: 'pkcs8' });

/** A server that answers the witness with `note`, an empty consistency proof and `keys`, and takes any cosignature. */
async function lyingServer(note: string, keys: unknown = { keys: [], rotations: [] }): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url === '/v1/ledger/keys') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keys));
    if (req.url === '/v1/ledger/checkpoint') return void res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(note);
    if (req.url?.startsWith('/v1/ledger/proofs/consistency')) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ hashes: [] }));
    res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, close: () => new Promise((r) => server.close(() => r())) };
}

test.before(async (ctx) => {
  ctx.state = await mkdtemp(join(tmpdir(), 'companyos-witness-'));
  // The witness's key exists before the server starts: its operator configures the witness's verifier key.
  ctx.witness = (await loadWitnessKey(defaultKeyFile(ctx.state), 'witness.test')).key;
  ctx.bed = await openReadModelBed({ COMPANYOS_LOG_ORIGIN: 'ledger.test', COMPANYOS_WITNESSES: ctx.witness.verifier });
  ctx.nodes = 0;
  ctx.sizes = [];
  ctx.server = await startHttpServer({ fetch: ctx.bed.api.system.app.fetch, port: 0, hostname: '127.0.0.1' });
  const address = ctx.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  ctx.url = `http://127.0.0.1:${address.port}`;
  ctx.logKey = (await ctx.bed.api.call('GET', '/v1/ledger/keys')).body.keys[0].noteVerifier;
  await grow(ctx, 3);
});
test.after(async (ctx) => {
  await new Promise((r) => ctx.server.close(r));
  await ctx.bed.close();
  await rm(ctx.state, { recursive: true, force: true });
});

test('witness key prints the verifier key of the key in the state directory (the one the operator configured)', async (ctx) => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => void lines.push(parts.join(' '));
  try {
    await witnessCommand({} as Config, ['key', '--state', ctx.state]);
  } finally {
    console.log = log;
  }
  assert.equal(lines, [ctx.witness.verifier]);
});

test('no log key pinned: a usage error, unless told --log-key or --trust-on-first-use; nothing is cosigned', async (ctx) => {
  const r = await witness(ctx, ctx.url);
  assert.instance(r.error, UsageError);
  assert.match(String((r.error as Error).message), /no log key pinned .*--log-key .*--trust-on-first-use/);
  assert.not.match(await latest(ctx), /witness\.test/);
});

test('it pins the key on first use (saying so), cosigns, and the server serves the note with the witness line', async (ctx) => {
  const r = await witness(ctx, ctx.url, '--trust-on-first-use');
  assert.is(r.error, undefined, String(r.error));
  assert.match(r.err, /pinned log key ledger\.test\+[0-9a-f]{8}\+\S+ on first use/);
  assert.is((await readFile(logKeyFile(ctx.state), 'utf8')).trim(), ctx.logKey);
  const note = await latest(ctx);
  const served = await openCheckpointNote(note, [ctx.logKey], 'ledger.test/acme');
  assert.ok(served.ok && served.value.checkpoint.size === ctx.sizes[0]);
  assert.is(r.out, `cosigned ledger.test/acme size ${ctx.sizes[0]} root ${toBase64(served.value.checkpoint.root)}`);
  // The served note: the log's signature, then the witness's, which opens with the witness's verifier key.
  // The list serves each note as the latest does, cosignatures included.
  const list = await ctx.bed.api.call('GET', '/v1/ledger/checkpoints?fromSize=0', { token: ctx.bed.token });
  assert.is(list.body.checkpoints.find((c: { treeSize: number }) => c.treeSize === ctx.sizes[0]).note, note);
  const overHttp = await fetch(`${ctx.url}/v1/ledger/checkpoint`, { headers: { authorization: `Bearer ${ctx.bed.token}` } });
  assert.is(await overHttp.text(), note);
  const lines = note.trimEnd().split('\n');
  assert.match(lines.at(-1)!, /^— witness\.test /);
  const byWitness = await openCheckpointNote(note, [ctx.witness.verifier], 'ledger.test/acme');
  assert.ok(byWitness.ok, byWitness.ok ? '' : byWitness.reason);
  assert.equal(byWitness.value.signedBy, [ctx.witness.verifier.split('+').slice(0, 2).join('+')]);
  const both = await openCheckpointNote(note, [ctx.logKey, ctx.witness.verifier]);
  assert.ok(both.ok && both.value.signedBy.length === 2);
  // State: the accepted checkpoint as the log signed it; the witness key private to its owner.
  const kept = await readFile(checkpointFile(ctx.state), 'utf8');
  assert.ok((await openCheckpointNote(kept, [ctx.logKey], 'ledger.test/acme')).ok);
  assert.not.match(kept, /witness\.test/);
  assert.is((await stat(defaultKeyFile(ctx.state))).mode & 0o777, 0o600);
  // Another tenant's checkpoint carries no acme witness line.
  const beta = await ctx.bed.api.token({ subject: 'user:bob', tenant: 'beta', roles: ['editor'], region });
  await ctx.bed.api.call('POST', '/v1/commands/graph.node.upsert', { token: beta, body: { id: 'svc:b', type: 'Service', region, attributes: {}, provenance: { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' } } });
  await grow(ctx, 0);
  assert.not.match((await ctx.bed.api.call('GET', '/v1/ledger/checkpoint', { token: beta })).body, /witness\.test/);
});

test('it follows the tree as it grows: the pinned key, a consistency proof from the last accepted size', async (ctx) => {
  await grow(ctx, 2);
  const r = await witness(ctx, ctx.url);
  assert.is(r.error, undefined, String(r.error));
  assert.ok(ctx.sizes[1]! > ctx.sizes[0]!);
  assert.match(r.out, new RegExp(`^cosigned ledger\\.test/acme size ${ctx.sizes[1]} root `));
  const note = await latest(ctx);
  const opened = await openCheckpointNote(note, [ctx.witness.verifier], 'ledger.test/acme');
  assert.ok(opened.ok && opened.value.checkpoint.size === ctx.sizes[1]);
  // Again with nothing new: the same checkpoint, cosigned once (one witness line).
  assert.is((await witness(ctx, ctx.url)).error, undefined);
  assert.is((await latest(ctx)).split('\n— witness.test ').length, 2);
  // --log-key must be a log key (not a witness key) of the pinned keys' name; one that is, is pinned beside them.
  assert.instance((await witness(ctx, ctx.url, '--log-key', ctx.witness.verifier)).error, UsageError);
  const otherLog = verifierString('other.log', ED25519_NOTE, new Uint8Array(32).fill(3));
  assert.instance((await witness(ctx, ctx.url, '--log-key', otherLog)).error, UsageError);
  const nextKey = verifierString('ledger.test', ED25519_NOTE, new Uint8Array(32).fill(3));
  const added = await witness(ctx, ctx.url, '--log-key', nextKey);
  assert.is(added.error, undefined, String(added.error));
  assert.equal((await readFile(logKeyFile(ctx.state), 'utf8')).trim().split('\n'), [ctx.logKey, nextKey]);
});

test("receipts carry the checkpoint with the witness's line; the offline verifier checks it with the witness key", async (ctx) => {
  const leaves = await fetch(`${ctx.url}/v1/ledger/receipts?from=0001-01-01T00:00:00.000Z&to=9999-12-31T23:59:59.999Z`, { headers: { authorization: `Bearer ${ctx.bed.token}` } });
  const bulk = (await leaves.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { event: { id: string }; checkpoint: string });
  assert.ok(bulk.length > 0);
  const note = await latest(ctx);
  assert.match(note, /\n— witness\.test /);
  for (const r of bulk) assert.is(r.checkpoint, note);
  const one = (await ctx.bed.api.call('GET', `/v1/ledger/receipts/${bulk[0]!.event.id}`, { token: ctx.bed.token })).body;
  assert.is(one.checkpoint, note);
  const witnessLabel = ctx.witness.verifier.split('+').slice(0, 2).join('+');
  const [checked] = await verifyReceipts([one], { trustedKeys: [ctx.logKey], witnessKeys: [ctx.witness.verifier] });
  assert.is(checked!.ok, true, checked!.problems.join('; '));
  assert.equal(checked!.witnessedBy, [witnessLabel]);
  // Another witness the user requires, which did not cosign: the receipt fails, naming the one that did.
  const other = verifierString('witness.other', COSIGNATURE_V1, new Uint8Array(32).fill(5));
  const [short] = await verifyReceipts([one], { trustedKeys: [ctx.logKey], witnessKeys: [ctx.witness.verifier, other] });
  assert.equal(short!.problems, [`checkpoint cosigned by 1 of the 2 witness key(s) given (${witnessLabel}), fewer than the 2 required`]);
  // An auditor over HTTP requires the witness too, and is told once (not at every leaf) when it is short.
  const parsedLogKey = parseVerifierString(ctx.logKey);
  if (!parsedLogKey.ok) throw new Error(parsedLogKey.reason);
  const logPublicKey = toBase64(parsedLogKey.value.publicKey);
  const remote = async (...argv: string[]) => {
    const out: string[] = [];
    const log = console.log;
    console.log = (...parts: unknown[]) => void out.push(parts.join(' '));
    try {
      await verifyCommand({} as Config, ['--remote', ctx.url, '--trusted-key', logPublicKey, ...argv], { COMPANYOS_TOKEN: ctx.bed.token });
      return { out: out.join('\n'), code: 0 };
    } catch (error) {
      return { out: out.join('\n'), code: error instanceof ExitCode ? error.code : -1, error };
    } finally {
      console.log = log;
    }
  };
  const witnessed = await remote('--witness-key', ctx.witness.verifier);
  assert.is(witnessed.code, 0, witnessed.out);
  assert.match(witnessed.out, new RegExp(`^ok: .*; cosigned by ${witnessLabel.replace('+', '\\+')}$`, 'm'));
  const lacking = await remote('--witness-key', ctx.witness.verifier, '--witness-key', other, '--json');
  assert.is(lacking.code, 1);
  const report = JSON.parse(lacking.out);
  assert.equal(report.witnessedBy, [witnessLabel]);
  assert.equal(report.failures.map((f: { reason: string }) => f.reason), [`latest checkpoint: checkpoint cosigned by 1 of the 2 witness key(s) given (${witnessLabel}), fewer than the 2 required`]);
  assert.is((await remote('--witness-key', ctx.witness.verifier, '--min-witnesses', '2')).error instanceof UsageError, true);
});

test('a rollback: a server answering an earlier checkpoint is refused, naming both sizes', async (ctx) => {
  const first = (await ctx.bed.api.call('GET', '/v1/ledger/checkpoints?fromSize=0', { token: ctx.bed.token })).body.checkpoints[0].note as string;
  const liar = await lyingServer(first);
  try {
    const r = await witness(ctx, liar.url);
    assert.instance(r.error, WitnessRefusal);
    assert.match((r.error as Error).message, new RegExp(`^log rolled back: had size ${ctx.sizes[1]} root \\S+, server now says size ${ctx.sizes[0]} root \\S+$`));
    // The witness keeps what it accepted: still the larger.
    const kept = await openCheckpointNote(await readFile(checkpointFile(ctx.state), 'utf8'), [ctx.logKey]);
    assert.ok(kept.ok && kept.value.checkpoint.size === ctx.sizes[1]);
  } finally {
    await liar.close();
  }
});

test('a fork: another root at the same size, or a larger tree that does not extend the held one, is refused', async (ctx) => {
  const forged = (size: number) => signNote(formatCheckpoint({ origin: 'ledger.test/acme', size, root: new Uint8Array(32).fill(7), extensions: [] }), [logSigner(ctx)]);
  const held = ctx.sizes[1]!;
  for (const [size, expected] of [
    [held, new RegExp(`^fork at size ${held}: had root \\S+, server now says root BwcH\\S+$`)],
    [held + 3, new RegExp(`^fork at size ${held}: the consistency proof from size ${held} to size ${held + 3} fails \\(had root \\S+, server now says size ${held + 3} root BwcH\\S+\\)$`)],
  ] as const) {
    const liar = await lyingServer(forged(size));
    try {
      const r = await witness(ctx, liar.url);
      assert.instance(r.error, WitnessRefusal, String(r.error));
      assert.match((r.error as Error).message, expected);
    } finally {
      await liar.close();
    }
  }
});

test('as a process: a rollback exits 1 with one line naming the sizes', async (ctx) => {
  const first = (await ctx.bed.api.call('GET', '/v1/ledger/checkpoints?fromSize=0', { token: ctx.bed.token })).body.checkpoints[0].note as string;
  const liar = await lyingServer(first);
  try {
    const cli = resolve(import.meta.dirname, '../companyos.js');
    const args = [cli, 'witness', '--url', liar.url, '--tenant', 'acme', '--state', ctx.state, '--once'];
    const r = await promisify(execFile)(process.execPath, args, { env: { ...process.env, COMPANYOS_TOKEN: ctx.bed.token } }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    assert.is(r.code, 1);
    assert.match(r.stderr, new RegExp(`^companyos: log rolled back: had size ${ctx.sizes[1]} root \\S+, server now says size ${ctx.sizes[0]} root \\S+$`, 'm'));
  } finally {
    await liar.close();
  }
});

test('the server keeps cosignatures only by a configured witness, over a checkpoint it issued', async (ctx) => {
  const note = await latest(ctx);
  const parsed = parseNote(note);
  assert.ok(parsed.ok);
  const logOnly = parsed.value.signatures.filter((s) => s.name === 'ledger.test');
  const stranger = (await loadWitnessKey(join(ctx.state, 'stranger.json'), 'stranger')).key;
  const post = (checkpoint: string) => ctx.bed.api.call('POST', '/v1/ledger/checkpoints/cosignatures', { token: ctx.bed.token, body: { checkpoint } });
  const unknown = await post(signNote(parsed.value.text, [stranger.signer], logOnly));
  assert.is(unknown.status, 403);
  assert.is(unknown.body.code, 'unknown-witness');
  // The configured witness, over a checkpoint the server never issued (another root at the same size).
  const text = formatCheckpoint({ origin: 'ledger.test/acme', size: ctx.sizes[1]!, root: new Uint8Array(32).fill(9), extensions: [] });
  const invented = await post(signNote(text, [ctx.witness.signer]));
  assert.is(invented.status, 422);
  assert.is(invented.body.code, 'cosignature-invalid');
  // A line that claims the configured witness but does not verify.
  const good = signNote(parsed.value.text, [ctx.witness.signer], logOnly);
  const broken = good.replace(/(— witness\.test \S{20})(\S)/, (_, head: string, c: string) => head + (c === 'A' ? 'B' : 'A'));
  const bad = await post(broken);
  assert.is(bad.status, 422);
  assert.is(bad.body.code, 'cosignature-invalid');
  const ok = await post(good);
  assert.is(ok.status, 201);
  assert.equal(ok.body, { treeSize: ctx.sizes[1], witnesses: [ctx.witness.verifier.split('+').slice(0, 2).join('+')] });
  assert.not.match(await latest(ctx), /stranger/);
});

test('without --once it follows: each grown checkpoint cosigned as it appears, until SIGTERM', async (ctx) => {
  const out: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...parts: unknown[]) => void out.push(parts.join(' '));
  console.error = () => {};
  try {
    const following = witnessCommand({} as Config, ['--url', ctx.url, '--tenant', 'acme', '--state', ctx.state, '--interval', '0.02'], { COMPANYOS_TOKEN: ctx.bed.token });
    let failed: unknown;
    following.catch((e: unknown) => void (failed = e));
    const until = async (what: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!what() && failed === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.is(failed, undefined);
    };
    await grow(ctx, 2);
    const size = ctx.sizes.at(-1)!;
    await until(() => out.some((l) => l.startsWith(`cosigned ledger.test/acme size ${size} `)));
    assert.ok(out.some((l) => l.startsWith(`cosigned ledger.test/acme size ${size} `)), out.join('\n'));
    process.emit('SIGTERM');
    await following;
    const served = await openCheckpointNote(await latest(ctx), [ctx.witness.verifier], 'ledger.test/acme');
    assert.ok(served.ok && served.value.checkpoint.size === size);
  } finally {
    [console.log, console.error] = [log, error];
  }
});

test("after a rotation of the log's key: refused until the key's sealed rotation is published, then followed", async (ctx) => {
  // The server's key (TEST_SEED) hands over to NEXT, sealed on a log of its own; the witness's held checkpoint
  // stays the live one, re-signed by NEXT (same size and root: nothing to prove but the signature).
  const NEXT = testSigningKey(OTHER_TEST_SEED);
  const rotationLog = await openMemoryLog();
  const nextNote = verifierString('ledger.test', ED25519_NOTE, NEXT.publicKey);
  try {
    await appendKeyRotation(rotationLog.log, testSigningKey(), publicKeyEntry(NEXT.publicKey, NEXT.notBefore), new Date().toISOString());
    const rotations = JSON.parse(JSON.stringify(await keyRotations(rotationLog.log))) as unknown[];
    const held = parseNote(await readFile(checkpointFile(ctx.state), 'utf8'));
    assert.ok(held.ok);
    const byNext = signNote(held.value.text, [ed25519NoteSigner('ledger.test', NEXT.publicKey, (m) => new Uint8Array(sign(null, m, privateKeyOf(OTHER_TEST_SEED))))]);
    const unpublished = await lyingServer(byNext);
    try {
      const r = await witness(ctx, unpublished.url);
      assert.instance(r.error, WitnessRefusal);
      assert.match((r.error as Error).message, /^checkpoint refused: no signature by a known key/);
    } finally {
      await unpublished.close();
    }
    const published = await lyingServer(byNext, { keys: [], rotations });
    try {
      const r = await witness(ctx, published.url);
      assert.is(r.error, undefined, String(r.error));
      assert.match(r.err, new RegExp(`pinned log key ${nextNote.replaceAll('+', '\\+')}: the rotation to it is sealed by ${ctx.logKey.replaceAll('+', '\\+')}`));
      assert.ok((await readFile(logKeyFile(ctx.state), 'utf8')).split('\n').includes(nextNote));
    } finally {
      await published.close();
    }
  } finally {
    await rotationLog.close();
  }
});

test('the live server rolled back (its later checkpoints gone from the store): the witness refuses, naming both sizes', async (ctx) => {
  const had = ctx.sizes.at(-1)!;
  await ctx.bed.sql('DELETE FROM ${schema}.tree_checkpoints WHERE tenant = $1 AND tree_size > $2', ['acme', String(ctx.sizes[0])]);
  const r = await witness(ctx, ctx.url);
  assert.instance(r.error, WitnessRefusal);
  assert.match((r.error as Error).message, new RegExp(`^log rolled back: had size ${had} root \\S+, server now says size ${ctx.sizes[0]} root \\S+$`));
});

test.run();
