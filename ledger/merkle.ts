// RFC 6962 / RFC 9162 Merkle tree over a tenant's event hashes: hashing, proofs, their verification and an
// in-memory appender. Pure (no Node API), so the offline verifier and a browser run it too.
//
// Every hash a proof or a root needs is a fold of PERFECT subtrees (2^level leaves, aligned), named by
// (level, index): level 0 index i is leaf i's hash; (level, index) covers leaves [index·2^level,
// (index+1)·2^level). A perfect subtree never changes once complete, so a store keeps exactly those; a
// plan lists the ones a proof needs (one query), and `assembleProof` folds the non-perfect right-edge
// nodes from them. Sizes and indexes are plain numbers: exact up to 2^53 leaves (no 32-bit shifts here).
import { equalBytes } from './bytes.js';
import { sha256, sha256Tagged } from './sha256.js';

export type Hash = Uint8Array;

/** A perfect subtree: level 0 = leaf hashes. */
export interface Subtree {
  readonly level: number;
  readonly index: number;
}

export interface CompletedSubtree extends Subtree {
  readonly hash: Hash;
}

/**
 * The perfect subtrees a proof needs, in `nodes` (distinct, in the order `assembleProof` reads them), and
 * `shape[i]`: how many consecutive nodes fold (right to left) into proof element i.
 */
export interface ProofPlan {
  readonly nodes: readonly Subtree[];
  readonly shape: readonly number[];
}

const EMPTY_ROOT = sha256(new Uint8Array(0));

/** The root of the empty tree: SHA-256 of no bytes. */
export function emptyRoot(): Hash {
  return EMPTY_ROOT.slice();
}

/** SHA-256(0x00 ‖ input). */
export function leafHash(input: Uint8Array): Hash {
  return sha256Tagged(0, input);
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  return sha256Tagged(1, left, right);
}

/** The leaves a perfect subtree covers: [first, first + count). */
export function leavesOf(s: Subtree): { first: number; count: number } {
  const count = 2 ** s.level;
  return { first: s.index * count, count };
}

/** The perfect subtrees of [0, size), left to right (largest first): the nodes a root is folded from. */
export function rootPlan(size: number): Subtree[] {
  checkSize(size, 'size');
  return perfectCover(0, size);
}

/** The root from the hashes of `rootPlan(size)`, in its order; the empty root when there are none. */
export function rootOf(hashes: readonly Hash[]): Hash {
  if (hashes.length === 0) return emptyRoot();
  return foldRight(hashes, 0, hashes.length);
}

/** Subtrees for the inclusion proof of leaf `leafIndex` in the tree of `treeSize` leaves (RFC 9162 §2.1.3.1). */
export function inclusionProofPlan(leafIndex: number, treeSize: number): ProofPlan {
  checkSize(treeSize, 'treeSize');
  checkSize(leafIndex, 'leafIndex');
  if (leafIndex >= treeSize) throw new RangeError(`inclusion proof: leaf ${leafIndex} is not in a tree of ${treeSize}`);
  const ranges: [number, number][] = [];
  // PATH(m, D[lo:hi]), leaf to root: the inner path first, then the sibling range at this split.
  const path = (m: number, lo: number, hi: number): void => {
    if (hi - lo <= 1) return;
    const k = largestPowerOfTwoBelow(hi - lo);
    if (m < k) {
      path(m, lo, lo + k);
      ranges.push([lo + k, hi]);
    } else {
      path(m - k, lo + k, hi);
      ranges.push([lo, lo + k]);
    }
  };
  path(leafIndex, 0, treeSize);
  return planOf(ranges);
}

