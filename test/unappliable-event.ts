// A sealed event a read model cannot hold, written straight to the log (as an older version, a bug or a
// hand-made append could): a graph.node.upserted whose observedAt and effectiveAt are an impossible date.
// It is sealed and signed like any other; only the read store refuses it ("date/time field value out of range").
import { randomUUID } from 'node:crypto';
import { isLeft } from 'fp-ts/lib/Either.js';
import { fromRecordedEvent, sealEvent, toEventDraft } from '../ledger/index.js';
import { testSigningKey } from './test-events.js';
import type { EventLog } from '../adapters/event-log/index.js';
import { GENESIS_HASH, type SealedEvent, type UnsealedEvent } from '../schemas/sealed-event.js';
import { streamName } from '../schemas/streams.js';

export const IMPOSSIBLE_DATE = '2026-02-30T00:00:00Z';

/**
 * Appends, bypassing the command pipeline, a copy of the log's first graph.node.upserted moved to node
 * `nodeId` of `tenant` with an impossible date. The system under test must sign with the test key.
 */
export async function appendImpossibleDate(log: EventLog, tenant: string, nodeId: string): Promise<{ readonly id: string; readonly position: bigint }> {
  // On a shared PostgreSQL server a commit becomes readable once older transactions end (the log's horizon):
  // wait for the one to copy rather than fail while another client holds a long transaction open.
  let record = (await log.readAll()).find((r) => r.type === 'graph.node.upserted');
  for (const deadline = Date.now() + 30_000; record === undefined && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    record = (await log.readAll()).find((r) => r.type === 'graph.node.upserted');
  }
  if (record === undefined) throw new Error('appendImpossibleDate: the log holds no graph.node.upserted to copy');
  const decoded = fromRecordedEvent(record);
  if (isLeft(decoded)) throw new Error(decoded.left);
  const { hash: _hash, keyId: _keyId, signature: _signature, ...template } = decoded.right as SealedEvent;
  const stream = streamName(tenant, 'graph.node', nodeId);
  const unsealed: UnsealedEvent = {
    ...template,
    id: randomUUID(),
    stream,
    revision: 0,
    tenant,
    prevHash: GENESIS_HASH,
    data: { ...(template.data as Record<string, unknown>), id: nodeId },
    meta: { ...template.meta, observedAt: IMPOSSIBLE_DATE, effectiveAt: IMPOSSIBLE_DATE },
  };
  const sealed = sealEvent(unsealed, testSigningKey());
  const appended = await log.append(stream, 'no-stream', [toEventDraft(sealed)]);
  return { id: sealed.id, position: appended.position };
}
