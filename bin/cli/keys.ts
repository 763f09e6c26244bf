// `companyos keys generate [--rotate]`: a new Ed25519 signing key. Without --rotate it prints the key
// for COMPANYOS_SIGNING_KEY; with --rotate it retires the development key and makes the new one active.
import * as t from 'io-ts';
import { devKeyringPath, generateSigningKey, loadKeyring, rotate, writeKeyring } from '../../adapters/keys/keyring-store.js';
import { Keyring, publishedKeys, seedOf } from '../../ledger/index.js';
import type { Config } from '../../schemas/config.js';
import { parseOptions, UsageError } from './usage.js';

const Options = t.partial({ rotate: t.boolean });

export async function keysCommand(config: Config, argv: readonly string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== 'generate') throw new UsageError('usage: companyos keys generate [--rotate]');
  const o = parseOptions(rest, { rotate: { type: 'boolean' } }, Options);
  const now = new Date().toISOString();
  if (!o.rotate) {
    const key = generateSigningKey(now);
    const [published] = publishedKeys(new Keyring([], key));
    console.log(`keyId: ${key.keyId}`);
    console.log(`publicKey: ${published!.publicKey}`);
    console.log('Set it as the signing key (keep it secret):');
    console.log(`COMPANYOS_SIGNING_KEY=${Buffer.from(seedOf(key)).toString('base64')}`);
    return;
  }
  if (config.signingKey !== undefined || config.keyringFile !== undefined) {
    throw new UsageError('--rotate manages the development keyring; with COMPANYOS_SIGNING_KEY or COMPANYOS_KEYRING_FILE set, rotate in your secret store');
  }
  const current = await loadKeyring({ signingKey: undefined, keyringFile: undefined, dataDir: config.dataDir }, now);
  const next = rotate(current, now);
  await writeKeyring(devKeyringPath(config.dataDir), next);
  console.log(`retired ${current.active.keyId} at ${now}; active ${next.active.keyId} (restart the server to use it)`);
}
