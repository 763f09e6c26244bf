// Interoperability: Go's reference implementations judge what our modules make. Checkpoint notes open with
// golang.org/x/mod/sumdb/note (and a cosignature line rides along as an unknown signature); inclusion and
// consistency proofs verify with golang.org/x/mod/sumdb/tlog, which also computes the same root from the
// leaves; and Go's verdict equals ours on every corrupted proof. Needs `go` (Debian: golang-go,
// golang-golang-x-mod-dev, which .ci/run installs); without it the suite prints that it did not run.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import nacl from 'tweetnacl';
import { toBase64 } from '../../ledger/bytes.js';
import { cosigner } from '../../ledger/cosignature.js';
import {
  assembleProof,
  consistencyProofPlan,
  inclusionProofPlan,
  leafHash,
  rootOf,
  rootPlan,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from '../../ledger/merkle.js';
import { parseNote, signNote } from '../../ledger/signed-note.js';
import { receiptFixture } from '../receipt-fixtures.js';
import { OTHER_TEST_SEED, testSigningKey } from '../test-events.js';

const test = suite('Go interop (sumdb/note, sumdb/tlog)');
const root = resolve(import.meta.dirname, '../..');

function goVersion(): string | undefined {
  try {
    return execFileSync('go', ['version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

const version = goVersion();
let work: string;
let checker: string;

interface Verdict {
  notes: { ok: boolean; error?: string; text?: string; verified?: string[]; unverified?: string[] }[];
  inclusion: boolean[];
  consistency: boolean[];
  root?: string;
}

function ask(request: object): Promise<Verdict> {
  return new Promise((done, fail) => {
    const child = execFile(checker, [], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`go-checker: ${stderr || error.message}`));
      else done(JSON.parse(stdout) as Verdict);
    });
    child.stdin!.end(JSON.stringify(request));
  });
}

const fixture = receiptFixture(5, 7); // 35 leaves
const size = fixture.events.length;
const rootAt = (m: number): Hash => rootOf(rootPlan(m).map(fixture.lookup));
const flipped = (h: Hash): Hash => {
  const out = h.slice();
  out[0]! ^= 1;
  return out;
};

if (version === undefined) {
  test('Go interop did not run: `go` is not on PATH (apt-get install golang-go golang-golang-x-mod-dev)', () => {
    console.log('  skipped: go not on PATH');
  });
} else {
  test.before(() => {
    work = mkdtempSync(join(tmpdir(), 'companyos-go-checker-'));
    checker = join(work, 'go-checker');
    execFileSync('go', ['build', '-o', checker, './test/go-checker'], {
      cwd: root,
      env: { ...process.env, GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOCACHE: join(work, 'cache'), GOFLAGS: '' },
      stdio: 'pipe',
    });
  });
  test.after(() => rmSync(work, { recursive: true, force: true }));

  test(`${version}: our checkpoint notes open with sumdb/note; forged ones do not`, async () => {
    const witness = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(5));
    const witnessSigner = cosigner('witness.test/w1', witness.publicKey, (m) => nacl.sign.detached(m, witness.secretKey), () => 1765000000);
    const parsed = parseNote(fixture.checkpoint);
    assert.ok(parsed.ok);
    const text = parsed.ok ? parsed.value.text : '';
    const cosigned = signNote(text, [witnessSigner], parsed.ok ? parsed.value.signatures : []);
    const intruder = receiptFixture(5, 7, testSigningKey(OTHER_TEST_SEED));
    const verdict = await ask({
      verifierKeys: [fixture.verifierKey],
      notes: [fixture.checkpoint, cosigned, fixture.checkpoint.replace(`\n${size}\n`, `\n${size + 1}\n`), intruder.checkpoint],
    });
    const [plain, withWitness, edited, foreign] = verdict.notes as [Verdict['notes'][number], Verdict['notes'][number], Verdict['notes'][number], Verdict['notes'][number]];
    assert.ok(plain.ok, plain.error);
    assert.is(plain.text, text);
    assert.equal(plain.verified, ['ledger.test/acme']);
    assert.ok(withWitness.ok, withWitness.error);
    assert.equal(withWitness.unverified, ['witness.test/w1']);
    assert.not.ok(edited.ok);
    assert.not.ok(foreign.ok);
  });

  test('tlog computes our root from the same leaves', async () => {
    const verdict = await ask({ leaves: fixture.events.map((e) => Buffer.from(e.hash, 'hex').toString('base64')) });
    assert.is(verdict.root, toBase64(fixture.root));
  });

  test('every inclusion proof at several sizes verifies with tlog.CheckRecord; Go and we agree on corrupted ones', async () => {
    const cases: { leaf: Hash; index: number; size: number; proof: Hash[]; root: Hash }[] = [];
    for (const m of [1, 2, 7, 16, 17, 33, size]) {
      for (let i = 0; i < m; i++) {
        const plan = inclusionProofPlan(i, m);
        const proof = assembleProof(plan, plan.nodes.map(fixture.lookup));
        const leaf = fixture.lookup({ level: 0, index: i });
        cases.push({ leaf, index: i, size: m, proof, root: rootAt(m) });
        if (proof.length > 0) cases.push({ leaf, index: i, size: m, proof: [...proof.slice(0, -1), flipped(proof.at(-1)!)], root: rootAt(m) });
        cases.push({ leaf: flipped(leaf), index: i, size: m, proof, root: rootAt(m) });
      }
    }
    const verdict = await ask({
      inclusion: cases.map((c) => ({ leafHash: toBase64(c.leaf), index: c.index, size: c.size, proof: c.proof.map(toBase64), root: toBase64(c.root) })),
    });
    const ours = cases.map((c) => verifyInclusion(c.leaf, c.index, c.size, c.proof, c.root));
    assert.equal(verdict.inclusion, ours);
    assert.ok(ours.filter(Boolean).length > 100 && ours.some((x) => !x));
    // Leaf hashes are RFC 6962's, as tlog's RecordHash computes them.
    assert.equal(fixture.lookup({ level: 0, index: 3 }), leafHash(Buffer.from(fixture.events[3]!.hash, 'hex')));
  });

  test('every consistency proof verifies with tlog.CheckTree; Go and we agree on corrupted ones', async () => {
    const cases: { from: number; to: number; proof: Hash[]; root1: Hash; root2: Hash }[] = [];
    for (const to of [2, 8, 13, size]) {
      for (let from = 1; from <= to; from++) {
        const plan = consistencyProofPlan(from, to);
        const proof = assembleProof(plan, plan.nodes.map(fixture.lookup));
        cases.push({ from, to, proof, root1: rootAt(from), root2: rootAt(to) });
        if (proof.length > 0) cases.push({ from, to, proof: [flipped(proof[0]!), ...proof.slice(1)], root1: rootAt(from), root2: rootAt(to) });
        if (from < to) cases.push({ from, to, proof, root1: flipped(rootAt(from)), root2: rootAt(to) });
      }
    }
    const verdict = await ask({
      consistency: cases.map((c) => ({ from: c.from, to: c.to, proof: c.proof.map(toBase64), root1: toBase64(c.root1), root2: toBase64(c.root2) })),
    });
    const ours = cases.map((c) => verifyConsistency(c.from, c.to, c.proof, c.root1, c.root2));
    assert.equal(verdict.consistency, ours);
    assert.ok(ours.filter(Boolean).length > 50 && ours.some((x) => !x));
  });
}

test.run();
