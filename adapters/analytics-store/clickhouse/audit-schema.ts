// The audit index in ClickHouse: one row per sealed event, denials included, shaped for "what did this
// actor do in this period" and "who touched this resource". Migrations plus the row type writers use.
import type { ClickHouseMigration } from './migrate.js';

export const AUDIT_TABLE = 'audit_events';

/** One row as written and as read back: the audit index port's row (see ClickHouseStore for value formats). */
export type { AuditRow } from '../../../projections/audit/audit-index.js';

/*
 * Sorting key and deduplication: the trade-off.
 *
 * The hot query is one actor's actions over a period (tenant, actor_id, time range, newest first,
 * p95 ≤ 50 ms over 10M rows). ORDER BY (tenant, event_id) would collapse re-inserted events on the id
 * alone, but every actor query would then read the tenant's whole history. So the sorting key leads
 * with (tenant, actor_id, time) and ends with event_id to make it unique per event.
 *
 * ReplacingMergeTree collapses rows whose whole sorting key is equal. Every key column is a pure
 * function of the sealed (immutable) event and projections are deterministic, so a re-inserted event
 * (a replay, or a projector that crashed after the write and before its checkpoint) gets the identical
 * key and collapses. What it does not cover: a row for the same event_id with a different actor or
 * time, i.e. a projection bug; rebuilding from the log into an empty table repairs that.
 *
 * Collapsing happens at background merges, not at insert, so readers must dedupe: `FINAL` (exact;
 * ClickHouse limits the merge-on-read to the key ranges and partitions the query reads) or
 * `LIMIT 1 BY event_id` over an already-narrow result. Both are measured by bin/bench/audit-probe.ts.
 *
 * PARTITION BY month: a 30-day window touches at most two partitions, retention is DROP PARTITION, and
 * a re-inserted event lands in the same partition as the original (its time does not change), which
 * ReplacingMergeTree needs since it never merges across partitions.
 *
 * Lookups by resource or by event id cannot use the key; bloom-filter skip indexes let them skip most
 * granules at the cost of a few bytes per granule. (A PROJECTION ordered by resource would be faster
 * but doubles storage, and a ReplacingMergeTree with projections needs extra merge settings.)
 */
export const auditMigrations: readonly ClickHouseMigration[] = [
  {
    id: 'audit/0001-audit-events',
    statements: [
      `CREATE TABLE IF NOT EXISTS ${AUDIT_TABLE} (
        tenant LowCardinality(String),
        time DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
        actor_id String,
        actor_type LowCardinality(String),
        action LowCardinality(String),
        resource String,
        outcome Enum8('allowed' = 1, 'denied' = 2),
        decision_id String,
        policy_version LowCardinality(String),
        region LowCardinality(String),
        request_id String,
        event_id UUID,
        position UInt64,
        hash String,
        reason String,
        INDEX resource_bf resource TYPE bloom_filter(0.01) GRANULARITY 4,
        INDEX event_id_bf event_id TYPE bloom_filter(0.01) GRANULARITY 4
      )
      ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(time)
      ORDER BY (tenant, actor_id, time, event_id)`,
    ],
  },
  {
    // The purpose a request declared (issue 16 item 8): searchable, '' when none. Not in the sorting key, so
    // rows written before it read as '' and a re-inserted event still collapses onto its first row.
    id: 'audit/0002-purpose',
    statements: [`ALTER TABLE ${AUDIT_TABLE} ADD COLUMN IF NOT EXISTS purpose String DEFAULT ''`],
  },
];
