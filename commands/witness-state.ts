// What a witness keeps between runs, in its state directory: its own Ed25519 key (made on first run, mode
// 0600, refused when others can read it), the log key it pinned, and the latest checkpoint it accepted.
// Every file is written to a temporary name, flushed and renamed into place, so a crash leaves the old
// state or the new one, never half of either: a witness that forgot its last checkpoint could be rolled back.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { COSIGNATURE_V1, cosigner } from '../ledger/cosignature.js';
import { isKeyName, verifierString, type NoteSigner } from '../ledger/signed-note.js';

export interface WitnessKey {
  readonly name: string;
  /** Its cosignature/v1 verifier key: what the log's operator adds to COMPANYOS_WITNESSES. */
  readonly verifier: string;
  /** Signs cosignatures at the current time. */
  readonly signer: NoteSigner;
}

/** The key file: `{"name", "privateKey": base64 PKCS#8}`. */
interface KeyFile {
  readonly name: string;
  readonly privateKey: string;
}

export const checkpointFile = (dir: string) => join(dir, 'checkpoint');
export const logKeyFile = (dir: string) => join(dir, 'log-key');
export const defaultKeyFile = (dir: string) => join(dir, 'witness-key.json');

/** Writes `text` to `file` atomically (temporary file, fsync, rename, fsync of the directory). */
export async function writeAtomically(file: string, text: string, mode = 0o600): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', mode);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  const directory = await open(dirname(file), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** The file's text, or undefined when it does not exist. */
export async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function witnessKeyOf(name: string, privateKey: KeyObject): WitnessKey {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
  return {
    name,
    verifier: verifierString(name, COSIGNATURE_V1, publicKey),
    signer: cosigner(name, publicKey, (message) => new Uint8Array(sign(null, message, privateKey))),
  };
}

/**
 * The witness key in `file`; made (named `name`) when the file does not exist. `created` says which. A
 * key file others can read is refused: whoever reads it can cosign as this witness.
 */
export async function loadWitnessKey(file: string, name: string): Promise<{ readonly key: WitnessKey; readonly created: boolean }> {
  const text = await readIfPresent(file);
  if (text === undefined) {
    if (!isKeyName(name)) throw new Error(`witness name ${JSON.stringify(name)} is not a note key name (no spaces or "+")`);
    const { privateKey } = generateKeyPairSync('ed25519');
    const body: KeyFile = { name, privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64') };
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeAtomically(file, `${JSON.stringify(body)}\n`, 0o600);
    return { key: witnessKeyOf(name, privateKey), created: true };
  }
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new Error(`${file}: others can read the witness key (mode ${mode.toString(8)}); chmod 600 it`);
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(text) as KeyFile;
    if (typeof parsed.name !== 'string' || !isKeyName(parsed.name) || typeof parsed.privateKey !== 'string') throw new Error('fields');
  } catch {
    throw new Error(`${file}: not a witness key file ({"name", "privateKey": base64 PKCS#8 Ed25519})`);
  }
  const privateKey = createPrivateKey({ key: Buffer.from(parsed.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file}: the key is ${privateKey.asymmetricKeyType}, not Ed25519`);
  return { key: witnessKeyOf(parsed.name, privateKey), created: false };
}
