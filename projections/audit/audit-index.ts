// The audit index as the audit projection and the audit API need it: insert rows (idempotent per event id)
// and search one tenant's rows newest first. The ClickHouse adapter implements it; projections/ stays free of it.
import type { AuditCursor, AuditOutcome } from '../../schemas/audit.js';

/** One sealed event as an audit row; keys are the index's column names. */
export interface AuditRow {
  readonly tenant: string;
  /** The event's sealedAt, ISO 8601 UTC with milliseconds (the index's precision). */
  readonly time: string;
  readonly actor_id: string;
  readonly actor_type: string;
  /** The event type; for a denial, the action that was denied. */
  readonly action: string;
  /** The stream written; for a denial, the denied resource (as a stream name where it has one). */
  readonly resource: string;
  readonly outcome: AuditOutcome;
  readonly decision_id: string;
  readonly policy_version: string;
  readonly region: string;
  readonly request_id: string;
  readonly event_id: string;
  /** Log position, as a decimal string (64-bit). */
  readonly position: string;
  readonly hash: string;
  readonly reason: string;
  /**
   * The purpose the request declared (X-Purpose or the token's purpose claim), as its decision sealed it
   * (meta.decision.input.context.purpose; a denial's data.purpose); '' when none was declared.
   */
  readonly purpose: string;
}

export interface AuditSearch {
  readonly tenant: string;
  readonly actor?: string;
  readonly resource?: string;
  readonly action?: string;
  readonly outcome?: AuditOutcome;
  /** Only rows whose request declared exactly this purpose. */
  readonly purpose?: string;
  /** Inclusive (RFC 3339). */
  readonly from?: string;
  /** Exclusive (RFC 3339). */
  readonly to?: string;
  /** Only rows that sort below this one (time, then event id, both descending). */
  readonly after?: AuditCursor;
  readonly limit: number;
}

export interface AuditIndexWriter {
  /**
   * Stores the rows. Re-inserting a row already stored must not make it count twice on read (the
   * projector re-inserts a batch whose checkpoint did not commit).
   */
  insertAuditRows(rows: readonly AuditRow[]): Promise<void>;
}

export interface AuditIndexReader {
  /** Matching rows, newest first by (time, event id), each event once, at most `limit`. */
  searchAudit(search: AuditSearch): Promise<readonly AuditRow[]>;
}

export interface AuditIndex extends AuditIndexWriter, AuditIndexReader {}
