// At rotation the outgoing key signs, for every tenant of the log, a checkpoint of the tenant's whole tree
// as the log holds it now (each tenant's tree rebuilt from its events: leaf = SHA-256(0x00 ‖ event hash)),
// in the checkpointer's own form (commands/checkpointer.ts: a c2sp.org signed note, sealed as
// `ledger.checkpoint.signed` onto `<tenant>/ledger`, the same event id for the same size). So everything the
// key sealed is anchored by a checkpoint it signed before it was destroyed, and the checkpointer, restarted
// with the new key, carries on from those sizes. Run with no server sealing: a revision conflict on a
// tenant's ledger stream means one is, and the rotation stops.
import type { EventLog } from '../adapters/event-log/index.js';
import { CompactRange, envelopeOf, formatCheckpoint, leafHash, signNote, toBase64, type SigningKey } from '../ledger/index.js';
import { CHECKPOINT_EVENT_TYPE, type CheckpointSignedData } from '../schemas/checkpoint-event.js';
import type { EventMeta } from '../schemas/sealed-event.js';
import { ledgerStream } from '../schemas/streams.js';
import { noteSigner, tenantOrigin } from './checkpointer.js';
import { dedupedEventId } from './event-ids.js';
import { appendSealed, sealOntoTail, tailOf } from './stream-writer.js';

export interface FinalCheckpoint {
  readonly tenant: string;
  readonly treeSize: number;
  readonly eventId: string;
}

const PAGE = 1000;

/**
 * Signs and appends, with `key`, a checkpoint of each tenant's whole tree, for the tenants with events past
 * their last checkpoint (other than checkpoint events: those are covered by the next key's checkpoints).
 */
export async function signFinalCheckpoints(log: EventLog, key: SigningKey, logOrigin: string, now: string): Promise<FinalCheckpoint[]> {
  const trees = new Map<string, { readonly range: CompactRange; settled: number }>();
  for (let after: bigint | undefined; ; ) {
    const page = await log.readAll({ ...(after === undefined ? {} : { after }), maxCount: PAGE });
    for (const r of page) {
      const { tenant, hash } = envelopeOf(r);
      // The tree read model's leaves: events that carry a tenant and a sealed hash.
      if (typeof tenant !== 'string' || typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) continue;
      let tree = trees.get(tenant);
      if (tree === undefined) trees.set(tenant, (tree = { range: new CompactRange(), settled: 0 }));
      tree.range.append(leafHash(Buffer.from(hash, 'hex')));
      // As the checkpointer counts: a checkpoint event alone does not make a tenant due (no loop).
      if (!(r.type === CHECKPOINT_EVENT_TYPE && r.stream === ledgerStream(tenant))) tree.settled = tree.range.size;
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.position;
  }
  const signed: FinalCheckpoint[] = [];
  for (const [tenant, { range, settled }] of trees) {
    const size = range.size;
    const stream = ledgerStream(tenant);
    const last = await log.readStream(stream, { direction: 'backwards', maxCount: 1 });
    if (checkpointedSize(last) >= settled) continue;
    const origin = tenantOrigin(logOrigin, tenant);
    const root = range.root();
    const note = signNote(formatCheckpoint({ origin, size, root, extensions: [] }), [noteSigner(logOrigin, key)]);
    const eventId = dedupedEventId(tenant, `ledger.checkpoint:${origin}:${size}`, 0);
    const data: CheckpointSignedData = { origin, treeSize: size, rootHash: toBase64(root), note, keyId: key.keyId };
    const tail = tailOf(last);
    const sealed = sealOntoTail(
      { stream, tail, ids: [eventId], tenant, region: 'global', sealedAt: now, meta: finalMeta(now, origin, size, key.keyId), bodies: [{ type: CHECKPOINT_EVENT_TYPE, schemaVersion: 1, data: { ...data } }] },
      key,
    );
    await appendSealed(log, tail, sealed);
    signed.push({ tenant, treeSize: size, eventId });
  }
  return signed;
}

/** The tree size of the checkpoint event in `records` (the stream's last), 0 if it is none. */
function checkpointedSize(records: readonly { readonly type: string; readonly data: unknown }[]): number {
  const last = records[records.length - 1];
  if (last?.type !== CHECKPOINT_EVENT_TYPE) return 0;
  const size = (last.data as { treeSize?: unknown } | null)?.treeSize;
  return typeof size === 'number' ? size : 0;
}

function finalMeta(now: string, origin: string, size: number, keyId: string): EventMeta {
  const requestId = `key-rotation:${keyId}:${origin}:${size}`;
  return {
    actor: { id: 'companyos-keys', type: 'system', authn: 'system' },
    sourceSystem: 'companyos-keys',
    observedAt: now,
    effectiveAt: now,
    reason: `final checkpoint of ${origin} at size ${size}, signed by ${keyId} before its rotation`,
    evidenceRefs: [],
    confidence: 1,
    privacyTier: 'internal',
    piiFlags: [],
    requestId,
    correlationId: requestId,
    causationId: requestId,
    decision: { id: 'system:key-rotation', policyVersion: 'system', determiningPolicies: [] },
  };
}