/** Subtrees for the consistency proof between sizes `from` and `to` (RFC 9162 §2.1.4.1); 0 < from ≤ to. */
export function consistencyProofPlan(from: number, to: number): ProofPlan {
  checkSize(from, 'from');
  checkSize(to, 'to');
  if (from === 0 || from > to) throw new RangeError(`consistency proof: needs 0 < from ≤ to, got ${from} and ${to}`);
  const ranges: [number, number][] = [];
  // SUBPROOF(m, D[lo:hi], b)
  const sub = (m: number, lo: number, hi: number, complete: boolean): void => {
    if (m === hi - lo) {
      if (!complete) ranges.push([lo, hi]);
      return;
    }
    const k = largestPowerOfTwoBelow(hi - lo);
    if (m <= k) {
      sub(m, lo, lo + k, complete);
      ranges.push([lo + k, hi]);
    } else {
      sub(m - k, lo + k, hi, false);
      ranges.push([lo, lo + k]);
    }
  };
  sub(from, 0, to, true);
  return planOf(ranges);
}

/** The proof (hashes in RFC order) from the hashes of `plan.nodes`, given in the same order. */
export function assembleProof(plan: ProofPlan, hashes: readonly Hash[]): Hash[] {
  if (hashes.length !== plan.nodes.length) {
    throw new RangeError(`assembleProof: the plan has ${plan.nodes.length} nodes, got ${hashes.length} hashes`);
  }
  const proof: Hash[] = [];
  let at = 0;
  for (const n of plan.shape) {
    proof.push(foldRight(hashes, at, at + n));
    at += n;
  }
  return proof;
}

