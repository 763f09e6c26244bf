// Shapes of the audit index: the `access.denied` and `evidence.accessed` payloads it reads, the query parameters of
// GET /v1/audit/events and /v1/audit/export (closed codecs: a bad or unknown parameter is a 400 naming it),
// the opaque page cursor, and the entry the API answers with.
import * as t from 'io-ts';
import { AnalyticsTimestamp, Uuid, boundedString, integerIn, patternString } from './primitives.js';
import { closedObject, completed, fieldContext } from './validation.js';
import { describedAs } from './json-schema.js';

export const AUDIT_DEFAULT_LIMIT = 100;
export const AUDIT_MAX_LIMIT = 1000;

export const AuditOutcome = t.keyof({ allowed: null, denied: null }, 'outcome');
export type AuditOutcome = t.TypeOf<typeof AuditOutcome>;

/** The payload commands/access.ts seals for a denial; extra fields are tolerated (older or newer writers). */
export const AccessDeniedData = t.readonly(
  t.intersection([
    t.type({
      action: t.string,
      resource: t.readonly(t.type({ type: t.string, id: t.string })),
      explanation: t.string,
    }),
    // The purpose the denied request declared (commands/access.ts), when it declared one.
    t.partial({ purpose: t.string }),
  ]),
  'AccessDeniedData',
);
export type AccessDeniedData = t.TypeOf<typeof AccessDeniedData>;

/**
 * The payload commands/evidence-access.ts seals when someone views or downloads evidence (the audit portal):
 * how, what (an event, its receipt, a checkpoint), and the read it was allowed as.
 */
export const EvidenceAccessedData = t.readonly(
  t.type({
    how: t.keyof({ view: null, download: null }),
    what: t.readonly(t.type({ kind: t.string, id: t.string })),
    action: t.string,
  }),
  'EvidenceAccessedData',
);
export type EvidenceAccessedData = t.TypeOf<typeof EvidenceAccessedData>;

/** Where a page ended. Pages run newest first by (time, event id), so the next page is what sorts below it. */
export interface AuditCursor {
  /** ISO 8601 UTC with milliseconds, as the index stores it. */
  readonly time: string;
  readonly eventId: string;
}

const MS_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Opaque to clients: base64url of `[time, eventId]`. Anything else is a 400, never a silent restart. */
export const AuditCursor = new t.Type<AuditCursor, string, unknown>(
  'cursor (from a previous page)',
  (u): u is AuditCursor =>
    typeof u === 'object' && u !== null && MS_TIME.test((u as AuditCursor).time) && Uuid.is((u as AuditCursor).eventId),
  (u, c) => {
    if (typeof u !== 'string' || !/^[A-Za-z0-9_-]{1,256}$/.test(u)) return t.failure(u, c);
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(u, 'base64url').toString('utf8'));
    } catch {
      return t.failure(u, c);
    }
    if (!Array.isArray(parsed) || parsed.length !== 2) return t.failure(u, c);
    const [time, eventId] = parsed as unknown[];
    if (typeof time !== 'string' || !MS_TIME.test(time) || !AnalyticsTimestamp.is(time) || !Uuid.is(eventId)) return t.failure(u, c);
    return t.success({ time, eventId });
  },
  (a) => Buffer.from(JSON.stringify([a.time, a.eventId]), 'utf8').toString('base64url'),
);
describedAs(AuditCursor, { type: 'string', pattern: '^[A-Za-z0-9_-]{1,256}$', description: 'opaque: nextCursor of the previous page' });

export const AuditLimit = integerIn(`limit (integer 1-${AUDIT_MAX_LIMIT})`, 1, AUDIT_MAX_LIMIT);
export const AuditExportFormat = t.keyof({ ndjson: null, csv: null }, 'format');
export type AuditExportFormat = t.TypeOf<typeof AuditExportFormat>;

/**
 * Filters shared by the page and the export. `from` is inclusive, `to` exclusive: consecutive periods do
 * not overlap. Times are within what the index's DateTime64 column holds (1900-2299), so a bound is never
 * clamped by the store into another instant.
 */
const filters = {
  actor: boundedString(256, 'actor (principal id)'),
  resource: boundedString(1024, 'resource (stream name)'),
  action: patternString('action (e.g. graph.node.upserted or stream.read)', /^[A-Za-z0-9._:-]{1,128}$/),
  outcome: AuditOutcome,
  purpose: patternString('purpose (as declared: X-Purpose or the token claim)', /^[\x21-\x7E][\x20-\x7E]{0,127}$/),
  from: AnalyticsTimestamp,
  to: AnalyticsTimestamp,
};

const orderedPeriod = <A extends { readonly from?: string; readonly to?: string }>(codec: t.Type<A, Record<string, string | undefined>, unknown>) =>
  completed(codec, (q, c): t.Validation<A> =>
    q.from !== undefined && q.to !== undefined && Date.parse(q.to) < Date.parse(q.from)
      ? t.failure(q.to, fieldContext(c, 'to', AnalyticsTimestamp, q.to), 'must not be before from')
      : t.success(q),
  );

/** GET /v1/audit/events */
export const AuditEventsQuery = orderedPeriod(closedObject('AuditEventsQuery', {}, { ...filters, limit: AuditLimit, cursor: AuditCursor }));
export type AuditEventsQuery = t.TypeOf<typeof AuditEventsQuery>;

/** GET /v1/audit/export: the whole answer, so no limit and no cursor. */
export const AuditExportQuery = orderedPeriod(closedObject('AuditExportQuery', {}, { ...filters, format: AuditExportFormat }));
export type AuditExportQuery = t.TypeOf<typeof AuditExportQuery>;

/** One audit entry as the API answers it (JSON, NDJSON, and the CSV columns in this order). */
export interface AuditEntry {
  readonly time: string;
  readonly tenant: string;
  readonly actorId: string;
  readonly actorType: string;
  readonly action: string;
  readonly resource: string;
  readonly outcome: AuditOutcome;
  readonly decisionId: string;
  readonly policyVersion: string;
  readonly region: string;
  readonly requestId: string;
  readonly eventId: string;
  readonly position: string;
  readonly hash: string;
  readonly reason: string;
  /** The purpose the request declared; '' when none. */
  readonly purpose: string;
}

export const AUDIT_ENTRY_FIELDS: readonly (keyof AuditEntry)[] = [
  'time', 'tenant', 'actorId', 'actorType', 'action', 'resource', 'outcome', 'decisionId', 'policyVersion',
  'region', 'requestId', 'eventId', 'position', 'hash', 'reason', 'purpose',
];
