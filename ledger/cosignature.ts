// C2SP tlog-cosignature v1 (c2sp.org/tlog-cosignature): a witness's timestamped Ed25519 signature on a
// checkpoint, as one more note signature line. Its key is the witness's own (signature type 0x04, so its
// key id differs from a log key's even for the same bytes); the signed message is
// "cosignature/v1\ntime <seconds>\n" followed by the whole checkpoint text. Pure; no Node API.
import { concatBytes, utf8 } from './bytes.js';
import { verifyEd25519 } from './ed25519.js';
import { isKeyName, noteKeyId, type NoteSignature, type NoteSigner, type NoteVerifier } from './signed-note.js';

/** Signature type byte of timestamped Ed25519 cosignatures. */
export const COSIGNATURE_V1 = 0x04;

/** The bytes a cosigner signs for checkpoint `text` at `timestamp` (POSIX seconds). */
export function cosignedMessage(text: string, timestamp: number): Uint8Array {
  checkTimestamp(timestamp);
  return utf8(`cosignature/v1\ntime ${timestamp}\n${text}`);
}

/** A cosigner: `sign` is the raw Ed25519 signature; `now` gives POSIX seconds (the clock is the caller's). */
export function cosigner(
  name: string,
  publicKey: Uint8Array,
  sign: (message: Uint8Array) => Uint8Array,
  now: () => number = () => Math.floor(Date.now() / 1000),
): NoteSigner {
  if (!isKeyName(name)) throw new RangeError(`not a note key name: ${JSON.stringify(name)}`);
  const decoder = new TextDecoder();
  return {
    name,
    keyId: noteKeyId(name, COSIGNATURE_V1, publicKey),
    sign: (text) => {
      const timestamp = now();
      return concatBytes(timestampBytes(timestamp), sign(cosignedMessage(decoder.decode(text), timestamp)));
    },
  };
}

/** Verifies a cosignature/v1 line: 8-byte big-endian timestamp then 64 signature bytes. */
export function cosignatureVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  const decoder = new TextDecoder();
  return {
    name,
    keyId: noteKeyId(name, COSIGNATURE_V1, publicKey),
    verify: async (text, signature) => {
      const timestamp = cosignatureTime(signature);
      if (timestamp === undefined || signature.length !== 72) return false;
      return verifyEd25519(publicKey, cosignedMessage(decoder.decode(text), timestamp), signature.subarray(8));
    },
  };
}

/** The time (POSIX seconds) a cosignature states, or undefined when it is not one (or beyond 2^53). */
export function cosignatureTime(signature: NoteSignature['signature']): number | undefined {
  if (signature.length !== 72) return undefined;
  const high = ((signature[0]! << 24) | (signature[1]! << 16) | (signature[2]! << 8) | signature[3]!) >>> 0;
  const low = ((signature[4]! << 24) | (signature[5]! << 16) | (signature[6]! << 8) | signature[7]!) >>> 0;
  const value = high * 0x100000000 + low;
  return Number.isSafeInteger(value) ? value : undefined;
}

function timestampBytes(timestamp: number): Uint8Array {
  checkTimestamp(timestamp);
  const high = Math.floor(timestamp / 0x100000000);
  const low = timestamp % 0x100000000;
  return new Uint8Array([high >>> 24, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff, low >>> 24, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff]);
}

function checkTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError(`cosignature time must be whole POSIX seconds, got ${timestamp}`);
}
