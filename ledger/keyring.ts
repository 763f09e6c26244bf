// Ed25519 signing keys and the keyring that verifies sealed events: key ids, validity windows
// (retired keys keep verifying what they sealed before retirement) and the public keys the API publishes.
import { KeyObject, createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { Timestamp } from '../schemas/primitives.js';

/** A public key and the window in which it may seal events: notBefore <= sealedAt < notAfter. */
export interface KeyEntry {
  readonly keyId: string;
  /** 32 raw Ed25519 public key bytes. */
  readonly publicKey: Uint8Array;
  /** RFC 3339 instant. */
  readonly notBefore: string;
  /** RFC 3339 instant; set when the key is retired. */
  readonly notAfter?: string;
}

/** A key entry that can also sign. */
export interface SigningKey extends KeyEntry {
  readonly privateKey: KeyObject;
}

/** One entry as published by GET /v1/ledger/keys. */
export interface PublishedKey {
  readonly keyId: string;
  readonly algorithm: 'Ed25519';
  /** Raw 32-byte public key, standard base64. */
  readonly publicKey: string;
  readonly publicKeyJwk: { readonly kty: 'OKP'; readonly crv: 'Ed25519'; readonly x: string };
  readonly notBefore: string;
  readonly notAfter?: string;
}

// DER prefixes that turn 32 raw bytes into PKCS#8 / SPKI Ed25519 keys (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** 'ed25519:' + the first 16 hex chars of SHA-256 over the raw public key. */
export function keyIdOf(publicKey: Uint8Array): string {
  return 'ed25519:' + createHash('sha256').update(publicKey).digest('hex').slice(0, 16);
}

/** A signing key from its 32-byte seed (the RFC 8032 private key). The seed comes from the caller. */
export function signingKeyFromSeed(seed: Uint8Array, notBefore: string, notAfter?: string): SigningKey {
  if (seed.length !== 32) throw new RangeError(`Ed25519 seed must be 32 bytes, got ${seed.length}`);
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = rawPublicKeyOf(privateKey);
  const entry = publicKeyEntry(publicKey, notBefore, notAfter);
  return { ...entry, privateKey };
}

/** A verify-only entry for a raw public key; the key id is derived, never trusted from input. */
export function publicKeyEntry(publicKey: Uint8Array, notBefore: string, notAfter?: string): KeyEntry {
  if (publicKey.length !== 32) throw new RangeError(`Ed25519 public key must be 32 bytes, got ${publicKey.length}`);
  const raw = Uint8Array.from(publicKey);
  const base = { keyId: keyIdOf(raw), publicKey: raw, notBefore };
  return notAfter === undefined ? base : { ...base, notAfter };
}

/** The 32-byte seed of a signing key, e.g. to write it to a keyring file. */
export function seedOf(key: SigningKey): Uint8Array {
  const jwk = key.privateKey.export({ format: 'jwk' });
  if (typeof jwk.d !== 'string') throw new TypeError(`key ${key.keyId} is not an Ed25519 private key`);
  return Buffer.from(jwk.d, 'base64url');
}

function rawPublicKeyOf(privateKey: KeyObject): Uint8Array {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new TypeError('not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
}

function checkPrivate(key: SigningKey, entry: KeyEntry): SigningKey {
  if (Buffer.compare(rawPublicKeyOf(key.privateKey), entry.publicKey) !== 0) {
    throw new Error(`keyring: private key of ${key.keyId} does not match its public key`);
  }
  return key;
}

const isSigningKey = (e: KeyEntry): e is SigningKey =>
  'privateKey' in e && (e as { privateKey: unknown }).privateKey instanceof KeyObject;

/** What verification needs per key, prepared once when the keyring is built. */
export interface ResolvedKey {
  readonly entry: KeyEntry;
  readonly publicKeyObject: KeyObject;
  readonly notBeforeMs: number;
  /** +Infinity while the key is not retired. */
  readonly notAfterMs: number;
}

/** Parses an RFC 3339 instant to epoch milliseconds, or throws naming `what`. */
export function instantMs(value: string, what: string): number {
  if (!Timestamp.is(value)) throw new TypeError(`${what}: expected an RFC 3339 timestamp with zone, got ${JSON.stringify(value)}`);
  return Date.parse(value);
}

/**
 * The keys that verify sealed events, and optionally the one that seals new ones. Immutable: rotation
 * builds a new keyring. Entries passed as SigningKeys keep their private key (see `signingKey`).
 */
export class Keyring {
  readonly #keys: ReadonlyMap<string, ResolvedKey>;
  readonly #signing: ReadonlyMap<string, SigningKey>;
  readonly #active: SigningKey | undefined;
  readonly entries: readonly KeyEntry[];
  /**
   * The keys an operator pinned out of band (COMPANYOS_TRUSTED_KEYS: base64 public keys or key ids) that
   * verification starts the key chain from (ledger/key-chain.ts); empty: trust on first use.
   */
  readonly trustedKeys: readonly string[];

  constructor(entries: readonly KeyEntry[], active?: SigningKey, trustedKeys: readonly string[] = []) {
    this.trustedKeys = Object.freeze([...trustedKeys]);
    const all = active !== undefined && !entries.some((e) => e.keyId === active.keyId) ? [...entries, active] : entries;
    const keys = new Map<string, ResolvedKey>();
    const signing = new Map<string, SigningKey>();
    const publicEntries: KeyEntry[] = [];
    for (const given of all) {
      if (keys.has(given.keyId)) throw new Error(`keyring: duplicate key id ${given.keyId}`);
      // Re-derive rather than trust: a key id that does not match its key would make verification lie.
      const entry = publicKeyEntry(given.publicKey, given.notBefore, given.notAfter);
      if (entry.keyId !== given.keyId) {
        throw new Error(`keyring: key id ${given.keyId} does not match its public key (expected ${entry.keyId})`);
      }
      const notBeforeMs = instantMs(entry.notBefore, `keyring: ${entry.keyId} notBefore`);
      const notAfterMs =
        entry.notAfter === undefined ? Infinity : instantMs(entry.notAfter, `keyring: ${entry.keyId} notAfter`);
      if (notAfterMs <= notBeforeMs) throw new Error(`keyring: ${entry.keyId} notAfter is not after notBefore`);
      const publicKeyObject = createPublicKey({
        key: Buffer.concat([SPKI_ED25519_PREFIX, entry.publicKey]),
        format: 'der',
        type: 'spki',
      });
      const frozen = Object.freeze(entry);
      keys.set(entry.keyId, Object.freeze({ entry: frozen, publicKeyObject, notBeforeMs, notAfterMs }));
      publicEntries.push(frozen);
      if (isSigningKey(given)) signing.set(entry.keyId, checkPrivate(given, entry));
    }
    // The active key may also be listed as a public entry; its private half must match that entry.
    if (active !== undefined) signing.set(active.keyId, checkPrivate(active, keys.get(active.keyId)!.entry));
    this.#keys = keys;
    this.#signing = signing;
    this.#active = active;
    this.entries = Object.freeze(publicEntries);
  }

  /** The key that seals new events. */
  get active(): SigningKey {
    if (this.#active === undefined) {
      throw new Error('keyring has no active signing key: configure a private key without notAfter');
    }
    return this.#active;
  }

  get hasActive(): boolean {
    return this.#active !== undefined;
  }

  find(keyId: string): KeyEntry | undefined {
    return this.#keys.get(keyId)?.entry;
  }

  /** The signing key for `keyId`, if the keyring holds its private key. */
  signingKey(keyId: string): SigningKey | undefined {
    return this.#signing.get(keyId);
  }

  /** Whether `keyId` is known and `instant` (RFC 3339) lies in notBefore <= t < notAfter. */
  isValidAt(keyId: string, instant: string): boolean {
    const key = this.#keys.get(keyId);
    if (key === undefined || !Timestamp.is(instant)) return false;
    const t = Date.parse(instant);
    return key.notBeforeMs <= t && t < key.notAfterMs;
  }

  /** Verification material for `keyId`. Internal to the ledger (not exported from ledger/index.ts). */
  resolve(keyId: string): ResolvedKey | undefined {
    return this.#keys.get(keyId);
  }
}

/** The keyring's public keys in the form GET /v1/ledger/keys serves. */
export function publishedKeys(keyring: Keyring): PublishedKey[] {
  return keyring.entries.map((e) => {
    const raw = Buffer.from(e.publicKey.buffer, e.publicKey.byteOffset, e.publicKey.byteLength);
    const published: PublishedKey = {
      keyId: e.keyId,
      algorithm: 'Ed25519',
      publicKey: raw.toString('base64'),
      publicKeyJwk: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
      notBefore: e.notBefore,
    };
    return e.notAfter === undefined ? published : { ...published, notAfter: e.notAfter };
  });
}
