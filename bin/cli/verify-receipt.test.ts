// `companyos verify-receipt`: a receipt and a bulk NDJSON export verified with the offline verifier alone;
// a forged receipt exits 1 naming the problem; unpinned results say so; bad input is a usage error. With
// --witness-key the witnesses' cosignature lines are checked, --min-witnesses of them needed (default all).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Config } from '../../schemas/config.js';
import { loadWitnessKey, type WitnessKey } from '../../commands/witness-state.js';
import { parseNote, signNote } from '../../ledger/signed-note.js';
import { receiptFixture } from '../../test/receipt-fixtures.js';
import { OTHER_TEST_SEED, testSigningKey } from '../../test/test-events.js';
import { ExitCode, UsageError } from './failures.js';
import { verifyReceiptCommand } from './verify-receipt.js';

const test = suite('companyos verify-receipt');
const fixture = receiptFixture(2, 3);
let dir: string;
let witnesses: WitnessKey[];

/** Runs the command, returning its exit code and what it printed. */
async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  return runWith({ trustedKeys: [] }, ...argv);
}

async function runWith(config: Partial<Config>, ...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => void lines.push(parts.join(' '));
  try {
    await verifyReceiptCommand(config as Config, argv);
    return { code: 0, out: lines.join('\n') };
  } catch (error) {
    if (error instanceof ExitCode) return { code: error.code, out: lines.join('\n') };
    if (error instanceof UsageError) return { code: 2, out: error.message };
    throw error;
  } finally {
    console.log = log;
  }
}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'companyos-verify-receipt-'));
  await writeFile(join(dir, 'one.json'), JSON.stringify(fixture.receipts[2]));
  await writeFile(join(dir, 'all.ndjson'), fixture.receipts.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const forged = { ...fixture.receipts[4]!, event: { ...fixture.receipts[4]!.event, data: { forged: true } } };
  await writeFile(join(dir, 'forged.json'), JSON.stringify(forged));
  await writeFile(join(dir, 'intruder.json'), JSON.stringify(receiptFixture(2, 3, testSigningKey(OTHER_TEST_SEED)).receipts[0]));
  await writeFile(join(dir, 'garbage.ndjson'), '{}\nnot json\n');
  witnesses = await Promise.all(['witness.one', 'witness.two'].map(async (name) => (await loadWitnessKey(join(dir, `${name}.json`), name)).key));
  const note = parseNote(fixture.checkpoint);
  if (!note.ok) throw new Error(note.reason);
  const cosigned = signNote(note.value.text, [witnesses[0]!.signer], note.value.signatures);
  await writeFile(join(dir, 'cosigned.ndjson'), fixture.receipts.map((r) => JSON.stringify({ ...r, checkpoint: cosigned })).join('\n') + '\n');
});
test.after(() => rm(dir, { recursive: true, force: true }));

test('a receipt verifies against the pinned log key', async () => {
  const { code, out } = await run(join(dir, 'one.json'), '--trusted-key', fixture.verifierKey);
  assert.is(code, 0, out);
  assert.match(out, /^ok: event \S+ is leaf 2 of ledger\.test\/acme at size 6; checkpoint signed by ledger\.test\/acme\+/);
  assert.not.match(out, /not pinned/);
});

test('without --trusted-key it verifies but says the keys are not pinned', async () => {
  const { code, out } = await run(join(dir, 'one.json'));
  assert.is(code, 0);
  assert.match(out, /not pinned/);
});

test('COMPANYOS_TRUSTED_KEYS pins when no --trusted-key is given (a key id or a base64 key)', async () => {
  const pinned = await runWith({ trustedKeys: [fixture.key.keyId] }, join(dir, 'one.json'));
  assert.is(pinned.code, 0, pinned.out);
  assert.not.match(pinned.out, /not pinned/);
  const other = await runWith({ trustedKeys: [testSigningKey(OTHER_TEST_SEED).keyId] }, join(dir, 'one.json'));
  assert.is(other.code, 1);
  assert.match(other.out, /no signature by a known key/);
});

