// The Merkle tree against the transparency-dev/merkle vectors (every happy path verifies, every corrupted
// proof is refused) and against a naive recursive RFC 6962 tree for every size 1..70.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBase64, toHex, utf8 } from './bytes.js';
import {
  assembleProof,
  CompactRange,
  consistencyProofPlan,
  emptyRoot,
  inclusionProofPlan,
  leafHash,
  leavesOf,
  nodeHash,
  ProvenTree,
  rootOf,
  rootPlan,
  verifyConsistency,
  verifyInclusion,
  type Hash,
  type Subtree,
} from './merkle.js';

const test = suite('ledger/merkle');
const vectors = resolve(import.meta.dirname, '../test/vectors/merkle');

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : name.endsWith('.json') ? [path] : [];
    });
}

// Vector bytes are base64 but not always 32 bytes ("V3JvbmdSb290"); Buffer decodes them all as upstream does.
const b64 = (s: string): Hash => new Uint8Array(Buffer.from(s, 'base64'));
const proofOf = (p: string[] | null): Hash[] => (p ?? []).map(b64);

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  wantErr: boolean;
}
interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  wantErr: boolean;
}

const inclusionFiles = filesUnder(join(vectors, 'inclusion'));
const consistencyFiles = filesUnder(join(vectors, 'consistency'));

test('the vectors are present: both kinds, happy paths and corrupted proofs', () => {
  assert.ok(inclusionFiles.length > 50, `inclusion vectors: ${inclusionFiles.length}`);
  assert.ok(consistencyFiles.length > 50, `consistency vectors: ${consistencyFiles.length}`);
});

test('every inclusion vector: happy paths verify, every corrupted proof is refused', () => {
  let happy = 0;
  for (const file of inclusionFiles) {
    const v = JSON.parse(readFileSync(file, 'utf8')) as InclusionVector;
    const ok = verifyInclusion(b64(v.leafHash), v.leafIdx, v.treeSize, proofOf(v.proof), b64(v.root));
    assert.is(ok, !v.wantErr, relative(vectors, file));
    if (!v.wantErr) happy++;
  }
  assert.ok(happy >= 5);
});

test('every consistency vector: happy paths verify, every corrupted proof is refused', () => {
  let happy = 0;
  for (const file of consistencyFiles) {
    const v = JSON.parse(readFileSync(file, 'utf8')) as ConsistencyVector;
    const ok = verifyConsistency(v.size1, v.size2, proofOf(v.proof), b64(v.root1), b64(v.root2));
    assert.is(ok, !v.wantErr, relative(vectors, file));
    if (!v.wantErr) happy++;
  }
  assert.ok(happy >= 5);
});

