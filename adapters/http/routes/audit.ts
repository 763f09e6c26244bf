// The audit index API: one tenant's sealed events and denials, filtered, newest first, paged by an opaque
// cursor, or exported whole as a stream (NDJSON or CSV). Tenant from the token only; authorized as a read.
import type { Context } from 'hono';
import { Hono } from 'hono';
import type * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { authorize, type AccessDeps } from '../../../commands/access.js';
import type { AuditIndexReader, AuditRow, AuditSearch } from '../../../projections/audit/audit-index.js';
import {
  AUDIT_DEFAULT_LIMIT, AUDIT_ENTRY_FIELDS, AuditCursor, AuditEventsQuery, AuditExportQuery, type AuditEntry, type AuditExportFormat,
} from '../../../schemas/audit.js';
import { formatValidationErrors } from '../../../schemas/validation.js';
import type { AppEnv } from '../env.js';
import { problem, problemOf, sendProblem, type Problem } from '../problem.js';
import { requestInfo } from '../request-info.js';

export interface AuditRouteDeps {
  readonly access: AccessDeps;
  readonly audit: AuditIndexReader;
}

/** Rows per internal query of an export: large enough to amortize FINAL, small enough to buffer. */
export const EXPORT_PAGE = 5000;

type Ctx = Context<AppEnv>;
type Filters = Omit<AuditSearch, 'tenant' | 'after' | 'limit'>;

function badQuery<A>(codec: t.Decoder<unknown, A>, input: unknown): { readonly value: A } | { readonly problem: Problem } {
  const r = codec.decode(input);
  if (!isLeft(r)) return { value: r.right };
  const errors = formatValidationErrors(r.left);
  return { problem: problem('bad-query', errors.join('; '), { errors }) };
}

/** The audit index is every actor's record: reading it is its own action, in the `audit` group under `read`. */
async function refused(deps: AuditRouteDeps, c: Ctx, action: 'audit.read' | 'audit.export'): Promise<Problem | undefined> {
  const principal = c.get('principal');
  const access = await authorize(
    deps.access,
    {
      principal,
      action,
      actionGroups: ['audit', 'read'],
      resource: { type: 'AuditIndex', id: principal.tenant, attributes: { tenant: principal.tenant } },
      context: {},
    },
    requestInfo(c),
  );
  return access.allowed ? undefined : problemOf(access.failure);
}

const filtersOf = (q: AuditExportQuery | AuditEventsQuery): Filters => ({
  ...(q.actor === undefined ? {} : { actor: q.actor }),
  ...(q.resource === undefined ? {} : { resource: q.resource }),
  ...(q.action === undefined ? {} : { action: q.action }),
  ...(q.outcome === undefined ? {} : { outcome: q.outcome }),
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
  return new Hono<AppEnv>()
    .get('/v1/audit/events', async (c) => {
      const query = badQuery(AuditEventsQuery, c.req.query());
      if ('problem' in query) return sendProblem(c, query.problem);
      const denial = await refused(deps, c, 'audit.read');
      if (denial) return sendProblem(c, denial);
      const q = query.value;
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
    .get('/v1/audit/export', async (c) => {
      const query = badQuery(AuditExportQuery, c.req.query());
      if ('problem' in query) return sendProblem(c, query.problem);
      const denial = await refused(deps, c, 'audit.export');
      if (denial) return sendProblem(c, denial);
      const format = query.value.format ?? 'ndjson';
      const tenant = c.get('principal').tenant;
      const body = await exportStream(deps.audit, { tenant, ...filtersOf(query.value) }, format);
      return c.body(body, 200, {
        'content-type': EXPORT_TYPES[format],
        'content-disposition': `attachment; filename="audit-${tenant}.${format}"`,
        'cache-control': 'no-store',
      });
    });
}
