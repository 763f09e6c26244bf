// Verification of what the log actually holds: one stream, every stream of a tenant, or the whole log, read
// in pages through the event-log port and fed to the ledger's ChainVerifier (memory grows with streams, not
// events). It reads the log, so it is the application's, beside the pure checks in ledger/.
//
// Signatures count only from keys the key chain reaches (ledger/key-chain.ts): it starts at the keys the
// operator pinned (COMPANYOS_TRUSTED_KEYS, `--trusted-key`) or, with none pinned, at the key of the log's
// first event (trust on first use, said in the report), and follows the rotations on `_system/keys`, which
// every scope reads: a tenant's events are signed by the log's keys, not the tenant's.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { EventLog, RecordedEvent } from '../adapters/event-log/index.js';
import { tenantStreamPrefix } from '../schemas/streams.js';
import { ParallelChainVerifier } from './parallel-chain-verifier.js';
import { KEY_ROTATED_EVENT_TYPE, KEYS_STREAM } from '../schemas/key-rotation-event.js';
import { parseTrustedKey } from '../ledger/trusted-key.js';
import {
  ChainVerifier,
  envelopeOf,
  type EventCheck,
  fromRecordedEvent,
  KeyChain,
  keyIdOf,
  type ChainedKey,
  type ChainFailure,
  type ChainReport,
  type Keyring,
  type TrustAnchor,
} from '../ledger/index.js';

/**
 * A stream (of its tenant), a tenant's streams, or with neither the whole log.
 * `workers` > 1: each event's checks run on that many threads (commands/parallel-chain-verifier.ts), same
 * report. `onChecked`: each event of the tenant's (or stream's, or log's) read, with its own checks, in log
 * order: a second consumer of the same read (commands/verify-tenant.ts rebuilds the tenant's tree from it).
 * `onKeyChain`: the chain of keys followed from the pinned ones, before any event is checked (the tree's
 * checkpoint notes open with the keys it reaches, as the events do).
 */
export type VerifyScope = {
  readonly tenant?: string;
  readonly stream?: string;
  readonly workers?: number;
  readonly onChecked?: (r: RecordedEvent, check: EventCheck) => void;
  readonly onKeyChain?: (chain: KeyChain) => void;
};

/** What verifyLog feeds: the one-thread ChainVerifier or the workers, alike. */
interface EventSink {
  add(r: RecordedEvent): void;
  /** Resolves when the sink has room for another page. */
  ready(): Promise<void>;
  finish(): ChainReport | Promise<ChainReport>;
}

/** One thread: each event checked, its link judged, then handed to `onChecked`. */
function oneThread(verifier: ChainVerifier, onChecked: VerifyScope['onChecked']): EventSink {
  return {
    add(r) {
      const c = verifier.check(r);
      verifier.addChecked(r, c);
      onChecked?.(r, c);
    },
    ready: () => Promise.resolve(),
    finish: () => verifier.finish(),
  };
}

/** Where the key chain started and which keys it reached. */
export interface TrustReport {
  /** `pinned`: from the keys the operator pinned; `first-use`: none pinned, from the log's first key. */
  readonly mode: 'pinned' | 'first-use';
  /** The key ids the chain started from. */
  readonly anchors: readonly string[];
  readonly keys: readonly ChainedKey[];
  /** Said when the trust is weaker than a pin. */
  readonly warning?: string;
}

export interface VerifyReport extends ChainReport {
  readonly trust: TrustReport;
}

const PAGE = 1000;

export async function verifyLog(log: EventLog, keyring: Keyring, scope: VerifyScope): Promise<VerifyReport> {
  const rotations = await readWholeStream(log, KEYS_STREAM);
  const { chain, anchors, trust, chainFailures } = await keyChainOf(log, keyring, rotations);
  scope.onKeyChain?.(chain);
  // onChecked gets what the read returns: with a tenant, not the key rotations fed first.
  const prefix = scope.tenant === undefined ? undefined : tenantStreamPrefix(scope.tenant);
  const given = scope.onChecked;
  const onChecked = given === undefined || prefix === undefined ? given : (r: RecordedEvent, c: EventCheck) => (r.stream.startsWith(prefix) ? given(r, c) : undefined);
  // Read, page after page, while the workers (if any) check the pages before.
  const verifier: EventSink = (scope.workers ?? 1) > 1
    ? new ParallelChainVerifier({ anchors, rotations }, scope.workers, onChecked)
    : oneThread(new ChainVerifier(keyring, chain), onChecked);
  if (scope.stream !== undefined) {
    for await (const e of scope.stream === KEYS_STREAM ? rotations : pagedStream(log, scope.stream)) {
      verifier.add(e);
      await verifier.ready();
    }
  } else {
    // A tenant's verification covers the keys' chain its events depend on; the whole log reads it anyway.
    if (scope.tenant !== undefined) for (const e of rotations) verifier.add(e);
    const filter = prefix === undefined ? undefined : { streamPrefixes: [prefix] };
    // Workers parse each event's JSON themselves: this thread posts the store's text unread.
    const jsonText = (scope.workers ?? 1) > 1;
    let after: bigint | undefined;
    for (;;) {
      const page = await log.readAll({ after, maxCount: PAGE, jsonText, ...(filter === undefined ? {} : { filter }) });
      for (const e of page) verifier.add(e);
      await verifier.ready();
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.position;
    }
  }
  const report = await verifier.finish();
  const reported = new Set(report.failures.map((f) => f.eventId));
  const walked = scope.stream === undefined || scope.stream === KEYS_STREAM;
  const failures = walked ? [...report.failures, ...chainFailures.filter((f) => !reported.has(f.eventId))] : report.failures;
  return { ...report, failures, trust };
}

