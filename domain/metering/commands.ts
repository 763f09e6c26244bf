// `metering.batch.record` as the pipeline sees it: one segment stream per accepted batch, the previous
// segment as a related stream, and a fold that reads only record ids (the log is sealed; full decoding
// of 10,000 records per command would cost more than the decision).
import * as t from 'io-ts';
import { right, left } from 'fp-ts/lib/Either.js';
import { MeteringBatchRecord, MeteringEvent } from '../../schemas/metering.js';
import { streamName } from '../../schemas/streams.js';
import type { CommandHandler, Fold, RelatedStream } from '../command-handler.js';
import { evolveSegment, initialSegmentState, recordBatch, type BatchIds, type SegmentNeighbours, type SegmentState } from './batch.js';

export const meteringSegmentStream = (tenant: string, segment: number): string => streamName(tenant, 'metering', String(segment));

/** A batch event's ids, checked just enough to fold: type, and a string eventId per record. */
const BatchIdsView = new t.Type<BatchIds, BatchIds, unknown>(
  'MeteringBatchIds',
  (u): u is BatchIds => typeof u === 'object' && u !== null && (u as { type?: unknown }).type === 'metering.batch.recorded',
  (u, c) => {
    const e = u as { type?: unknown; data?: { records?: unknown } } | null;
    if (e === null || typeof e !== 'object' || e.type !== 'metering.batch.recorded') return t.failure(u, c, 'expected a metering.batch.recorded event');
    const records = e.data?.records;
    if (!Array.isArray(records) || !records.every((r) => typeof (r as { eventId?: unknown } | null)?.eventId === 'string')) {
      return t.failure(u, c, 'expected data.records with string eventIds');
    }
    return t.success(e as BatchIds);
  },
  t.identity,
);

const foldSegment: Fold<SegmentState> = (events, from) => {
  let state = from ?? initialSegmentState;
  for (const [i, e] of events.entries()) {
    const decoded = BatchIdsView.decode(e);
    if (decoded._tag === 'Left') return left([`event ${i}: not a metering batch`]);
    state = evolveSegment(state, decoded.right);
  }
  return right(state);
};

const emptyStream = (stream: string): RelatedStream<SegmentState> => ({ stream, fold: () => right(initialSegmentState) });

export const meteringBatchRecord: CommandHandler<MeteringBatchRecord, SegmentState, MeteringEvent, SegmentNeighbours> = {
  codec: MeteringBatchRecord,
  resourceType: 'MeteringSegment',
  action: 'record',
  resourceId: (cmd) => String(cmd.segment),
  resourceAttributes: (cmd, state) => ({ region: cmd.region, taken: state.taken }),
  region: (cmd) => cmd.region,
  streamOf: (tenant, cmd) => meteringSegmentStream(tenant, cmd.segment),
  // The index the command claims to have consulted is evidence of the decision (ARCHITECTURE.md: cross-aggregate
  // rules say so in meta.evidenceRefs). observedAt: the latest record's time, a fact of the batch.
  provenance: (cmd) => {
    const observedAt = cmd.records.reduce((a, r) => (Date.parse(r.ts) > Date.parse(a) ? r.ts : a), cmd.records[0]!.ts);
    return {
      sourceSystem: 'companyos-metering',
      observedAt,
      effectiveAt: observedAt,
      evidenceRefs: [`readmodel:metering_usage#segments<=${cmd.indexedThrough}`],
      confidence: 1,
      privacyTier: 'internal',
      piiFlags: [],
    };
  },
  naturalKey: () => undefined,
  relatedStreams: (tenant, cmd) => ({
    previous:
      cmd.segment === 0
        ? emptyStream(meteringSegmentStream(tenant, 0)) // never read: segment 0 has no predecessor
        : { stream: meteringSegmentStream(tenant, cmd.segment - 1), fold: foldSegment },
  }),
  initialState: initialSegmentState,
  evolve: evolveSegment,
  fold: foldSegment,
  decide: (cmd, state, ctx) => recordBatch(cmd, state, ctx.related),
  encodeEvent: (e) => MeteringEvent.encode(e),
};

export const meteringCommands = Object.freeze({ 'metering.batch.record': meteringBatchRecord });

/** The ids a segment's stored events record (the ingest route reads segment n-1 when the index lags). */
export const segmentIdsOf = (events: readonly unknown[]): ReadonlySet<string> => {
  const folded = foldSegment(events);
  if (folded._tag === 'Left') throw new Error(`metering segment unreadable: ${folded.left.join('; ')}`);
  return folded.right.ids;
};