/** RFC 9162 §2.1.3.2. True when `proof` shows `leaf` (a leaf hash) at `index` in the tree of `size` with `root`. */
export function verifyInclusion(leaf: Hash, index: number, size: number, proof: readonly Hash[], root: Hash): boolean {
  if (!isSize(index) || !isSize(size) || index >= size) return false;
  if (leaf.length !== 32 || root.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(r, root);
}

/**
 * RFC 9162 §2.1.4.2. True when `proof` shows the tree of size `from` with `root1` is a prefix of the tree of
 * size `to` with `root2`. Equal sizes need an empty proof and equal roots; a proof from the empty tree is
 * refused (it would prove nothing, and RFC 9162 defines none).
 */
export function verifyConsistency(from: number, to: number, proof: readonly Hash[], root1: Hash, root2: Hash): boolean {
  if (!isSize(from) || !isSize(to) || from === 0 || from > to) return false;
  if (from === to) return proof.length === 0 && equalBytes(root1, root2);
  if (proof.length === 0 || root1.length !== 32 || root2.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  const path = isPowerOfTwo(from) ? [root1, ...proof] : [...proof];
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(fr, root1) && equalBytes(sr, root2);
}

/**
 * Many inclusion proofs against one tree (a bulk export of receipts): every node a verified proof
 * computed is remembered as proven, so a later proof stops as soon as it reaches a proven node (equal:
 * included; different: refused). Same verdicts as `verifyInclusion`, a fraction of the hashing.
 */
export class ProvenTree {
  // Keyed by the node's leaf range [lo, hi) as one number, lo · 64 + depth (depth ≤ 53 below the root
  // names hi), while that is exact; a string beyond. No string or object per level on the hot path.
  readonly #proven = new Map<number | string, Hash>();
  readonly #numeric: boolean;

  constructor(
    readonly size: number,
    readonly root: Hash,
  ) {
    this.#numeric = Number.isSafeInteger(size * 64);
  }

  verifyInclusion(leaf: Hash, index: number, proof: readonly Hash[]): boolean {
    const size = this.size;
    if (!isSize(index) || !isSize(size) || index >= size) return false;
    if (leaf.length !== 32 || this.root.length !== 32 || proof.some((p) => p.length !== 32)) return false;
    // The nodes above the leaf, root to leaf: each one's key and whether its other child is on the left.
    const keys: (number | string)[] = [];
    const siblingLeft: boolean[] = [];
    let lo = 0;
    let hi = size;
    while (hi - lo > 1) {
      const k = largestPowerOfTwoBelow(hi - lo);
      keys.push(this.#numeric ? lo * 64 + keys.length : `${lo}:${hi}`);
      siblingLeft.push(index >= lo + k);
      if (index < lo + k) hi = lo + k;
      else lo += k;
    }
    if (proof.length !== keys.length) return false;
    const computed: Hash[] = [];
    let h = leaf;
    for (let i = keys.length - 1, p = 0; i >= 0; i--, p++) {
      h = siblingLeft[i] ? nodeHash(proof[p]!, h) : nodeHash(h, proof[p]!);
      const known = this.#proven.get(keys[i]!);
      if (known !== undefined) {
        if (!equalBytes(known, h)) return false;
        this.#remember(keys, computed);
        return true;
      }
      computed.push(h);
    }
    if (!equalBytes(h, this.root)) return false;
    this.#remember(keys, computed);
    return true;
  }

  /** `computed[j]`: the hash of the node `j` levels above the leaf, whose key is `keys[keys.length - 1 - j]`. */
  #remember(keys: readonly (number | string)[], computed: readonly Hash[]): void {
    for (let j = 0; j < computed.length; j++) this.#proven.set(keys[keys.length - 1 - j]!, computed[j]!);
  }
}

/**
 * The right edge of a growing tree (a compact range): one hash per perfect subtree of [0, size). `append`
 * returns every perfect subtree the new leaf completed, the leaf itself first, for a store to persist.
 */
export class CompactRange {
  readonly #levels: number[] = [];
  readonly #hashes: Hash[] = [];
  #size = 0;

  /** Resumes a tree of `size` leaves from the hashes of `rootPlan(size)`, in its order. */
  static resume(size: number, hashes: readonly Hash[]): CompactRange {
    const plan = rootPlan(size);
    if (hashes.length !== plan.length) throw new RangeError(`CompactRange.resume: size ${size} needs ${plan.length} hashes, got ${hashes.length}`);
    const range = new CompactRange();
    plan.forEach((s, i) => {
      range.#levels.push(s.level);
      range.#hashes.push(hashes[i]!);
    });
    range.#size = size;
    return range;
  }

  get size(): number {
    return this.#size;
  }

  append(leaf: Hash): CompletedSubtree[] {
    let index = this.#size;
    let level = 0;
    let hash = leaf;
    const completed: CompletedSubtree[] = [{ level, index, hash }];
    while (this.#levels.length > 0 && this.#levels[this.#levels.length - 1] === level) {
      this.#levels.pop();
      hash = nodeHash(this.#hashes.pop()!, hash);
      level++;
      index = Math.floor(index / 2);
      completed.push({ level, index, hash });
    }
    this.#levels.push(level);
    this.#hashes.push(hash);
    this.#size++;
    return completed;
  }

  root(): Hash {
    return rootOf(this.#hashes);
  }

  /** The hashes of `rootPlan(size)`: what `resume` takes. */
  edge(): Hash[] {
    return [...this.#hashes];
  }
}

function planOf(ranges: readonly [number, number][]): ProofPlan {
  const nodes: Subtree[] = [];
  const shape: number[] = [];
  for (const [lo, hi] of ranges) {
    const cover = perfectCover(lo, hi);
    nodes.push(...cover);
    shape.push(cover.length);
  }
  return { nodes, shape };
}

/** [lo, hi) as perfect subtrees, largest first; `lo` is aligned to the largest power of two ≤ hi − lo. */
function perfectCover(lo: number, hi: number): Subtree[] {
  const out: Subtree[] = [];
  let at = lo;
  while (at < hi) {
    let level = 0;
    while (2 ** (level + 1) <= hi - at) level++;
    out.push({ level, index: at / 2 ** level });
    at += 2 ** level;
  }
  return out;
}

function foldRight(hashes: readonly Hash[], from: number, to: number): Hash {
  let h = hashes[to - 1]!;
  for (let i = to - 2; i >= from; i--) h = nodeHash(hashes[i]!, h);
  return h;
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return n === 1 || (n > 1 && largestPowerOfTwoBelow(n) * 2 === n);
}

function half(n: number): number {
  return Math.floor(n / 2);
}

function isSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function checkSize(n: number, name: string): void {
  if (!isSize(n)) throw new RangeError(`${name} must be a non-negative safe integer, got ${n}`);
}
