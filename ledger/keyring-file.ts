// The keyring file format: { "keys": [{ keyId, publicKey, privateKey?, notBefore, notAfter? }] }, keys as
// standard base64 (privateKey = the 32-byte seed). Decoding checks everything a wrong file could get wrong.
import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { patternString, Timestamp } from '../schemas/primitives.js';
import { describeFirstError } from './decode-error.js';
import { Keyring, keyIdOf, publicKeyEntry, seedOf, signingKeyFromSeed, type KeyEntry, type SigningKey } from './keyring.js';

/** Standard padded base64 of exactly 32 bytes. */
const Base64Key = patternString('base64 of 32 bytes', /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/);

export const KeyringFileEntry = t.intersection(
  [
    t.type({ keyId: t.string, publicKey: Base64Key, notBefore: Timestamp }),
    t.partial({ privateKey: Base64Key, notAfter: Timestamp }),
  ],
  'KeyringFileEntry',
);
export type KeyringFileEntry = t.TypeOf<typeof KeyringFileEntry>;

export const KeyringFile = t.type({ keys: t.readonlyArray(KeyringFileEntry) }, 'KeyringFile');
export type KeyringFile = t.TypeOf<typeof KeyringFile>;

/**
 * A keyring from a parsed keyring file. The active key is the one with a private key, no notAfter and
 * the latest notBefore; two such keys with the same notBefore are an error, not a coin toss.
 */
export function decodeKeyringFile(json: unknown): Either<string, Keyring> {
  const decoded = KeyringFile.decode(json);
  if (isLeft(decoded)) return left(`keyring file: ${describeFirstError(decoded.left, 'file')}`);
  const entries: KeyEntry[] = [];
  const seen = new Set<string>();
  for (const [i, k] of decoded.right.keys.entries()) {
    const at = `keyring file: keys[${i}]`;
    const publicKey = Buffer.from(k.publicKey, 'base64');
    const derived = keyIdOf(publicKey);
    if (k.keyId !== derived) return left(`${at}.keyId: ${k.keyId} does not match publicKey (expected ${derived})`);
    if (seen.has(k.keyId)) return left(`${at}.keyId: duplicate key id ${k.keyId}`);
    seen.add(k.keyId);
    if (k.notAfter !== undefined && Date.parse(k.notAfter) <= Date.parse(k.notBefore)) {
      return left(`${at}.notAfter: must be after notBefore`);
    }
    if (k.privateKey === undefined) {
      entries.push(publicKeyEntry(publicKey, k.notBefore, k.notAfter));
      continue;
    }
    const signing = signingKeyFromSeed(Buffer.from(k.privateKey, 'base64'), k.notBefore, k.notAfter);
    if (signing.keyId !== k.keyId) return left(`${at}.privateKey: does not belong to publicKey ${k.keyId}`);
    entries.push(signing);
  }
  const candidates = entries
    .filter((e): e is SigningKey => 'privateKey' in e && e.notAfter === undefined)
    .sort((a, b) => Date.parse(b.notBefore) - Date.parse(a.notBefore));
  const [active, runnerUp] = candidates;
  if (active !== undefined && runnerUp !== undefined && Date.parse(active.notBefore) === Date.parse(runnerUp.notBefore)) {
    return left(`keyring file: ${active.keyId} and ${runnerUp.keyId} are both active from ${active.notBefore}; retire one`);
  }
  try {
    return right(new Keyring(entries, active));
  } catch (err) {
    return left(`keyring file: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The keyring file for `keyring`, private keys included for every key the keyring can sign with. */
export function encodeKeyringFile(keyring: Keyring): KeyringFile {
  return {
    keys: keyring.entries.map((e) => {
      const signing = keyring.signingKey(e.keyId);
      const entry: KeyringFileEntry = {
        keyId: e.keyId,
        publicKey: Buffer.from(e.publicKey).toString('base64'),
        notBefore: e.notBefore,
      };
      return {
        ...entry,
        ...(signing === undefined ? {} : { privateKey: Buffer.from(seedOf(signing)).toString('base64') }),
        ...(e.notAfter === undefined ? {} : { notAfter: e.notAfter }),
      };
    }),
  };
}
