// `companyos verify [--tenant T | --stream S] [--trusted-key KEY,…]`: checks the stored log directly (no server
// needed): a stream, a tenant, or with neither option the whole log. Signatures count only from keys the key
// chain reaches from the pinned keys (--trusted-key, else COMPANYOS_TRUSTED_KEYS; with neither, the log's
// first key on first use, which it says). Exit 0 when intact; exit 1 naming the first broken link; --json
// prints the same report as GET /v1/ledger/verify.
import * as t from 'io-ts';
import { loadKeyring } from '../../adapters/keys/keyring-store.js';
import { verifyLog, type TrustReport } from '../../commands/verify-log.js';
import type { Config } from '../../schemas/config.js';
import { TrustedKeys } from '../../schemas/config.js';
import { TenantId } from '../../schemas/primitives.js';
import { parseStream } from '../../schemas/streams.js';
import { openLog } from '../open-log.js';
import { ExitCode, parseOptions, UsageError } from './usage.js';

const Options = t.partial({ tenant: TenantId, stream: t.string, json: t.boolean, 'trusted-key': TrustedKeys });

export async function verifyCommand(config: Config, argv: readonly string[]): Promise<void> {
  const o = parseOptions(argv, { tenant: { type: 'string' }, stream: { type: 'string' }, json: { type: 'boolean' }, 'trusted-key': { type: 'string' } }, Options);
  const streamTenant = o.stream !== undefined ? parseStream(o.stream)?.tenant : undefined;
  if (o.stream !== undefined && streamTenant === undefined) throw new UsageError(`--stream: "${o.stream}" is not a stream name (tenant/category/id)`);
  if (o.tenant !== undefined && streamTenant !== undefined && o.tenant !== streamTenant) {
    throw new UsageError(`--stream ${o.stream} does not belong to --tenant ${o.tenant}`);
  }
  // Neither option: the whole log, every tenant.
  const tenant = o.tenant ?? streamTenant;
  const trustedKeys = o['trusted-key'] ?? config.trustedKeys;
  const keyring = await loadKeyring({ signingKey: config.signingKey, keyringFile: config.keyringFile, dataDir: config.dataDir, trustedKeys }, new Date().toISOString());
  const opened = await openLog(config);
  try {
    const report = await verifyLog(opened.log, keyring, { ...(tenant === undefined ? {} : { tenant }), ...(o.stream === undefined ? {} : { stream: o.stream }) });
    const ok = report.failures.length === 0;
    if (o.json) console.log(JSON.stringify({ ok, ...report }));
    else {
      if (ok) console.log(`ok: ${report.eventsChecked} events in ${report.streamsChecked} streams verified (${opened.description})`);
      else {
        const first = report.failures[0]!;
        console.log(`broken: ${first.stream} revision ${first.revision} (event ${first.eventId}): ${first.reason}`);
        if (report.failures.length > 1) console.log(`${report.failures.length - 1} more failure(s); --json lists them all`);
      }
      console.log(trustLine(report.trust));
    }
    if (!ok) throw new ExitCode(1);
  } finally {
    await opened.close();
  }
}

/** Where the key chain started and how far it reached, as one line. */
function trustLine(trust: TrustReport): string {
  const chain = trust.keys.map((k) => k.keyId).join(' -> ');
  if (trust.mode === 'pinned') return `keys: chain from pinned ${trust.anchors.join(', ')}: ${chain}${trust.warning === undefined ? '' : `; ${trust.warning}`}`;
  return `keys: ${trust.warning ?? 'no trusted key configured'}${chain === '' ? '' : ` (chain: ${chain})`}`;
}
