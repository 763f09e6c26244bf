// Receipts: for one event, or many, everything an outsider needs to check with no access to this system
// that the event is in its tenant's log (schemas/receipt.ts): the sealed event as sealed (no `position`),
// its RFC 6962 inclusion proof in the tenant's tree at the size of the tenant's latest signed checkpoint,
// that checkpoint's note with the witness cosignatures the server holds for it (c2sp.org/tlog-cosignature
// lines, commands/cosignatures.ts), and the keys (the note key's verifier string, the event's signing key,
// and the log key's sealed rotations when it has any, so a verifier that pinned the first key reaches them).
// Reads the log and the tree read model, so it is the application's. Many receipts share one checkpoint and
// one query for all their proofs' subtrees.
import type { EventLog, RecordedEvent } from '../adapters/event-log/index.js';
import { fromRecordedEvent, type Keyring } from '../ledger/index.js';
import { toBase64 } from '../ledger/bytes.js';
import type { Hash } from '../ledger/merkle.js';
import type { LeafView, StoredCheckpoint } from '../projections/tree/tree-queries.js';
import type { Receipt } from '../schemas/receipt.js';
import type { SealedEvent } from '../schemas/sealed-event.js';
import { tenantStreamPrefix } from '../schemas/streams.js';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { CosignatureStore } from '../adapters/read-store/cosignatures.js';
import { ED25519_NOTE, verifierString } from '../ledger/signed-note.js';
import { withCosignatures } from './cosignatures.js';
import { failure, Refusal } from './failure.js';

/** What receipts read of the tenant trees (projections/tree/tree-queries.ts TreeQueries). */
export interface TreeReads {
  latestCheckpoint(tenant: string): Promise<StoredCheckpoint | undefined>;
  leaf(tenant: string, eventId: string): Promise<LeafView | undefined>;
  leaves(tenant: string, eventIds: readonly string[]): Promise<Map<string, LeafView>>;
  leavesSealedBetween(tenant: string, from: string, to: string, limit: number): Promise<LeafView[]>;
  inclusionProofs(tenant: string, leafIndexes: readonly number[], treeSize: number): Promise<Map<number, Hash[]>>;
}

export interface ReceiptDeps {
  readonly log: EventLog;
  readonly trees: TreeReads;
  readonly keyring: Keyring;
  /** COMPANYOS_LOG_ORIGIN: the note key's name. */
  readonly logOrigin: string;
  /** The witnesses' cosignatures: with it, each receipt's checkpoint note carries the lines held for it. */
  readonly cosignatures?: CosignatureStore;
  /** The log key's sealed rotations (commands/rotate-key.ts keyRotations): each receipt carries them, when any. */
  readonly rotations?: () => Promise<readonly SealedEvent[]>;
}

/** Which events a bulk export covers: a stream of the tenant, or what was sealed in [from, to). */
export type ReceiptSelection = { readonly stream: string } | { readonly from: string; readonly to: string };

export interface ReceiptBatch {
  readonly checkpoint: StoredCheckpoint;
  readonly receipts: readonly Receipt[];
  /** Events selected that the latest checkpoint does not cover yet (no receipt for them yet). */
  readonly unanchored: number;
}

const PAGE = 5000;

/** Standard base64 by Node's encoder: thousands of receipts carry tens of hashes each. */
const base64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** The receipt of one event of `tenant`; refuses with not-found, or not-anchored while no checkpoint covers it. */
export async function receiptOf(deps: ReceiptDeps, tenant: string, eventId: string): Promise<Receipt> {
  const leaf = await deps.trees.leaf(tenant, eventId);
  if (leaf === undefined) throw new Refusal(failure('not-found', `no event ${eventId} in this tenant's tree (an event just written joins it within moments)`));
  const batch = await receiptsFor(deps, tenant, [leaf], readAt(deps.log, tenant, [leaf]));
  if (batch.receipts.length === 0) throw new Refusal(failure('not-anchored', `event ${eventId} is leaf ${leaf.leafIndex}; the latest checkpoint covers ${batch.checkpoint.treeSize} leaves`));
  return batch.receipts[0]!;
}

/** Receipts of the selected events of `tenant`, in tree order, at most `limit`, against its latest checkpoint. */
export async function receiptsOf(deps: ReceiptDeps, tenant: string, selection: ReceiptSelection, limit: number): Promise<ReceiptBatch> {
  if ('stream' in selection) {
    const records: RecordedEvent[] = [];
    for (let fromRevision = 0n; records.length < limit; ) {
      const page = await deps.log.readStream(selection.stream, { fromRevision, maxCount: Math.min(PAGE, limit - records.length) });
      records.push(...page);
      if (page.length < PAGE) break;
      fromRevision = page[page.length - 1]!.revision + 1n;
    }
    const leaves = await deps.trees.leaves(tenant, records.map((r) => r.id));
    const found = records.filter((r) => leaves.has(r.id));
    return receiptsFor(deps, tenant, found.map((r) => leaves.get(r.id)!), Promise.resolve(new Map(found.map((r) => [r.id, r]))));
  }
  const leaves = await deps.trees.leavesSealedBetween(tenant, selection.from, selection.to, limit);
  return receiptsFor(deps, tenant, leaves, readAt(deps.log, tenant, leaves));
}

