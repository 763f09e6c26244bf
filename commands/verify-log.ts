// Verification of what the log actually holds: one stream, every stream of a tenant, or the whole log, read
// in pages through the event-log port and fed to the ledger's ChainVerifier (memory grows with streams, not
// events). It reads the log, so it is the application's, beside the pure checks in ledger/.
import type { EventLog } from '../adapters/event-log/index.js';
import { tenantStreamPrefix } from '../schemas/streams.js';
import { ChainVerifier, type ChainReport, type Keyring } from '../ledger/index.js';

/** A stream (of its tenant), a tenant's streams, or with neither the whole log. */
export type VerifyScope = { readonly tenant?: string; readonly stream?: string };

const PAGE = 1000;

export async function verifyLog(log: EventLog, keyring: Keyring, scope: VerifyScope): Promise<ChainReport> {
  const verifier = new ChainVerifier(keyring);
  if (scope.stream !== undefined) {
    let fromRevision = 0n;
    for (;;) {
      const page = await log.readStream(scope.stream, { fromRevision, maxCount: PAGE });
      for (const e of page) verifier.add(e);
      if (page.length < PAGE) break;
      fromRevision = page[page.length - 1]!.revision + 1n;
    }
  } else {
    const filter = scope.tenant === undefined ? undefined : { streamPrefixes: [tenantStreamPrefix(scope.tenant)] };
    let after: bigint | undefined;
    for (;;) {
      const page = await log.readAll({ after, maxCount: PAGE, ...(filter === undefined ? {} : { filter }) });
      for (const e of page) verifier.add(e);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.position;
    }
  }
  return verifier.finish();
}
