// A metering message run through MeteringIngest.record, as POST /v1/metering/events runs it: valid records
// are kept and the message acked; the invalid ones become one dead letter of their own, with their errors.
import type { RecordResult } from '../../commands/metering-ingest.js';
import { refused, thrown, type Disposition, type IngestDelivery, type IngestPolicy, type IngestTargets, type MeteringBatch } from './ingest-delivery.js';

/** The body of a metering dead letter: each rejected record as sent, with its index in the message and why. */
export interface RejectedRecords {
  readonly rejected: readonly { readonly index: number; readonly eventId: string | null; readonly errors: readonly string[]; readonly record: unknown }[];
}

/** Errors quoted in a reason header; the dead letter's body has all of them. */
const REASON_ERRORS = 20;

export async function executeMeteringBatch(targets: IngestTargets, batch: MeteringBatch, d: IngestDelivery, policy: IngestPolicy): Promise<Disposition> {
  if (targets.metering === undefined) {
    return { kind: 'dead-letter', status: 501, code: 'metering-unavailable', reason: 'this ingest process was started without a metering recorder' };
  }
  try {
    const outcome = await targets.metering.record(batch.records, batch.region, batch.principal, batch.info);
    if (!outcome.ok) return refused(outcome.failure.status, outcome.failure.code, outcome.failure.detail, d, policy);
    const { summary } = outcome;
    const rejected = summary.results.filter((r) => r.status === 'rejected');
    const errors = rejected.flatMap((r) => r.errors ?? []);
    const quoted = errors.slice(0, REASON_ERRORS).join('; ');
    if (rejected.length === summary.results.length) return { kind: 'dead-letter', status: 422, code: 'no-valid-records', reason: quoted };
    const ack = { kind: 'ack', outcome: summary.accepted > 0 ? 'appended' : 'unchanged' } as const;
    if (rejected.length === 0) return ack;
    const body: RejectedRecords = { rejected: rejected.map((r) => rejectedRecord(r, batch.records)) };
    return { ...ack, rejected: { status: 422, code: 'invalid-records', reason: `${rejected.length} of ${summary.results.length} records rejected: ${quoted}`, body } };
  } catch (error) {
    return thrown(error, d, policy);
  }
}

const rejectedRecord = (r: RecordResult, records: readonly unknown[]): RejectedRecords['rejected'][number] => ({
  index: r.index,
  eventId: r.eventId,
  errors: r.errors ?? [],
  record: records[r.index],
});
