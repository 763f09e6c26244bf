// Strict Ed25519 verification (RFC 8032 §5.1.7), one rule for the server and every offline verifier.
// Libraries differ at the edges: tweetnacl accepts a signature whose S is replaced by S + L (the same
// signature spelled twice) and a public key whose y is not reduced mod p; OpenSSL refuses the first. So
// the encodings are judged here, by bytes, before any library sees them: `ed25519EncodingProblem` is what
// the server's verification (ledger/verify.ts, then node:crypto) and `verifyEd25519` (then Web Crypto, or
// tweetnacl where a browser lacks Ed25519) both call. Pure; no Node API.
import nacl from 'tweetnacl';
import { equalBytes, toHex } from './bytes.js';

// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
const L = new Uint8Array([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0x10,
]);

/**
 * Why the public key or signature is not the one canonical RFC 8032 encoding, or null when both are:
 * lengths, S < L, and for A and R: y < p, and no sign bit on a point whose x is 0.
 */
export function ed25519EncodingProblem(publicKey: Uint8Array, signature: Uint8Array): string | null {
  if (publicKey.length !== 32) return `public key is ${publicKey.length} bytes, not 32`;
  if (signature.length !== 64) return `signature is ${signature.length} bytes, not 64`;
  if (!scalarBelowL(signature.subarray(32))) return 'signature S is not below the group order L (malleated)';
  if (!canonicalPoint(publicKey)) return 'public key is not a canonical point encoding';
  if (!canonicalPoint(signature.subarray(0, 32))) return 'signature R is not a canonical point encoding';
  return null;
}

/** S < L, comparing the 32 little-endian bytes from the most significant. */
function scalarBelowL(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i]! < L[i]!) return true;
    if (s[i]! > L[i]!) return false;
  }
  return false;
}

/** y < p = 2^255 − 19, and not the sign bit set on y = 1 or y = p − 1 (the points with x = 0). */
function canonicalPoint(e: Uint8Array): boolean {
  const sign = e[31]! & 0x80;
  const top = e[31]! & 0x7f;
  let middleAllOnes = true;
  let middleAllZero = true;
  for (let i = 1; i < 31; i++) {
    if (e[i] !== 0xff) middleAllOnes = false;
    if (e[i] !== 0) middleAllZero = false;
  }
  if (top === 0x7f && middleAllOnes && e[0]! >= 0xed) return false; // y ≥ p
  if (sign !== 0) {
    if (top === 0 && middleAllZero && e[0] === 1) return false; // y = 1, x = 0
    if (top === 0x7f && middleAllOnes && e[0] === 0xec) return false; // y = p − 1, x = 0
  }
  return true;
}

type Backend = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => Promise<boolean>;

type WebKey = Awaited<ReturnType<typeof globalThis.crypto.subtle.importKey>>;
const webKeys = new Map<string, Promise<WebKey>>();

// Keys already imported, by the caller's key array (the offline verifier passes the same one for every event
// of a key) with the bytes it held then (an array reused for another key is compared, not trusted): the check
// is handed to Web Crypto in the caller's turn, not a few promise turns later, so a bundle's checks are all in
// flight (Node runs them on its thread pool) while the caller hashes the next events.
const importedKeys = new WeakMap<Uint8Array, { readonly bytes: Uint8Array; readonly key: WebKey }>();

const webCrypto: Backend = async (publicKey, message, signature) => {
  const known = importedKeys.get(publicKey);
  let imported: WebKey;
  if (known !== undefined && equalBytes(known.bytes, publicKey)) imported = known.key;
  else {
    const bytes = publicKey.slice();
    const hex = toHex(bytes);
    let key = webKeys.get(hex);
    if (key === undefined) {
      key = globalThis.crypto.subtle.importKey('raw', bytes as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
      webKeys.set(hex, key);
    }
    imported = await key;
    importedKeys.set(publicKey, { bytes, key: imported });
  }
  // Typed for the DOM's Web Crypto too (the audit portal's bundle): our bytes are never shared memory.
  return globalThis.crypto.subtle.verify({ name: 'Ed25519' }, imported, signature as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>);
};

const tweetnacl: Backend = async (publicKey, message, signature) => nacl.sign.detached.verify(message, signature, publicKey);

let backend: Promise<Backend> | undefined;
/** The backend once chosen: used without awaiting, so a check starts in its caller's turn. */
let chosen: Backend | undefined;

/** Web Crypto when it verifies Ed25519 (Node ≥ 20, current browsers): native speed; tweetnacl otherwise. */
function chooseBackend(): Promise<Backend> {
  backend ??= (async () => {
    try {
      const probe = nacl.sign.keyPair.fromSeed(new Uint8Array(32));
      const message = new Uint8Array([1]);
      const ok = await webCrypto(probe.publicKey, message, nacl.sign.detached(message, probe.secretKey));
      chosen = ok ? webCrypto : tweetnacl;
    } catch {
      chosen = tweetnacl;
    }
    return chosen;
  })();
  return backend;
}

/** RFC 8032 §5.1.7 verification: canonical encodings first (see above), then the signature equation. */
export async function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (ed25519EncodingProblem(publicKey, signature) !== null) return false;
  try {
    return await (chosen ?? (await chooseBackend()))(publicKey, message, signature);
  } catch {
    return false;
  }
}

/** The same check with tweetnacl only, synchronously (slow: for a handful of notes, not for bulk). */
export function verifyEd25519Sync(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return ed25519EncodingProblem(publicKey, signature) === null && nacl.sign.detached.verify(message, signature, publicKey);
}
