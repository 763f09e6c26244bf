// Verification of what the log actually holds: one stream, or every stream of a tenant, read in pages
// through the event-log port and fed to a ChainVerifier (memory grows with streams, not events).
import type { EventLog } from '../adapters/event-log/index.js';
import { tenantStreamPrefix } from '../schemas/streams.js';
import type { Keyring } from './keyring.js';
import { ChainVerifier, type ChainReport } from './verify.js';

export type VerifyScope = { readonly tenant: string; readonly stream?: string };

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
    const filter = { streamPrefixes: [tenantStreamPrefix(scope.tenant)] };
    let after: bigint | undefined;
    for (;;) {
      const page = await log.readAll({ after, maxCount: PAGE, filter });
      for (const e of page) verifier.add(e);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.position;
    }
  }
  return verifier.finish();
}
