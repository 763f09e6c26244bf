// The README's receipt example (the ```js block under "Offline, with tools we did not write") runs as written
// against a live server: its code, at most a dozen lines, with only the offline verifier bundled beside it
// (esbuild, as the README shows), in a plain Node process. The test supplies what the README leaves to the
// reader: BASE, token, eventId, and the log key it pins (its LOG_KEY line, replaced by the server's key).
// Pinned to another key, the same code throws.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startHttpServer } from '../adapters/http/server.js';
import { ED25519_NOTE, verifierString } from '../ledger/signed-note.js';
import { openReadModelBed, type ReadModelBed } from './read-model-bed.js';

const root = resolve(import.meta.dirname, '..');
const LOG_KEY_LINE = /^const LOG_KEY = '[^']*';$/m;

interface Ctx {
  bed: ReadModelBed;
  server: Server;
  dir: string;
  code: string;
  base: string;
  eventId: string;
  logKey: string;
}

const test = suite<Ctx>("README: the receipt example runs with the offline verifier alone", {} as Ctx);

/** The README's ```js block that verifies a receipt with the bundled offline verifier. */
function receiptExample(readme: string): string {
  const blocks = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  const found = blocks.filter((b) => b.includes("from './offline-verifier.js'") && b.includes('verifyReceipt('));
  if (found.length !== 1) throw new Error(`README: expected one js block verifying a receipt with ./offline-verifier.js, found ${found.length}`);
  return found[0]!;
}

async function runExample(ctx: Ctx, logKey: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(ctx.dir, `example-${Math.random().toString(36).slice(2)}.mjs`);
  const given = `const BASE = ${JSON.stringify(ctx.base)};\nconst token = ${JSON.stringify(ctx.bed.token)};\nconst eventId = ${JSON.stringify(ctx.eventId)};\n`;
  await writeFile(file, given + ctx.code.replace(LOG_KEY_LINE, `const LOG_KEY = ${JSON.stringify(logKey)};`));
  return promisify(execFile)(process.execPath, [file], { cwd: ctx.dir }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

test.before(async (ctx) => {
  ctx.code = receiptExample(await readFile(join(root, 'README.md'), 'utf8'));
  ctx.dir = await mkdtemp(join(tmpdir(), 'companyos-readme-receipt-'));
  // The bundle the README tells the reader to build, beside the example.
  await build({ entryPoints: [join(root, 'ledger/offline-verifier.ts')], bundle: true, format: 'esm', platform: 'browser', minify: true, outfile: join(ctx.dir, 'offline-verifier.js'), logLevel: 'silent' });
  ctx.bed = await openReadModelBed({ COMPANYOS_LOG_ORIGIN: 'ledger.test' });
  ctx.server = await startHttpServer({ fetch: ctx.bed.api.system.app.fetch, port: 0, hostname: '127.0.0.1' });
  const address = ctx.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  ctx.base = `http://127.0.0.1:${address.port}`;
  const created = await ctx.bed.command('graph.node.upsert', { id: 'svc:readme', type: 'Service', region: 'us-east', attributes: {}, provenance: { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' } });
  ctx.eventId = created.body.events[0].id;
  await ctx.bed.project();
  const checkpointer = ctx.bed.api.system.startCheckpointer({ intervalMs: 3_600_000, lockRetryMs: 10 });
  const deadline = Date.now() + 10_000;
  while (!checkpointer.status().active && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await checkpointer.checkpointNow();
  await ctx.bed.project();
  ctx.logKey = (await ctx.bed.api.call('GET', '/v1/ledger/keys')).body.keys[0].noteVerifier;
});
test.after(async (ctx) => {
  await new Promise((r) => ctx.server.close(r));
  await ctx.bed.close();
  await rm(ctx.dir, { recursive: true, force: true });
});

test('the example is a dozen lines of code at most, and pins the log key on its own line', (ctx) => {
  const lines = ctx.code.split('\n').filter((l) => l.trim() !== '');
  assert.ok(lines.length <= 12, `${lines.length} lines:\n${ctx.code}`);
  assert.match(ctx.code, LOG_KEY_LINE);
});

test('pinned to the server key it prints the event, its leaf, the log and the size; pinned to another it throws', async (ctx) => {
  const ok = await runExample(ctx, ctx.logKey);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`^event ${ctx.eventId} is leaf \\d+ of ledger\\.test/acme at size \\d+\\n$`));
  const other = verifierString('ledger.test', ED25519_NOTE, new Uint8Array(32).fill(4));
  const refused = await runExample(ctx, other);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /no signature by a known key/);
});

test.run();
