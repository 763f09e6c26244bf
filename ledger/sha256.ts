// SHA-256 (FIPS 180-4) as one small synchronous pure function, so the Merkle tree, signed notes and the
// offline verifier run unchanged in Node and in a browser. Why not node:crypto or Web Crypto: node:crypto is
// absent in a browser, and Web Crypto's digest is async, which would make every proof check and every
// append a promise. Merkle hashing is short inputs (33 or 65 bytes, one or two blocks), where a plain
// function costs about what a native call does once its per-call overhead is counted (see bench:ledger).
// Node-only sealing (ledger/seal.ts) keeps node:crypto for long event bodies.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

// Scratch state reused by every call: the functions are synchronous, so no two calls ever share it at once.
const W = new Int32Array(64);
const H = new Int32Array(8);
// The last one or two blocks (the input's tail, 0x80, zeros, the bit length), built here rather than in a
// fresh array per call: at Merkle sizes (33 and 65 bytes) the allocations cost about what the rounds do.
const TAIL = new Uint8Array(128);
// A short message assembled from its parts (sha256Tagged), hashed without allocating it.
const PARTS = new Uint8Array(128);

/** The 32-byte SHA-256 digest of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  H.set(IV);
  // Whole blocks straight from the input; only the tail is copied.
  const whole = data.length - (data.length % 64);
  for (let offset = 0; offset < whole; offset += 64) compress(data, offset);
  return finish(data, whole, data.length);
}

/**
 * SHA-256(tag ‖ a ‖ b) for one tag byte, without concatenating the parts: the Merkle tree's leaf
 * (0x00 ‖ input) and node (0x01 ‖ left ‖ right) hashes, millions of times on a rebuild.
 */
export function sha256Tagged(tag: number, a: Uint8Array, b?: Uint8Array): Uint8Array {
  const length = 1 + a.length + (b === undefined ? 0 : b.length);
  if (length > PARTS.length) {
    const data = new Uint8Array(length);
    data[0] = tag;
    data.set(a, 1);
    if (b !== undefined) data.set(b, 1 + a.length);
    return sha256(data);
  }
  PARTS[0] = tag;
  PARTS.set(a, 1);
  if (b !== undefined) PARTS.set(b, 1 + a.length);
  H.set(IV);
  const whole = length - (length % 64);
  for (let offset = 0; offset < whole; offset += 64) compress(PARTS, offset);
  return finish(PARTS, whole, length);
}

/** Pads `data[from, length)` (under a block) with 0x80, zeros and the message's bit length; compresses; the digest. */
function finish(data: Uint8Array, from: number, length: number): Uint8Array {
  const rest = length - from;
  const end = rest < 56 ? 64 : 128;
  TAIL.fill(0, 0, end);
  for (let i = 0; i < rest; i++) TAIL[i] = data[from + i]!;
  TAIL[rest] = 0x80;
  const bits = length * 8;
  TAIL[end - 8] = Math.floor(bits / 0x100000000000000) & 0xff;
  TAIL[end - 7] = Math.floor(bits / 0x1000000000000) & 0xff;
  TAIL[end - 6] = Math.floor(bits / 0x10000000000) & 0xff;
  TAIL[end - 5] = Math.floor(bits / 0x100000000) & 0xff;
  TAIL[end - 4] = (bits >>> 24) & 0xff;
  TAIL[end - 3] = (bits >>> 16) & 0xff;
  TAIL[end - 2] = (bits >>> 8) & 0xff;
  TAIL[end - 1] = bits & 0xff;
  for (let offset = 0; offset < end; offset += 64) compress(TAIL, offset);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const h = H[i]!;
    out[i * 4] = h >>> 24;
    out[i * 4 + 1] = h >>> 16;
    out[i * 4 + 2] = h >>> 8;
    out[i * 4 + 3] = h;
  }
  return out;
}

function compress(p: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    W[i] = (p[j]! << 24) | (p[j + 1]! << 16) | (p[j + 2]! << 8) | p[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = H[0]!;
  let b = H[1]!;
  let c = H[2]!;
  let d = H[3]!;
  let e = H[4]!;
  let f = H[5]!;
  let g = H[6]!;
  let h = H[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + b) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d) | 0;
  H[4] = (H[4]! + e) | 0;
  H[5] = (H[5]! + f) | 0;
  H[6] = (H[6]! + g) | 0;
  H[7] = (H[7]! + h) | 0;
}
