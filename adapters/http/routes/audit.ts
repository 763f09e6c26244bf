// The audit index API: one tenant's sealed events and denials, filtered, newest first, paged by an opaque
// cursor, or exported whole as a stream (NDJSON or CSV). Tenant from the token only; each route declares
// its query (validate) and its authorization (audit.read / audit.export, in `audit` under `read`).
import { Hono } from 'hono';
import type { AccessDeps } from '../../../commands/access.js';
import type { AuditIndexReader, AuditRow, AuditSearch } from '../../../projections/audit/audit-index.js';
import {
  AUDIT_DEFAULT_LIMIT, AUDIT_ENTRY_FIELDS, AuditCursor, AuditEventsQuery, AuditExportQuery, type AuditEntry, type AuditExportFormat,
} from '../../../schemas/audit.js';
import type { AppEnv } from '../env.js';
import { readAuthorization } from '../middleware/authorize.js';
import { validate } from '../middleware/validate.js';

export interface AuditRouteDeps {
  readonly access: AccessDeps;
  readonly audit: AuditIndexReader;
}

/** Rows per internal query of an export: large enough to amortize FINAL, small enough to buffer. */
export const EXPORT_PAGE = 5000;

type Filters = Omit<AuditSearch, 'tenant' | 'after' | 'limit'>;

const filtersOf = (q: AuditExportQuery | AuditEventsQuery): Filters => ({
  ...(q.actor === undefined ? {} : { actor: q.actor }),
  ...(q.resource === undefined ? {} : { resource: q.resource }),
  ...(q.action === undefined ? {} : { action: q.action }),
  ...(q.outcome === undefined ? {} : { outcome: q.outcome }),
  ...(q.purpose === undefined ? {} : { purpose: q.purpose }),
  ...(q.from === undefined ? {} : { from: q.from }),
  ...(q.to === undefined ? {} : { to: q.to }),
});

export const entryOf = (r: AuditRow): AuditEntry => ({
  time: r.time,
  tenant: r.tenant,
  actorId: r.actor_id,
  actorType: r.actor_type,
  action: r.action,
  resource: r.resource,
  outcome: r.outcome,
  decisionId: r.decision_id,
  policyVersion: r.policy_version,
  region: r.region,
  requestId: r.request_id,
  eventId: r.event_id,
  position: String(r.position),
  hash: r.hash,
  reason: r.reason,
  purpose: r.purpose,
});

const cursorAfter = (r: AuditRow): AuditCursor => ({ time: r.time, eventId: r.event_id });

/**
 * A cell a spreadsheet would run as a formula (OWASP CSV injection): it starts with = + - @ (also in their
 * full-width forms, and after leading blanks, which some importers trim) or with TAB, CR, LF or NUL.
 */
const FORMULA = /^[\t\r\n\0]|^\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]/;

/**
 * RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled; records end with CRLF. A
 * formula-like field gets a leading single quote (the spreadsheet shows it as text) and is quoted.
 */
export const csvField = (value: string): string => {
  if (FORMULA.test(value)) return `"'${value.replaceAll('"', '""')}"`;
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
};
const csvRecord = (values: readonly string[]): string => `${values.map(csvField).join(',')}\r\n`;

const EXPORT_TYPES: Readonly<Record<AuditExportFormat, string>> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
};

function encodeRows(format: AuditExportFormat, rows: readonly AuditRow[]): string {
  const entries = rows.map(entryOf);
  return format === 'csv'
    ? entries.map((e) => csvRecord(AUDIT_ENTRY_FIELDS.map((f) => e[f]))).join('')
    : entries.map((e) => `${JSON.stringify(e)}\n`).join('');
}

/**
 * The whole answer as a byte stream, one page of the index per pull, so memory stays at one page
 * whatever the size and a slow client slows the queries. The first page is read before the response
 * starts (its failure is still a problem); a later failure aborts the stream, which the client sees
 * as a truncated transfer rather than a complete-looking file.
 */
async function exportStream(
  audit: AuditIndexReader,
  search: Omit<AuditSearch, 'limit' | 'after'>,
  format: AuditExportFormat,
): Promise<ReadableStream<Uint8Array>> {
  const encoder = new TextEncoder();
  let page = await audit.searchAudit({ ...search, limit: EXPORT_PAGE });
  let header = format === 'csv' ? csvRecord(AUDIT_ENTRY_FIELDS) : '';
  let done = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (done) {
        controller.close();
        return;
      }
      const rows = page;
      controller.enqueue(encoder.encode(header + encodeRows(format, rows)));
      header = '';
      const last = rows[rows.length - 1];
      if (rows.length < EXPORT_PAGE || last === undefined) {
        done = true;
        return;
      }
      page = await audit.searchAudit({ ...search, after: cursorAfter(last), limit: EXPORT_PAGE });
    },
  });
}

export function auditRoutes(deps: AuditRouteDeps): Hono<AppEnv> {
  // The audit index is every actor's record: reading it is its own action, in the `audit` group under `read`.
  const authorize = readAuthorization(deps.access, ['audit', 'read']);
  const theIndex = (c: { get(key: 'principal'): { tenant: string } }) => ({ type: 'AuditIndex', id: c.get('principal').tenant });
  return new Hono<AppEnv>()
    .get('/v1/audit/events', validate('query', AuditEventsQuery), authorize('audit.read', theIndex), async (c) => {
      const q = c.req.valid('query');
      const limit = q.limit ?? AUDIT_DEFAULT_LIMIT;
      const rows = await deps.audit.searchAudit({
        tenant: c.get('principal').tenant,
        ...filtersOf(q),
        ...(q.cursor === undefined ? {} : { after: q.cursor }),
        // One more than asked says whether another page exists without counting.
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const nextCursor = rows.length > limit && last !== undefined ? AuditCursor.encode(cursorAfter(last)) : undefined;
      const next = nextCursor === undefined ? undefined : `${c.req.path}?${new URLSearchParams({ ...c.req.query(), cursor: nextCursor }).toString()}`;
      return c.json({ events: page.map(entryOf), ...(nextCursor === undefined ? {} : { nextCursor, next }) });
    })
    .get('/v1/audit/export', validate('query', AuditExportQuery), authorize('audit.export', theIndex), async (c) => {
      const query = c.req.valid('query');
      const format = query.format ?? 'ndjson';
      const tenant = c.get('principal').tenant;
      const body = await exportStream(deps.audit, { tenant, ...filtersOf(query) }, format);
      return c.body(body, 200, {
        'content-type': EXPORT_TYPES[format],
        'content-disposition': `attachment; filename="audit-${tenant}.${format}"`,
        'cache-control': 'no-store',
      });
    });
}