test('a bulk export verifies; --json reports each receipt', async () => {
  const { code, out } = await run(join(dir, 'all.ndjson'), '--trusted-key', fixture.verifierKey);
  assert.is(code, 0, out);
  assert.match(out, /ok: 6 of 6 receipts verified against ledger\.test\/acme@6/);
  const json = await run(join(dir, 'all.ndjson'), '--trusted-key', fixture.verifierKey, '--json');
  const report = JSON.parse(json.out) as { ok: boolean; receipts: number; reports: unknown[] };
  assert.ok(report.ok);
  assert.is(report.reports.length, 6);
});

test('a forged event, or a checkpoint by a key not pinned, exits 1 naming why', async () => {
  const forged = await run(join(dir, 'forged.json'), '--trusted-key', fixture.verifierKey);
  assert.is(forged.code, 1);
  assert.match(forged.out, /invalid: .*hash mismatch/);
  const intruder = await run(join(dir, 'intruder.json'), '--trusted-key', fixture.verifierKey);
  assert.is(intruder.code, 1);
  assert.match(intruder.out, /no signature by a known key/);
});

test('--witness-key: the witnesses who cosigned are named; fewer than --min-witnesses (default all given) exits 1', async () => {
  const [one, two] = witnesses as [WitnessKey, WitnessKey];
  const file = join(dir, 'cosigned.ndjson');
  const ok = await run(file, '--trusted-key', fixture.verifierKey, '--witness-key', one.verifier);
  assert.is(ok.code, 0, ok.out);
  assert.match(ok.out, new RegExp(`^ok: 6 of 6 receipts verified against ledger\\.test/acme@6; cosigned by witness\\.one\\+[0-9a-f]{8}$`, 'm'));
  const both = await run(file, '--trusted-key', fixture.verifierKey, '--witness-key', one.verifier, '--witness-key', two.verifier);
  assert.is(both.code, 1);
  assert.match(both.out, /checkpoint cosigned by 1 of the 2 witness key\(s\) given \(witness\.one\+[0-9a-f]{8}\), fewer than the 2 required/);
  const either = await run(file, '--trusted-key', fixture.verifierKey, '--witness-key', one.verifier, '--witness-key', two.verifier, '--min-witnesses', '1', '--json');
  assert.is(either.code, 0, either.out);
  assert.is(JSON.parse(either.out).reports[0].witnessedBy.length, 1);
  // Not cosigned at all.
  assert.is((await run(join(dir, 'one.json'), '--trusted-key', fixture.verifierKey, '--witness-key', one.verifier)).code, 1);
  assert.match((await run(file, '--witness-key', 'nonsense')).out, /^--witness-key: /);
  assert.match((await run(file, '--witness-key', one.verifier, '--min-witnesses', '2')).out, /^--min-witnesses: /);
  assert.match((await run(file, '--min-witnesses', 'x')).out, /^--min-witnesses: /);
});

test('usage mistakes are one line, exit 2', async () => {
  assert.is((await run()).code, 2);
  assert.match((await run(join(dir, 'missing.json'))).out, /no such file/);
  assert.match((await run(join(dir, 'one.json'), '--trusted-key', 'nonsense')).out, /--trusted-key/);
  assert.match((await run(join(dir, 'garbage.ndjson'))).out, /line 2 is not JSON/);
  assert.is((await run(join(dir, 'one.json'), '--bogus')).code, 2);
});

test('as a user runs it: companyos verify-receipt, exit 0 and 1', async () => {
  const cli = resolve(import.meta.dirname, '../companyos.js');
  const { stdout } = await promisify(execFile)(process.execPath, [cli, 'verify-receipt', join(dir, 'one.json'), '--trusted-key', fixture.verifierKey]);
  assert.match(stdout, /^ok: event .* is leaf 2 of ledger\.test\/acme at size 6/);
  const forged = await promisify(execFile)(process.execPath, [cli, 'verify-receipt', join(dir, 'forged.json')]).then(
    () => ({ code: 0, stdout: '' }),
    (e: { code: number; stdout: string }) => e,
  );
  assert.is(forged.code, 1);
  assert.match(forged.stdout, /hash mismatch/);
});

test.run();