/** The key chain from the pinned keys (or the log's first key) through the rotations in `rotations`. */
async function keyChainOf(log: EventLog, keyring: Keyring, rotations: readonly RecordedEvent[]) {
  const known = knownPublicKeys(keyring, rotations);
  let anchors: TrustAnchor[];
  let mode: TrustReport['mode'];
  let warning: string | undefined;
  if (keyring.trustedKeys.length > 0) {
    mode = 'pinned';
    anchors = [];
    const unknown: string[] = [];
    for (const spec of keyring.trustedKeys) {
      const parsed = parseTrustedKey(spec);
      // The configuration and the CLI refuse a bad key before it gets here.
      if (!parsed.ok) throw new RangeError(`trusted key ${spec}: ${parsed.reason}`);
      if ('publicKey' in parsed.value) {
        anchors.push({ keyId: keyIdOf(parsed.value.publicKey), publicKey: parsed.value.publicKey });
        continue;
      }
      const publicKey = known.get(parsed.value.keyId);
      if (publicKey === undefined) unknown.push(spec);
      else anchors.push({ keyId: parsed.value.keyId, publicKey });
    }
    // A pin whose public key is nowhere to be found starts no chain; what only it would reach fails.
    if (unknown.length > 0) warning = `trusted key ${unknown.join(', ')}: no public key for it in the keyring or the key chain, so it verifies nothing; pin its base64 public key instead`;
  } else {
    mode = 'first-use';
    const [first] = await log.readAll({ maxCount: 1 });
    const keyId: unknown = first === undefined ? undefined : envelopeOf(first).keyId;
    const publicKey = typeof keyId === 'string' ? known.get(keyId) : undefined;
    anchors = typeof keyId === 'string' && publicKey !== undefined ? [{ keyId, publicKey }] : [];
    warning = first === undefined
      ? 'no trusted key configured and the log is empty'
      : anchors.length === 0
        ? `no trusted key configured, and the key of the log's first event (${String(keyId)}) is not known: nothing verifies`
        : `no trusted key configured: trusting the key of the log's first event, ${anchors[0]!.keyId}, on first use; pin it (COMPANYOS_TRUSTED_KEYS or --trusted-key) to check it`;
  }
  const chain = new KeyChain(anchors);
  const chainFailures: ChainFailure[] = [];
  for (const r of rotations) {
    const sealed = fromRecordedEvent(r);
    // A rotation that does not decode is named by the chain verification of its stream.
    if (isLeft(sealed) || sealed.right.type !== KEY_ROTATED_EVENT_TYPE) continue;
    const reason = chain.follow(sealed.right);
    if (reason !== null) chainFailures.push({ stream: r.stream, revision: Number(r.revision), eventId: r.id, reason });
  }
  const trust: TrustReport = { mode, anchors: anchors.map((a) => a.keyId), keys: chain.keys(), ...(warning === undefined ? {} : { warning }) };
  return { chain, anchors, trust, chainFailures };
}

/** Public keys by id, from the keyring and the rotations (each checked against its id). */
function knownPublicKeys(keyring: Keyring, rotations: readonly RecordedEvent[]): Map<string, Uint8Array> {
  const known = new Map<string, Uint8Array>();
  for (const e of keyring.entries) known.set(e.keyId, e.publicKey);
  for (const r of rotations) {
    const data = r.data as { retiredPublicKey?: unknown; nextPublicKey?: unknown } | null;
    for (const text of [data?.retiredPublicKey, data?.nextPublicKey]) {
      if (typeof text !== 'string') continue;
      const publicKey = Buffer.from(text, 'base64');
      if (publicKey.length === 32 && !known.has(keyIdOf(publicKey))) known.set(keyIdOf(publicKey), publicKey);
    }
  }
  return known;
}

async function readWholeStream(log: EventLog, stream: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const e of pagedStream(log, stream)) events.push(e);
  return events;
}

async function* pagedStream(log: EventLog, stream: string): AsyncIterable<RecordedEvent> {
  let fromRevision = 0n;
  for (;;) {
    const page = await log.readStream(stream, { fromRevision, maxCount: PAGE });
    yield* page;
    if (page.length < PAGE) return;
    fromRevision = page[page.length - 1]!.revision + 1n;
  }
}
