// A tenant's whole verification from ONE read of its log: the chains and signatures (commands/verify-log.ts,
// on worker threads when asked) and the tenant's tree held against its checkpoints (commands/verify-tree.ts),
// the tree rebuilt on this thread from the events the chain verification reads and decodes, as they come
// back checked. Reading the log twice (once per pass) cost as much as a signature check per event.
import type { EventLog } from '../adapters/event-log/index.js';
import type { Keyring } from '../ledger/index.js';
import { verifyLog, type VerifyReport } from './verify-log.js';
import { TreeRebuilder, type TreeReport } from './verify-tree.js';

export interface TenantVerification {
  readonly chains: VerifyReport;
  readonly tree: TreeReport;
}

export async function verifyTenant(
  log: EventLog,
  keyring: Keyring,
  tenant: string,
  logOrigin: string,
  options: { readonly workers?: number; readonly trustedCheckpoint?: string } = {},
): Promise<TenantVerification> {
  const rebuilder = new TreeRebuilder(tenant, keyring, logOrigin);
  let reached: Keyring | undefined;
  const chains = await verifyLog(log, keyring, {
    tenant,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    onChecked: (r, check) => rebuilder.addChecked(r, check),
    onKeyChain: (chain) => {
      reached = chain.keyring();
    },
  });
  // Checkpoint notes open with the keys the chain reached from the pinned ones, as the events they anchor do:
  // a server holding only its current key still opens the notes its retired keys signed.
  const tree = await rebuilder.finish({
    ...(options.trustedCheckpoint === undefined ? {} : { trustedCheckpoint: options.trustedCheckpoint }),
    ...(reached === undefined ? {} : { noteKeys: reached }),
  });
  return { chains, tree };
}
