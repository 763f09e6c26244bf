// Sealing: the event hash (SHA-256 over JCS of everything but hash/keyId/signature) and the Ed25519
// signature over a domain-separated message. This runs on every append, so it avoids needless copies.
import { createHash, sign } from 'node:crypto';
import type { SealedEvent, UnsealedEvent } from '../schemas/sealed-event.js';
import { canonicalizeUnknown } from './canonical-json.js';
import { instantMs, type SigningKey } from './keyring.js';

/** Prefix of every signed message, so an event signature can never be replayed as another kind of signature. */
export const SIGNING_DOMAIN = 'companyos.event.v1';

const DOMAIN_PREFIX = Buffer.from(SIGNING_DOMAIN + '\u0000', 'utf8');

/** Lowercase hex SHA-256 of the event's canonical JSON, excluding `hash`, `keyId` and `signature` if present. */
export function eventHash(e: UnsealedEvent): string {
  return hashBytes(e).toString('hex');
}

/**
 * The seal: what the hash does not cover. Every other field is hashed, including any the schema does not
 * know, so nothing can ride along in a stored event unsigned.
 */
const SEAL_FIELDS: ReadonlySet<string> = new Set(['hash', 'keyId', 'signature']);

/** The raw 32-byte digest behind `eventHash`: everything the event carries except the seal. */
export function hashBytes(e: UnsealedEvent): Buffer {
  return createHash('sha256').update(canonicalizeUnknown(e, SEAL_FIELDS), 'utf8').digest();
}

/** The bytes that are signed: UTF-8(SIGNING_DOMAIN), one 0x00 byte, the 32 raw hash bytes. */
export function signingMessage(hash: string | Uint8Array): Buffer {
  const raw = typeof hash === 'string' ? Buffer.from(hash, 'hex') : hash;
  if (raw.length !== 32 || (typeof hash === 'string' && hash.length !== 64)) {
    throw new RangeError('signingMessage: expected a 32-byte SHA-256 hash');
  }
  const message = Buffer.allocUnsafe(DOMAIN_PREFIX.length + 32);
  DOMAIN_PREFIX.copy(message, 0);
  message.set(raw, DOMAIN_PREFIX.length);
  return message;
}

/**
 * Hashes and signs `e` with `key`. Throws if `e.sealedAt` is outside the key's validity window:
 * such an event would fail verification, so it must never reach the log.
 */
export function sealEvent(e: UnsealedEvent, key: SigningKey): SealedEvent {
  const at = instantMs(e.sealedAt, 'sealEvent: sealedAt');
  if (at < instantMs(key.notBefore, `key ${key.keyId} notBefore`)) {
    throw new Error(`sealEvent: key ${key.keyId} is not valid before ${key.notBefore} (sealedAt ${e.sealedAt})`);
  }
  if (key.notAfter !== undefined && at >= instantMs(key.notAfter, `key ${key.keyId} notAfter`)) {
    throw new Error(`sealEvent: key ${key.keyId} was retired at ${key.notAfter} (sealedAt ${e.sealedAt})`);
  }
  const digest = hashBytes(e);
  const signature = sign(null, signingMessage(digest), key.privateKey).toString('base64');
  return { ...e, hash: digest.toString('hex'), keyId: key.keyId, signature };
}
