// `companyos keys generate [--rotate]`: a new Ed25519 signing key. Without --rotate it prints the key
// for COMPANYOS_SIGNING_KEY. With --rotate it retires the active key of the keyring file (the development
// keyring, or COMPANYOS_KEYRING_FILE): the file is rewritten (atomically, 0600) with the new key active and
// no retired key's private part, then the outgoing key, kept in memory only, signs each tenant's final
// checkpoint and seals `ledger.key.rotated` naming the new key and the log's head (commands/rotate-key.ts).
// If that fails the old file is put back. Run it with the server stopped (it refuses while a server holds
// the checkpointer's lock): an event the outgoing key sealed after the rotation would be judged a forgery.
import * as t from 'io-ts';
import { devKeyringPath, generateSigningKey, loadKeyring, rotate, writeKeyring } from '../../adapters/keys/keyring-store.js';
import { rotateSigningKey } from '../../commands/rotate-key.js';
import { Keyring, publishedKeys, seedOf } from '../../ledger/index.js';
import type { Config } from '../../schemas/config.js';
import { openLog } from '../open-log.js';
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
  if (config.signingKey !== undefined) {
    throw new UsageError('--rotate rewrites a keyring file; with COMPANYOS_SIGNING_KEY set, move the key into COMPANYOS_KEYRING_FILE first');
  }
  const path = config.keyringFile ?? devKeyringPath(config.dataDir);
  const current = await loadKeyring({ signingKey: undefined, keyringFile: config.keyringFile, dataDir: config.dataDir }, now);
  const outgoing = current.active;
  const next = rotate(current, now);
  const opened = await openLog(config);
  // A server sealing with the outgoing key during the rotation would write forgeries. The embedded store
  // already admits one process; on PostgreSQL the active server holds the checkpointer's lock: take it.
  const { openReadStore } = await import('../read-store.js');
  const read = await openReadStore(config, opened.log).catch(async (error: unknown) => {
    await opened.close();
    throw error;
  });
  const lock = await read.store.tryLock('checkpointer');
  if (lock === undefined) {
    await read.close();
    await opened.close();
    throw new Error('a server is running on this log (it holds the checkpointer lock): stop it, rotate, then start it');
  }
  try {
    // The file first: a crash after it leaves a new key the chain does not reach yet (verification says
    // so), never a retired seed on disk or a rotation naming a key whose seed was lost.
    await writeKeyring(path, next);
    let handover;
    try {
      handover = await rotateSigningKey(opened.log, outgoing, next.active, config.ledger.logOrigin, now);
    } catch (error) {
      await writeKeyring(path, current);
      throw error;
    }
    const { finalCheckpoints, rotation } = handover;
    console.log(`retired ${outgoing.keyId} at ${now} (final position ${rotation.data.finalPosition}; its private key is gone from ${path}); active ${next.active.keyId}`);
    console.log(`signed ${finalCheckpoints.length} final checkpoint(s) with it (${finalCheckpoints.map((c) => `${c.tenant} at ${c.treeSize}`).join(', ') || 'none due'})`);
    console.log(`sealed ledger.key.rotated (event ${rotation.eventId}) on _system/keys; start the server to seal with the new key`);
  } finally {
    await lock.release();
    await read.close();
    await opened.close();
  }
}