// RFC 6962 §2.1, written as the RFC reads: the reference the fast code is checked against.
function largestPowerBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function mth(d: readonly Hash[]): Hash {
  if (d.length === 0) return emptyRoot();
  if (d.length === 1) return d[0]!;
  const k = largestPowerBelow(d.length);
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}
function naivePath(m: number, d: readonly Hash[]): Hash[] {
  if (d.length <= 1) return [];
  const k = largestPowerBelow(d.length);
  return m < k ? [...naivePath(m, d.slice(0, k)), mth(d.slice(k))] : [...naivePath(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function naiveSubproof(m: number, d: readonly Hash[], b: boolean): Hash[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = largestPowerBelow(d.length);
  return m <= k
    ? [...naiveSubproof(m, d.slice(0, k), b), mth(d.slice(k))]
    : [...naiveSubproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

const leaves: Hash[] = Array.from({ length: 70 }, (_, i) => leafHash(utf8(`event ${i}`)));
const hex = (hs: readonly Hash[]): string[] => hs.map(toHex);

/** Every perfect subtree of the first `size` leaves, as a store would hold them, built by the appender. */
function storeOf(size: number): { range: CompactRange; lookup: (s: Subtree) => Hash } {
  const range = new CompactRange();
  const stored = new Map<string, Hash>();
  for (let i = 0; i < size; i++) {
    for (const c of range.append(leaves[i]!)) {
      const key = `${c.level}/${c.index}`;
      assert.not.ok(stored.has(key), `subtree ${key} reported twice`);
      const { first, count } = leavesOf(c);
      assert.is(toHex(c.hash), toHex(mth(leaves.slice(first, first + count))), `subtree ${key} hash`);
      stored.set(key, c.hash);
    }
  }
  return {
    range,
    lookup: (s) => {
      const h = stored.get(`${s.level}/${s.index}`);
      if (h === undefined) throw new Error(`plan asks for ${s.level}/${s.index}, which a tree of ${size} has not completed`);
      return h;
    },
  };
}

test('empty tree: root is SHA-256 of nothing, leaf and node hashes carry their prefixes', () => {
  assert.is(toHex(emptyRoot()), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.is(toHex(new CompactRange().root()), toHex(emptyRoot()));
  assert.is(toHex(rootOf([])), toHex(emptyRoot()));
  // RFC 6962 test data: the leaf hash of the empty input.
  assert.is(toHex(leafHash(new Uint8Array(0))), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  assert.is.not(toHex(nodeHash(leaves[0]!, leaves[1]!)), toHex(nodeHash(leaves[1]!, leaves[0]!)));
});

test('sizes 1..70: appender roots, root plans, inclusion and consistency proofs equal the naive RFC tree', () => {
  for (let size = 1; size <= 70; size++) {
    const d = leaves.slice(0, size);
    const { range, lookup } = storeOf(size);
    const root = mth(d);
    assert.is(toHex(range.root()), toHex(root), `appender root at ${size}`);
    assert.is(toHex(rootOf(rootPlan(size).map(lookup))), toHex(root), `planned root at ${size}`);
    assert.is(toHex(CompactRange.resume(size, range.edge()).root()), toHex(root), `resumed root at ${size}`);
    for (let m = 0; m < size; m++) {
      const plan = inclusionProofPlan(m, size);
      const proof = assembleProof(plan, plan.nodes.map(lookup));
      assert.equal(hex(proof), hex(naivePath(m, d)), `inclusion ${m} in ${size}`);
      assert.ok(verifyInclusion(d[m]!, m, size, proof, root), `inclusion ${m} in ${size} verifies`);
      assert.not.ok(verifyInclusion(d[m]!, m, size, proof, mth(leaves.slice(0, size - 1))), `wrong root ${m}/${size}`);
      if (size > 1) assert.not.ok(verifyInclusion(d[(m + 1) % size]!, m, size, proof, root), `other leaf ${m}/${size}`);
      assert.not.ok(verifyInclusion(d[m]!, m, size, [...proof, d[m]!], root), `extra element ${m}/${size}`);
    }
    for (let from = 1; from <= size; from++) {
      const plan = consistencyProofPlan(from, size);
      const proof = assembleProof(plan, plan.nodes.map(lookup));
      assert.equal(hex(proof), hex(naiveSubproof(from, d, true)), `consistency ${from}→${size}`);
      const root1 = mth(leaves.slice(0, from));
      assert.ok(verifyConsistency(from, size, proof, root1, root), `consistency ${from}→${size} verifies`);
      if (from < size) {
        // A history that differs in one leaf before `from` is not consistent.
        const forged = mth([leafHash(utf8('forged')), ...leaves.slice(1, from)]);
        assert.not.ok(verifyConsistency(from, size, proof, forged, root), `forged ${from}→${size}`);
        const dropped = proof.slice(0, -1);
        assert.not.ok(verifyConsistency(from, size, dropped, root1, root), `truncated ${from}→${size}`);
      }
    }
  }
});

test('ProvenTree gives verifyInclusion verdicts for every leaf, genuine and corrupted, in any order', () => {
  for (let size = 1; size <= 40; size++) {
    const d = leaves.slice(0, size);
    const { lookup } = storeOf(size);
    const root = mth(d);
    const tree = new ProvenTree(size, root);
    // Odd order, corrupted proofs interleaved with genuine ones, so corrupted ones meet proven nodes.
    for (let step = 0; step < size; step++) {
      const m = (step * 7 + 3) % size;
      const plan = inclusionProofPlan(m, size);
      const proof = assembleProof(plan, plan.nodes.map(lookup));
      const cases: [Hash, number, Hash[]][] = [
        [d[m]!, m, proof],
        [d[(m + 1) % size]!, m, proof],
        [d[m]!, (m + 1) % size, proof],
        [d[m]!, m, proof.map((p, i) => (i === 0 ? nodeHash(p, p) : p))],
        [d[m]!, m, [...proof, d[m]!]],
        [d[m]!, m, proof.slice(1)],
      ];
      for (const [leaf, index, path] of cases) {
        const want = verifyInclusion(leaf, index, size, path, root);
        assert.is(tree.verifyInclusion(leaf, index, path), want, `size ${size} leaf ${m} case index ${index}`);
      }
    }
  }
});

test('ProvenTree: a forged path that meets an already proven node is refused there, and proves nothing for later proofs', () => {
  const size = 8;
  const d = leaves.slice(0, size);
  const { lookup } = storeOf(size);
  const tree = new ProvenTree(size, mth(d));
  const proofOf = (m: number) => {
    const plan = inclusionProofPlan(m, size);
    return assembleProof(plan, plan.nodes.map(lookup));
  };
  assert.ok(tree.verifyInclusion(d[0]!, 0, proofOf(0))); // proves (0,2), (0,4) and the root's children
  const wrong = nodeHash(d[5]!, d[6]!);
  // Leaf 1: its first node is (0,2), proven, and a wrong sibling gives it another hash.
  assert.not.ok(tree.verifyInclusion(d[1]!, 1, [wrong, ...proofOf(1).slice(1)]));
  // Leaf 2: (2,4) is new and computes right; the forged sibling (0,2) then meets the proven (0,4) with a wrong hash.
  assert.not.ok(tree.verifyInclusion(d[2]!, 2, [proofOf(2)[0]!, wrong, proofOf(2)[2]!]));
  // A wrong leaf whose path is genuine meets proven nodes too.
  assert.not.ok(tree.verifyInclusion(wrong, 3, proofOf(3)));
  // Nothing the refused proofs computed was kept: a forged (2,4) does not now pass, genuine proofs still do.
  assert.not.ok(tree.verifyInclusion(wrong, 2, [d[3]!, ...proofOf(2).slice(1)]));
  for (let m = 0; m < size; m++) assert.ok(tree.verifyInclusion(d[m]!, m, proofOf(m)), `leaf ${m}`);
  for (let m = 0; m < size; m++) assert.not.ok(tree.verifyInclusion(d[m]!, m, proofOf((m + 1) % size)), `leaf ${m} with another's path`);
});

test('plans ask for perfect subtrees only, each once', () => {
  const plan = inclusionProofPlan(5, 70);
  const keys = plan.nodes.map((s) => `${s.level}/${s.index}`);
  assert.is(new Set(keys).size, keys.length);
  for (const s of plan.nodes) {
    const { first, count } = leavesOf(s);
    assert.ok(first + count <= 70 && first % count === 0, `${s.level}/${s.index} is perfect and inside`);
  }
  // 70 = 64 + 4 + 2: the right-edge sibling of the first 64 is folded from two perfect subtrees.
  assert.equal(plan.shape, [1, 1, 1, 1, 1, 1, 2]);
  assert.equal(rootPlan(70), [
    { level: 6, index: 0 },
    { level: 2, index: 16 },
    { level: 1, index: 34 },
  ]);
});

test('appender reports the leaf and every subtree it completes', () => {
  const range = new CompactRange();
  for (let i = 0; i < 7; i++) range.append(leaves[i]!);
  assert.equal(
    range.append(leaves[7]!).map(({ level, index }) => ({ level, index })),
    [
      { level: 0, index: 7 },
      { level: 1, index: 3 },
      { level: 2, index: 1 },
      { level: 3, index: 0 },
    ],
  );
  assert.is(range.size, 8);
});

test('refuses impossible requests', () => {
  assert.throws(() => inclusionProofPlan(3, 3), /not in a tree/);
  assert.throws(() => consistencyProofPlan(0, 3), /0 < from/);
  assert.throws(() => consistencyProofPlan(4, 3), /0 < from/);
  assert.throws(() => rootPlan(-1), /non-negative/);
  assert.not.ok(verifyInclusion(leaves[0]!, 0, 0, [], emptyRoot()));
  assert.not.ok(verifyInclusion(leaves[0]!, -1, 2, [leaves[1]!], nodeHash(leaves[0]!, leaves[1]!)));
  assert.not.ok(verifyConsistency(0, 0, [], emptyRoot(), emptyRoot()));
  assert.ok(fromBase64('AA==') !== undefined);
});

test.run();
