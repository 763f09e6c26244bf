// Where signing keys come from: COMPANYOS_SIGNING_KEY (a base64 Ed25519 seed), a keyring file
// (COMPANYOS_KEYRING_FILE), or else a development keyring generated into the data directory (mode 0600).
// The keys an operator pins (COMPANYOS_TRUSTED_KEYS) travel with the keyring to verification.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { Keyring, decodeKeyringFile, encodeKeyringFile, publicKeyEntry, signingKeyFromSeed, type SigningKey } from '../../ledger/index.js';

export class KeyringConfigError extends Error {
  override readonly name = 'KeyringConfigError';
}

export interface KeySources {
  readonly signingKey: string | undefined;
  readonly keyringFile: string | undefined;
  readonly dataDir: string;
  /** COMPANYOS_TRUSTED_KEYS: where verification's key chain starts (none: trust on first use). */
  readonly trustedKeys?: readonly string[];
}

/** The file the development keyring lives in. */
export const devKeyringPath = (dataDir: string): string => join(dataDir, 'keyring.json');

/** Loads (or, for development, creates) the keyring; `now` is an RFC 3339 instant from the caller. */
export async function loadKeyring(sources: KeySources, now: string): Promise<Keyring> {
  const keyring = await loadSigningKeys(sources, now);
  const trusted = sources.trustedKeys ?? [];
  return trusted.length === 0 ? keyring : new Keyring(keyring.entries.map((e) => keyring.signingKey(e.keyId) ?? e), keyring.hasActive ? keyring.active : undefined, trusted);
}

async function loadSigningKeys(sources: KeySources, now: string): Promise<Keyring> {
  const fromFile = sources.keyringFile !== undefined ? await readKeyring(sources.keyringFile) : undefined;
  if (sources.signingKey !== undefined) {
    const seed = Buffer.from(sources.signingKey, 'base64');
    if (seed.length !== 32) throw new KeyringConfigError('COMPANYOS_SIGNING_KEY: expected the base64 of a 32-byte Ed25519 seed');
    // The env key keeps the validity window the keyring file gives it, else it is valid from the epoch.
    const probe = signingKeyFromSeed(seed, '1970-01-01T00:00:00Z');
    const listed = fromFile?.find(probe.keyId);
    const active = listed ? signingKeyFromSeed(seed, listed.notBefore, listed.notAfter) : probe;
    return new Keyring(fromFile?.entries.filter((e) => e.keyId !== active.keyId) ?? [], active);
  }
  if (fromFile !== undefined) {
    if (!fromFile.hasActive) throw new KeyringConfigError(`${sources.keyringFile}: no active signing key (a private key without notAfter)`);
    return fromFile;
  }
  const path = devKeyringPath(sources.dataDir);
  const existing = await readKeyring(path, true);
  if (existing !== undefined) return withoutRetiredSeeds(path, existing);
  const keyring = new Keyring([], generateSigningKey(now));
  await writeKeyring(path, keyring);
  return keyring;
}

/**
 * A development keyring rotated before rotation destroyed private keys still holds retired keys' seeds:
 * they are dropped and the file rewritten, so only the active key can sign.
 */
async function withoutRetiredSeeds(path: string, keyring: Keyring): Promise<Keyring> {
  const active = keyring.hasActive ? keyring.active : undefined;
  const retiredWithSeed = keyring.entries.some((e) => e.keyId !== active?.keyId && keyring.signingKey(e.keyId) !== undefined);
  if (!retiredWithSeed) return keyring;
  const cleaned = new Keyring(
    keyring.entries.filter((e) => e.keyId !== active?.keyId).map((e) => publicKeyEntry(e.publicKey, e.notBefore, e.notAfter)),
    active,
    keyring.trustedKeys,
  );
  await writeKeyring(path, cleaned);
  return cleaned;
}

export function generateSigningKey(notBefore: string): SigningKey {
  return signingKeyFromSeed(randomBytes(32), notBefore);
}

/**
 * Retires the active key at `now` and makes a new one active; returns the new keyring. It holds no private
 * key but the new one's: the retired key, and any other key's seed the keyring still had, are public only,
 * so writing it (writeKeyring) destroys them on disk. The caller keeps the outgoing key in memory to sign
 * the rotation (commands/rotate-key.ts).
 */
export function rotate(keyring: Keyring, now: string): Keyring {
  const old = keyring.active;
  // A key made and retired within one instant (a new development keyring) still gets a non-empty window.
  const notAfter = Date.parse(now) > Date.parse(old.notBefore) ? now : new Date(Date.parse(old.notBefore) + 1).toISOString();
  const retired = publicKeyEntry(old.publicKey, old.notBefore, notAfter);
  const others = keyring.entries.filter((e) => e.keyId !== old.keyId).map((e) => publicKeyEntry(e.publicKey, e.notBefore, e.notAfter));
  return new Keyring([...others, retired], generateSigningKey(now), keyring.trustedKeys);
}

export async function readKeyring(path: string, optional = false): Promise<Keyring | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyringConfigError(`cannot read keyring file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyringConfigError(`keyring file ${path} is not JSON`);
  }
  const decoded = decodeKeyringFile(json);
  if (isLeft(decoded)) throw new KeyringConfigError(`${path}: ${decoded.left}`);
  return decoded.right;
}

/** Writes atomically with mode 0600: the file holds private keys. */
export async function writeKeyring(path: string, keyring: Keyring): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(encodeKeyringFile(keyring), null, 2) + '\n', { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
