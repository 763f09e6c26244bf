// `companyos verify --remote` against a live server: the system on PGlite behind a real HTTP listener, the
// verifier talking to it over HTTP only. An honest server verifies (every leaf, every checkpoint, the pinned
// key, a kept checkpoint); a server in the middle that drops one event from its receipts export, or answers a
// later event twice, is caught with the leaf named; a key not pinned, or a kept checkpoint larger than
// anything the server now holds (a rollback), fails; usage mistakes are usage errors.
import { createPrivateKey, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startHttpServer } from '../../adapters/http/server.js';
import { formatCheckpoint } from '../../ledger/checkpoint-note.js';
import { ed25519NoteSigner, parseVerifierString, signNote } from '../../ledger/signed-note.js';
import type { Config } from '../../schemas/config.js';
import { openReadModelBed, type ReadModelBed } from '../../test/read-model-bed.js';
import { TEST_SEED } from '../../test/test-events.js';
import { ExitCode, UsageError } from './failures.js';
import { verifyCommand } from './verify.js';

interface Ctx {
  bed: ReadModelBed;
  server: Server;
  url: string;
  dir: string;
  logKey: string;
  /** The log key as an operator pins it: base64 of its 32 bytes. */
  pin: string;
  firstNote: string;
  size: number;
}

const test = suite<Ctx>('companyos verify --remote', {} as Ctx);
const region = 'us-east';

async function checkpoint(ctx: Ctx): Promise<string> {
  await ctx.bed.project();
  const checkpointer = ctx.bed.api.system.startCheckpointer({ intervalMs: 3_600_000, lockRetryMs: 10 });
  const deadline = Date.now() + 10_000;
  while (!checkpointer.status().active && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await checkpointer.checkpointNow();
  await ctx.bed.project();
  return (await ctx.bed.api.call('GET', '/v1/ledger/checkpoint', { token: ctx.bed.token })).body as string;
}

async function upsert(ctx: Ctx, id: string): Promise<void> {
  await ctx.bed.command('graph.node.upsert', { id, type: 'Service', region, attributes: {}, provenance: { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' } });
}

/** Runs the command in this process: what it printed, and what it threw. */
async function verify(ctx: Ctx, url: string, ...argv: string[]): Promise<{ out: string; err: string; error?: unknown }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...parts: unknown[]) => void out.push(parts.join(' '));
  console.error = (...parts: unknown[]) => void err.push(parts.join(' '));
  try {
    await verifyCommand({} as Config, ['--remote', url, ...argv], { COMPANYOS_TOKEN: ctx.bed.token });
    return { out: out.join('\n'), err: err.join('\n') };
  } catch (thrown) {
    return { out: out.join('\n'), err: err.join('\n'), error: thrown };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

/** A server in the middle: passes every call to the live one, rewriting the receipts export's lines with `edit`. */
async function tamperingProxy(ctx: Ctx, edit: (lines: string[]) => string[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const upstream = await fetch(`${ctx.url}${req.url}`, { headers: { authorization: String(req.headers.authorization) } });
    let body = await upstream.text();
    if (req.url?.startsWith('/v1/ledger/receipts?')) body = edit(body.split('\n').filter((l) => l !== '')).map((l) => `${l}\n`).join('');
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

test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'companyos-verify-remote-'));
  ctx.bed = await openReadModelBed({ COMPANYOS_LOG_ORIGIN: 'ledger.test' });
  ctx.server = await startHttpServer({ fetch: ctx.bed.api.system.app.fetch, port: 0, hostname: '127.0.0.1' });
  const address = ctx.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  ctx.url = `http://127.0.0.1:${address.port}`;
  const keys = (await ctx.bed.api.call('GET', '/v1/ledger/keys')).body.keys;
  ctx.logKey = keys[0].noteVerifier;
  ctx.pin = keys[0].publicKey;
  for (let i = 0; i < 3; i++) await upsert(ctx, `svc:r${i}`);
  ctx.firstNote = await checkpoint(ctx);
  for (let i = 3; i < 6; i++) await upsert(ctx, `svc:r${i}`);
  await upsert(ctx, 'svc:r1'); // a second event on a stream: the chain is checked across leaves
  const latest = await checkpoint(ctx);
  ctx.size = Number(latest.split('\n')[1]);
  await upsert(ctx, 'svc:tail'); // after the latest checkpoint: the unanchored tail
  await ctx.bed.project();
});
test.after(async (ctx) => {
  await new Promise((r) => ctx.server.close(r));
  await ctx.bed.close();
  await rm(ctx.dir, { recursive: true, force: true });
});

test('an honest server verifies over HTTP with the pinned key: every leaf, both checkpoints, the tail counted', async (ctx) => {
  const r = await verify(ctx, ctx.url, '--trusted-key', ctx.pin, '--tenant', 'acme', '--json');
  assert.is(r.error, undefined, `${String(r.error)} ${r.out}`);
  const report = JSON.parse(r.out);
  assert.is(report.ok, true, r.out);
  assert.is(report.origin, 'ledger.test/acme');
  assert.is(report.eventsChecked, ctx.size);
  assert.is(report.anchoredSize, ctx.size);
  assert.is(report.checkpoints, 2);
  assert.ok(report.unanchored >= 1, r.out);
  assert.is(report.pinned, true);
  assert.ok(report.streamsChecked >= 6, r.out);
  const text = await verify(ctx, ctx.url, '--trusted-key', ctx.pin);
  assert.is(text.error, undefined);
  assert.match(text.out, new RegExp(`^ok: ${ctx.size} events in \\d+ streams of ledger\\.test/acme verified over HTTP; checkpoint ${ctx.size} holds \\(2 checked\\); \\d+ after it unanchored \\(not verified\\)`));
  assert.match(text.out, /keys: chain from pinned ed25519:[0-9a-f]{16}: ed25519:[0-9a-f]{16}$/m);
  // Without a pinned key it still runs, and says what that proves.
  const unpinned = await verify(ctx, ctx.url);
  assert.is(unpinned.error, undefined);
  assert.match(unpinned.out, /keys: none pinned/);
});

test('a kept checkpoint holds; one larger than the server now holds (a rollback) fails, naming it', async (ctx) => {
  const kept = join(ctx.dir, 'kept.note');
  await writeFile(kept, ctx.firstNote);
  const ok = await verify(ctx, ctx.url, '--trusted-key', ctx.pin, '--trusted-checkpoint', kept);
  assert.is(ok.error, undefined, ok.out);
  assert.match(ok.out, new RegExp(`the trusted checkpoint ${ctx.firstNote.split('\n')[1]} holds`));
  // A note the same key signed at a larger size: what a client kept before the server was rolled back.
  const parsed = parseVerifierString(ctx.logKey);
  if (!parsed.ok) throw new Error(parsed.reason);
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(TEST_SEED)]), format: 'der', type: 'pkcs8' });
  const signer = ed25519NoteSigner(parsed.value.name, parsed.value.publicKey, (m) => new Uint8Array(sign(null, m, key)));
  const later = join(ctx.dir, 'later.note');
  await writeFile(later, signNote(formatCheckpoint({ origin: 'ledger.test/acme', size: ctx.size + 40, root: new Uint8Array(32).fill(9), extensions: [] }), [signer]));
  const rolled = await verify(ctx, ctx.url, '--trusted-key', ctx.pin, '--trusted-checkpoint', later);
  assert.instance(rolled.error, ExitCode);
  assert.is((rolled.error as ExitCode).code, 1);
  assert.match(rolled.out, new RegExp(`broken: trusted checkpoint ${ctx.size + 40}: the server's latest checkpoint is ${ctx.size}, smaller: the log was rolled back or truncated`));
});

