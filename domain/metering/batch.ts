// The metering aggregate: a tenant's accepted batches form one chain of single-batch segment streams
// (`<tenant>/metering/<n>`). Each segment is written once (expected revision: no stream), and only after
// segment n-1 exists, so the chain is linear under concurrency; ids of older segments come from an index.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { METERING_SCHEMA_VERSION, type MeteringBatchRecord, type MeteringEvent, type MeteringRecord } from '../../schemas/metering.js';
import type { DecideContext, Decider } from '../command-handler.js';
import { domainError, validationError, type DomainError } from '../errors.js';

/**
 * Why segments of one batch: the pipeline folds a command's whole stream, so a stream that grew with
 * every batch would make each command slower than the last. A one-batch segment is read in O(batch).
 * Why ids are still exact: segment n is decided knowing (a) the index, which holds every id of
 * segments ≤ indexedThrough, (b) segment n-1's ids, read as a related stream; the command must claim
 * indexedThrough ≥ n-2, so (a) ∪ (b) covers every earlier segment, and nobody can write segment n+1
 * before n exists. A false claim only makes the caller's own records look new.
 */
export interface SegmentState {
  readonly taken: boolean;
  /** Ids recorded in this segment. */
  readonly ids: ReadonlySet<string>;
}

/** What evolving needs of a batch event: its ids (a cheap fold reads only these, see commands.ts). */
export interface BatchIds {
  readonly type: 'metering.batch.recorded';
  readonly data: { readonly records: readonly { readonly eventId: string }[] };
}

export interface SegmentNeighbours {
  /** Segment n-1 (for n = 0: an empty state, never read). */
  readonly previous: SegmentState;
}

export const initialSegmentState: SegmentState = Object.freeze({ taken: false, ids: new Set<string>() });

export function evolveSegment(state: SegmentState, event: BatchIds | MeteringEvent): SegmentState {
  const ids = new Set(state.ids);
  for (const r of event.data.records) ids.add(r.eventId);
  return { taken: true, ids };
}

/** The outcome per record of the command's records, in order. */
export function recordBatch(
  cmd: MeteringBatchRecord,
  state: SegmentState,
  related: SegmentNeighbours,
): Either<DomainError, readonly MeteringEvent[]> {
  const n = cmd.segment;
  if (cmd.indexedThrough > n - 1 || cmd.indexedThrough < n - 2) {
    return left(validationError([`indexedThrough: must be ${n - 2} or ${n - 1} for segment ${n}, got ${cmd.indexedThrough}`]));
  }
  if (state.taken) return left(domainError('conflict', `metering segment ${n} is already written; use segment ${n + 1}`));
  if (n > 0 && !related.previous.taken) {
    return left(domainError('not-found', `metering segment ${n - 1} does not exist yet; segments are written in order`));
  }
  const seen = new Set<string>();
  const accepted: MeteringRecord[] = [];
  const duplicates: string[] = [];
  for (const r of cmd.records) {
    if (seen.has(r.eventId) || related.previous.ids.has(r.eventId)) {
      duplicates.push(r.eventId);
      continue;
    }
    seen.add(r.eventId);
    accepted.push(r);
  }
  if (accepted.length === 0) return right([]);
  return right([
    { type: 'metering.batch.recorded', schemaVersion: METERING_SCHEMA_VERSION, data: { segment: n, records: accepted, duplicates } },
  ]);
}

export type MeteringCommand = MeteringBatchRecord;

export const meteringDecider: Decider<MeteringCommand, SegmentState, MeteringEvent, DecideContext<SegmentNeighbours>> = Object.freeze({
  initialState: initialSegmentState,
  evolve: evolveSegment,
  decide: (cmd: MeteringCommand, state: SegmentState, ctx: DecideContext<SegmentNeighbours>) => recordBatch(cmd, state, ctx.related),
});
