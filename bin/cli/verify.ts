// `companyos verify [--tenant T | --stream S] [--trusted-key KEY,…]`: checks the stored log directly (no server
// needed): a stream, a tenant, or with neither option the whole log. Signatures count only from keys the key
// chain reaches from the pinned keys (--trusted-key, else COMPANYOS_TRUSTED_KEYS; with neither, the log's
// first key on first use, which it says). Exit 0 when intact; exit 1 naming the first broken link; --json
// prints the same report as GET /v1/ledger/verify. For a tenant, its tree is also rebuilt from the events and held
// against every checkpoint its log carries (commands/verify-tree.ts), and with --trusted-checkpoint FILE against a
// note saved earlier: a rollback, truncation or deletion before it fails. With --remote URL (token from
// COMPANYOS_TOKEN) it reads nothing stored: it checks a server's answers as an outside auditor would, over HTTP
// with the offline verifier only (commands/remote-verify.ts); there --witness-key KEY (repeated) and
// --min-witnesses N (default all given) also require the witnesses' cosignatures on the latest checkpoint.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as t from 'io-ts';
import { loadKeyring } from '../../adapters/keys/keyring-store.js';
import { verifyLog, type TrustReport } from '../../commands/verify-log.js';
import type { TreeReport } from '../../commands/verify-tree.js';
import { verifyTenant } from '../../commands/verify-tenant.js';
import { RemoteError, verifyRemote, type RemoteReport } from '../../commands/remote-verify.js';
import { noteVerifierOf } from '../../ledger/offline-verifier.js';
import type { Config } from '../../schemas/config.js';
import { TrustedKeys } from '../../schemas/config.js';
import { TenantId } from '../../schemas/primitives.js';
import { parseStream } from '../../schemas/streams.js';
import { openLog } from '../open-log.js';
import { ExitCode, parseOptions, UsageError } from './usage.js';

/** Below this many events in the log, one thread is quicker than starting workers. */
const PARALLEL_FROM_POSITION = 20_000n;

const Options = t.partial({
  tenant: TenantId, stream: t.string, json: t.boolean, 'trusted-key': TrustedKeys, 'trusted-checkpoint': t.string, remote: t.string,
  'witness-key': t.array(t.string), 'min-witnesses': t.string,
});

export async function verifyCommand(config: Config, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const o = parseOptions(
    argv,
    {
      tenant: { type: 'string' }, stream: { type: 'string' }, json: { type: 'boolean' }, 'trusted-key': { type: 'string' }, 'trusted-checkpoint': { type: 'string' }, remote: { type: 'string' },
      'witness-key': { type: 'string', multiple: true }, 'min-witnesses': { type: 'string' },
    },
    Options,
  );
  if (o.remote !== undefined) return verifyRemoteCommand(o.remote, o, env);
  if (o['witness-key'] !== undefined || o['min-witnesses'] !== undefined) throw new UsageError('--witness-key and --min-witnesses check a server\'s checkpoints: give --remote URL');
  if (o['trusted-checkpoint'] !== undefined && (o.tenant === undefined || o.stream !== undefined)) {
    throw new UsageError('--trusted-checkpoint checks a whole tenant: give --tenant, without --stream');
  }
  const trustedCheckpoint = o['trusted-checkpoint'] === undefined ? undefined : await readFile(o['trusted-checkpoint'], 'utf8').catch((error: unknown) => {
    throw new UsageError(`--trusted-checkpoint: cannot read ${o['trusted-checkpoint']}: ${error instanceof Error ? error.message : String(error)}`);
  });
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
    // Signatures on every core once the log is large enough to repay starting the worker threads.
    const workers = ((await opened.log.headPosition()) ?? 0n) >= PARALLEL_FROM_POSITION ? availableParallelism() : 1;
    // A whole tenant: its tree against its checkpoints (and the one kept by the caller), as GET /v1/ledger/verify
    // does, from the same read as the chains: this thread rebuilds the tree while the workers check signatures.
    const { report, tree } = tenant !== undefined && o.stream === undefined
      ? await verifyTenant(opened.log, keyring, tenant, config.ledger.logOrigin, { workers, ...(trustedCheckpoint === undefined ? {} : { trustedCheckpoint }) })
          .then((v) => ({ report: v.chains, tree: v.tree as TreeReport | undefined }))
      : { report: await verifyLog(opened.log, keyring, { ...(tenant === undefined ? {} : { tenant }), ...(o.stream === undefined ? {} : { stream: o.stream }), workers }), tree: undefined };
    const ok = report.failures.length === 0 && (tree === undefined || tree.failures.length === 0);
    if (o.json) console.log(JSON.stringify({ ok, ...report, ...(tree === undefined ? {} : { tree }) }));
    else {
      if (report.failures.length === 0) console.log(`ok: ${report.eventsChecked} events in ${report.streamsChecked} streams verified (${opened.description})`);
      else {
        const first = report.failures[0]!;
        console.log(`broken: ${first.stream} revision ${first.revision} (event ${first.eventId}): ${first.reason}`);
        if (report.failures.length > 1) console.log(`${report.failures.length - 1} more failure(s); --json lists them all`);
      }
      if (tree !== undefined) console.log(treeLine(tree));
      console.log(trustLine(report.trust));
    }
    if (!ok) throw new ExitCode(1);
  } finally {
    await opened.close();
  }
}

