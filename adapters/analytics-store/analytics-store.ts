// The analytics-store port: what projections and queries need of ClickHouse (a server over HTTP, or embedded
// chDB). adapters/clickhouse implements it; projections/ depends only on this.

export type ParamValue = string | number | bigint | boolean | Date | null | readonly ParamValue[];
export type QueryParams = Readonly<Record<string, ParamValue>>;

/**
 * What the rest of the code uses. Results are JSON rows with the same shape on both engines:
 * - 64-bit integers (UInt64/Int64, and so `count()` and integer `sum()`) come back as decimal
 *   strings, because a JS number silently loses precision past 2^53. Convert with BigInt() where needed.
 * - DateTime/DateTime64 come back as ISO 8601 in UTC (`2026-01-02T03:04:05.678Z`), whatever the
 *   machine's or server's time zone; the session time zone is UTC too.
 * - Rows to insert may carry 64-bit integers as strings, numbers or bigints, and times as any
 *   RFC 3339 string (offsets are converted) or `YYYY-MM-DD hh:mm:ss[.fff]` (read as UTC).
 * - A `Date` parameter is bound as `YYYY-MM-DD hh:mm:ss.fff` in UTC, so declare it as
 *   `{name:DateTime64(3, 'UTC')}`: both client paths would otherwise format it differently
 *   (chDB drops the milliseconds).
 */
export interface ClickHouseStore {
  readonly kind: 'server' | 'chdb';
  readonly database: string;
  /** One statement that returns no rows (DDL, ALTER, INSERT … SELECT). Servers refuse multi-statements. */
  command(sql: string, params?: QueryParams): Promise<void>;
  /** Rows as JSONEachRow into `table` (`name` or `database.name`); keys are column names. */
  insert(table: string, rows: readonly object[]): Promise<void>;
  /** One SELECT; the whole result is buffered (chDB always does), so LIMIT what you read. */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>;
  close(): Promise<void>;
}

/** A versioned ClickHouse schema change: idempotent statements (no transactional DDL), one per entry. */
export interface ClickHouseMigration {
  readonly id: string;
  readonly statements: readonly string[];
}

/**
 * The analytics store cannot be reached (a ClickHouse server that refuses, resets or does not answer): the
 * moment's failure, never the data's. Projectors retry it with backoff; requests answer 503 with Retry-After.
 */
export class AnalyticsUnavailableError extends Error {
  override readonly name = 'AnalyticsUnavailableError';
}