test('a server that drops one event from its answer is caught, the leaf named; one that answers an event twice too', async (ctx) => {
  const dropped = await tamperingProxy(ctx, (lines) => lines.filter((l) => JSON.parse(l).leafIndex !== 2));
  try {
    const r = await verify(ctx, dropped.url, '--trusted-key', ctx.pin, '--json');
    assert.instance(r.error, ExitCode);
    const report = JSON.parse(r.out);
    assert.is(report.ok, false);
    assert.is(report.failures[0].leafIndex, 2);
    assert.match(report.failures[0].reason, /^leaf 2 is missing from the server's answer/);
    // The tree stops at the gap: no checkpoint past it verifies.
    assert.is(report.anchoredSize, 0);
    const text = await verify(ctx, dropped.url, '--trusted-key', ctx.pin);
    assert.match(text.out, /^broken: leaf 2 is missing from the server's answer/);
  } finally {
    await dropped.close();
  }
  // Leaf 3's receipt answered again in leaf 2's place, renumbered: its own proof fails, and the tree does not match.
  const swapped = await tamperingProxy(ctx, (lines) => lines.map((l) => {
    const r = JSON.parse(l);
    if (r.leafIndex !== 2) return l;
    const three = JSON.parse(lines.find((x) => JSON.parse(x).leafIndex === 3)!);
    return JSON.stringify({ ...three, leafIndex: 2 });
  }));
  try {
    const r = await verify(ctx, swapped.url, '--trusted-key', ctx.pin, '--json');
    assert.instance(r.error, ExitCode);
    const report = JSON.parse(r.out);
    assert.ok(report.failures.some((f: { leafIndex?: number; reason: string }) => f.leafIndex === 2 && /inclusion proof/.test(f.reason)), r.out);
    assert.ok(report.failures.some((f: { reason: string }) => /not what it committed to/.test(f.reason)), r.out);
  } finally {
    await swapped.close();
  }
});

test('a key not pinned verifies nothing: every checkpoint is named', async (ctx) => {
  const other = Buffer.from(new Uint8Array(32).fill(7)).toString('base64');
  const r = await verify(ctx, ctx.url, '--trusted-key', other, '--json');
  assert.instance(r.error, ExitCode);
  const report = JSON.parse(r.out);
  assert.is(report.anchoredSize, 0);
  assert.ok(report.failures.some((f: { treeSize?: number; reason: string }) => f.treeSize === ctx.size && /pinned keys/.test(f.reason)), r.out);
});

test('usage: --remote needs an http(s) URL and a token, and checks a whole tenant', async (ctx) => {
  assert.instance((await verify(ctx, 'ftp://x')).error, UsageError);
  assert.instance((await verify(ctx, ctx.url, '--stream', 'acme/graph/x')).error, UsageError);
  const noToken = await verifyCommand({} as Config, ['--remote', ctx.url], {}).catch((e: unknown) => e);
  assert.instance(noToken, UsageError);
  assert.match(String((noToken as Error).message), /COMPANYOS_TOKEN/);
});

test.run();