/** `verify --remote URL`: the tenant of COMPANYOS_TOKEN, over HTTP only. */
async function verifyRemoteCommand(url: string, o: t.TypeOf<typeof Options>, env: NodeJS.ProcessEnv): Promise<void> {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new UsageError(`--remote: "${url}" is not an http(s) URL`);
  if (o.stream !== undefined) throw new UsageError('--remote checks a whole tenant (the token\'s): --stream does not apply');
  const token = env['COMPANYOS_TOKEN'];
  if (token === undefined || token === '') throw new UsageError('COMPANYOS_TOKEN: missing (a token of the tenant that may read its ledger)');
  const trustedCheckpoint = o['trusted-checkpoint'] === undefined ? undefined : await readFile(o['trusted-checkpoint'], 'utf8').catch((error: unknown) => {
    throw new UsageError(`--trusted-checkpoint: cannot read ${o['trusted-checkpoint']}: ${error instanceof Error ? error.message : String(error)}`);
  });
  const witnessKeys = o['witness-key'] ?? [];
  const min = o['min-witnesses'];
  if (min !== undefined && (!/^(0|[1-9][0-9]{0,3})$/.test(min) || Number(min) > witnessKeys.length)) {
    throw new UsageError(`--min-witnesses: expected a whole number from 0 to the ${witnessKeys.length} --witness-key(s) given, got ${JSON.stringify(min)}`);
  }
  const badWitness = witnessKeys.find((k) => noteVerifierOf(k) === undefined);
  if (badWitness !== undefined) throw new UsageError(`--witness-key: not a verifier key (<name>+<hex id>+<base64 key>): ${badWitness}`);
  let report: RemoteReport;
  try {
    report = await verifyRemote({
      ...(witnessKeys.length === 0 ? {} : { witnessKeys }),
      ...(min === undefined ? {} : { minWitnesses: Number(min) }),
      url, token,
      ...(o.tenant === undefined ? {} : { tenant: o.tenant }),
      ...(o['trusted-key'] === undefined ? {} : { trustedKeys: o['trusted-key'] }),
      ...(trustedCheckpoint === undefined ? {} : { trustedCheckpoint }),
    });
  } catch (error) {
    if (error instanceof RemoteError) {
      console.error(error.message);
      throw new ExitCode(1);
    }
    throw error;
  }
  if (o.json) console.log(JSON.stringify(report));
  else {
    const first = report.failures[0];
    if (first === undefined) {
      const trusted = report.trusted?.ok === true ? `; the trusted checkpoint ${report.trusted.treeSize} holds` : '';
      const anchored = report.anchoredSize === 0 ? 'no checkpoint yet' : `checkpoint ${report.anchoredSize} holds (${report.checkpoints} checked)`;
      const witnessed = report.witnessedBy === undefined ? '' : `; cosigned by ${report.witnessedBy.join(', ') || 'no witness given'}`;
      console.log(`ok: ${report.eventsChecked} events in ${report.streamsChecked} streams of ${report.origin ?? url} verified over HTTP; ${anchored}; ${report.unanchored} after it unanchored (not verified)${trusted}${witnessed}`);
    } else {
      console.log(`broken: ${first.reason}`);
      if (report.failures.length > 1) console.log(`${report.failures.length - 1} more failure(s); --json lists them all`);
    }
    console.log(report.pinned ? `keys: chain from pinned ${remoteChainLine(report)}` : `keys: none pinned (--trusted-key): checked against the keys the server publishes, which proves consistency, not authenticity (${remoteChainLine(report)})`);
  }
  if (!report.ok) throw new ExitCode(1);
}

/** The pinned keys, then the chain the sealed rotations led to from them: `A: A -> B (retired after checkpoint n)`. */
function remoteChainLine(report: RemoteReport): string {
  const anchors = report.keys.filter((k) => k.pinned).map((k) => k.keyId);
  const chain = report.keys.map((k) => `${k.keyId}${k.finalCheckpoint === undefined ? '' : ` (retired after checkpoint ${k.finalCheckpoint})`}`);
  return `${anchors.join(', ') || 'no key'}: ${chain.join(' -> ') || 'none reached'}`;
}

/** Where the key chain started and how far it reached, as one line. */
function trustLine(trust: TrustReport): string {
  const chain = trust.keys.map((k) => k.keyId).join(' -> ');
  if (trust.mode === 'pinned') return `keys: chain from pinned ${trust.anchors.join(', ')}: ${chain}${trust.warning === undefined ? '' : `; ${trust.warning}`}`;
  return `keys: ${trust.warning ?? 'no trusted key configured'}${chain === '' ? '' : ` (chain: ${chain})`}`;
}

/** The tenant's tree against its checkpoints, as one line (the first failure, if any). */
function treeLine(tree: TreeReport): string {
  const trusted = tree.trusted === undefined ? '' : tree.trusted.ok ? `; the trusted checkpoint ${tree.trusted.treeSize} holds` : '';
  const first = tree.failures[0];
  if (first !== undefined) return `tree broken: ${first.reason}${tree.failures.length > 1 ? ` (${tree.failures.length - 1} more; --json lists them)` : ''}`;
  const anchored = tree.anchoredSize === 0 ? 'no checkpoint yet' : `checkpoint ${tree.anchoredSize} holds (${tree.checkpoints} in the log)`;
  return `tree: ${tree.treeSize} events; ${anchored}; ${tree.unanchored} after it unanchored${trusted}`;
}