/** The log's records of `leaves` (of `tenant`), by event id: one pass over the tenant's events between their positions. */
async function readAt(log: EventLog, tenant: string, leaves: readonly LeafView[]): Promise<Map<string, RecordedEvent>> {
  const wanted = new Set(leaves.map((l) => l.eventId));
  const found = new Map<string, RecordedEvent>();
  if (leaves.length === 0) return found;
  const positions = leaves.map((l) => l.position);
  const first = positions.reduce((a, b) => (a < b ? a : b));
  const last = positions.reduce((a, b) => (a > b ? a : b));
  const filter = { streamPrefixes: [tenantStreamPrefix(tenant)] };
  for (let after = first - 1n; found.size < wanted.size; ) {
    const page = await log.readAll({ after, maxCount: leaves.length === 1 ? 1 : PAGE, filter });
    for (const r of page) if (r.position <= last && wanted.has(r.id)) found.set(r.id, r);
    const end = page[page.length - 1];
    if (end === undefined || end.position >= last) break;
    after = end.position;
  }
  return found;
}

/** `reading`: the events' records, read while the proofs are (the log and the read store work in parallel). */
async function receiptsFor(deps: ReceiptDeps, tenant: string, leaves: readonly LeafView[], reading: Promise<ReadonlyMap<string, RecordedEvent>>): Promise<ReceiptBatch> {
  reading.catch(() => {}); // reported where it is awaited
  const checkpoint = await deps.trees.latestCheckpoint(tenant);
  if (checkpoint === undefined) throw new Refusal(failure('not-anchored', `no signed checkpoint of tenant ${tenant} yet`));
  const anchored = leaves.filter((l) => l.leafIndex < checkpoint.treeSize).sort((a, b) => a.leafIndex - b.leafIndex);
  const [proofs, records] = await Promise.all([deps.trees.inclusionProofs(tenant, anchored.map((l) => l.leafIndex), checkpoint.treeSize), reading]);
  const note = deps.cosignatures === undefined ? checkpoint.note : (await withCosignatures(deps.cosignatures, tenant, [checkpoint.note]))[0]!;
  const rotations = (await deps.rotations?.()) ?? [];
  const keyOf = publicKeyOf(deps.keyring, rotations);
  const checkpointKey = keyOf(checkpoint.keyId);
  const checkpointKeys = checkpointKey === undefined ? [] : [verifierString(deps.logOrigin, ED25519_NOTE, checkpointKey)];
  const eventKeys = new Map<string, Receipt['keys']['events']>();
  const receipts: Receipt[] = [];
  for (const leaf of anchored) {
    const record = records.get(leaf.eventId);
    const sealed = record === undefined ? undefined : fromRecordedEvent(record);
    // The log no longer holds it (or holds it damaged): verification names that; a receipt cannot be made.
    if (sealed === undefined || isLeft(sealed)) continue;
    const event = sealed.right;
    let keys = eventKeys.get(event.keyId);
    if (keys === undefined) {
      const publicKey = keyOf(event.keyId);
      keys = publicKey === undefined ? [] : [{ keyId: event.keyId, publicKey: toBase64(publicKey) }];
      eventKeys.set(event.keyId, keys);
    }
    receipts.push({
      event,
      leafIndex: leaf.leafIndex,
      treeSize: checkpoint.treeSize,
      hashes: proofs.get(leaf.leafIndex)!.map(base64),
      checkpoint: note,
      keys: rotations.length === 0 ? { checkpoint: checkpointKeys, events: keys } : { checkpoint: checkpointKeys, events: keys, rotations },
    });
  }
  return { checkpoint, receipts, unanchored: leaves.length - anchored.length };
}

/**
 * A key's public key by its id: the keyring's, else the one a sealed rotation names (a server whose keyring
 * holds only its current key still hands out receipts of its predecessors' events). Which of them to trust
 * is the verifier's business: it pins keys and follows the rotations itself.
 */
function publicKeyOf(keyring: Keyring, rotations: readonly SealedEvent[]): (keyId: string) => Uint8Array | undefined {
  const named = new Map<string, Uint8Array>();
  for (const r of rotations) {
    const data = r.data as { retiredKeyId?: unknown; retiredPublicKey?: unknown; nextKeyId?: unknown; nextPublicKey?: unknown };
    for (const [id, key] of [[data.retiredKeyId, data.retiredPublicKey], [data.nextKeyId, data.nextPublicKey]] as const) {
      if (typeof id === 'string' && typeof key === 'string' && !named.has(id)) named.set(id, Uint8Array.from(Buffer.from(key, 'base64')));
    }
  }
  return (keyId) => keyring.find(keyId)?.publicKey ?? named.get(keyId);
}
