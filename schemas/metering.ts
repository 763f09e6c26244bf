// Metering shapes: one usage record, the batch command the ingest route builds, and the sealed batch
// event. Quantities are exact decimal strings (numbers are accepted and turned into their shortest form).
import * as t from 'io-ts';
import { eventCodec, eventUnion } from './event-body.js';
import { AnalyticsTimestamp, Region, patternString } from './primitives.js';
import { text } from './provenance.js';
import { closedObject } from './validation.js';
import { describedAs } from './json-schema.js';

export const METERING_SCHEMA_VERSION = 1;
/** Most records in one batch: bounds the sealed event (about 3 MB) and one request's work. */
export const MAX_BATCH_RECORDS = 10_000;
/** Body limit of POST /v1/metering/events: 10,000 records of ~800 bytes. */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;

const DECIMAL = /^(0|[1-9]\d{0,19})(\.\d{1,12})?$/;

/**
 * A non-negative exact decimal with at most 20 integer and 12 fractional digits (ClickHouse Decimal128(12)).
 * A JSON number is accepted when its shortest rendering is such a decimal (no exponent): 0.1 → "0.1".
 */
export const DecimalString = new t.Type<string, string, unknown>(
  'DecimalString (non-negative, ≤ 12 decimals, e.g. "12.5")',
  (u): u is string => typeof u === 'string' && DECIMAL.test(u),
  (u, c) => {
    const s = typeof u === 'number' && Number.isFinite(u) ? String(u) : u;
    return typeof s === 'string' && DECIMAL.test(s) ? t.success(s) : t.failure(u, c);
  },
  t.identity,
);
describedAs(DecimalString, { anyOf: [{ type: 'string', pattern: DECIMAL.source }, { type: 'number', minimum: 0 }] });

/** Slugs for services, teams, meters and units: they become ClickHouse group keys and URL values. */
export const MeterName = patternString('name (1-128 chars: letters, digits, . _ - : /)', /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/);

export const Tags = t.readonly(t.record(text(256), text(256)), 'Tags (string → string)');

export const MeteringRecord = closedObject(
  'MeteringRecord',
  {
    /** The producer's id for this observation: the idempotency key within the tenant. */
    eventId: patternString('eventId (1-128 visible ASCII chars)', /^[\x21-\x7e]{1,128}$/),
    service: MeterName,
    team: MeterName,
    meter: MeterName,
    quantity: DecimalString,
    unit: MeterName,
    ts: AnalyticsTimestamp,
  },
  { tags: Tags },
);
export type MeteringRecord = t.TypeOf<typeof MeteringRecord>;

const SegmentNumber = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'SegmentNumber (integer ≥ 0)');
const IndexedThrough = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= -1, 'IndexedThrough (integer ≥ -1)');

const Records = t.refinement(
  t.readonlyArray(MeteringRecord),
  (rs) => rs.length >= 1 && rs.length <= MAX_BATCH_RECORDS,
  `records (1..${MAX_BATCH_RECORDS} MeteringRecord)`,
);
describedAs(SegmentNumber, { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
describedAs(IndexedThrough, { type: 'integer', minimum: -1, maximum: Number.MAX_SAFE_INTEGER });
describedAs(Records, (of) => ({ type: 'array', minItems: 1, maxItems: MAX_BATCH_RECORDS, items: of(MeteringRecord) }));

/**
 * `metering.batch.record`: what the ingest route hands the pipeline (see domain/metering/batch.ts for
 * segments). `indexedThrough` is the last segment whose ids the accepted-id index already holds, and
 * `records` are only the records the index did not know; the decision dedupes against the rest.
 */
export const MeteringBatchRecord = closedObject('MeteringBatchRecord', {
  region: Region,
  segment: SegmentNumber,
  indexedThrough: IndexedThrough,
  records: Records,
});
export type MeteringBatchRecord = t.TypeOf<typeof MeteringBatchRecord>;

const MeteringBatchRecordedData = t.readonly(
  t.exact(
    t.type({
      segment: t.number,
      /** Accepted records, in request order: the batch's hash covers every one. */
      records: t.readonlyArray(MeteringRecord),
      /** Ids the decision dropped as already accepted in this or the previous segment. */
      duplicates: t.readonlyArray(t.string),
    }),
  ),
);
export const MeteringBatchRecorded = eventCodec('metering.batch.recorded', METERING_SCHEMA_VERSION, MeteringBatchRecordedData);
export type MeteringBatchRecorded = t.TypeOf<typeof MeteringBatchRecorded>;

export const MeteringEvent = eventUnion('MeteringEvent', [MeteringBatchRecorded]);
export type MeteringEvent = t.TypeOf<typeof MeteringEvent>;

/** The HTTP body of POST /v1/metering/events; records are checked one by one, so they arrive unknown. */
export const MeteringIngestBody = closedObject(
  'MeteringIngestBody',
  {
    records: describedAs(
      t.refinement(t.readonlyArray(t.unknown), (rs) => rs.length >= 1 && rs.length <= MAX_BATCH_RECORDS, `records (array of 1..${MAX_BATCH_RECORDS})`),
      // Checked one by one after the body decodes (invalid ones are answered by index); described as what each must be.
      (of) => ({ type: 'array', minItems: 1, maxItems: MAX_BATCH_RECORDS, items: of(MeteringRecord) }),
    ),
  },
  { region: Region },
);
export type MeteringIngestBody = t.TypeOf<typeof MeteringIngestBody>;
