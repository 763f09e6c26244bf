// The cost read model's ClickHouse tables: usage rows (one per accepted record), price versions, tag
// rules, shared-cost pools and the accepted-segment index. All ReplacingMergeTree keyed so that a
// re-inserted event (projector crash between insert and checkpoint, or a replay) collapses; reads use FINAL.
import type { ClickHouseMigration } from '../../adapters/analytics-store/analytics-store.js';

export const USAGE_TABLE = 'metering_usage';
export const SEGMENTS_TABLE = 'metering_segments';
export const PRICES_TABLE = 'pricing_prices';
export const TAG_RULES_TABLE = 'pricing_tag_rules';
export const SHARED_TABLE = 'pricing_shared_costs';

/*
 * metering_usage: keyed by (tenant, event_id), the record's idempotency key, so it doubles as the index
 * of accepted ids the ingest route consults (point lookups on the key). The record's ts never changes,
 * so a re-insert lands in the same monthly partition and collapses. Cost queries filter by ts within a
 * tenant: partitions prune months; within a month it scans the tenant's rows (fine to ~10^8 rows; past
 * that add a table ordered by (tenant, ts) fed by the same projection).
 * metering_segments: one row per accepted batch; rows are inserted after the batch's usage rows, and in
 * log order, so max(segment) = n means every record of segments ≤ n is in metering_usage.
 * pricing_*: version columns = log position, so the last write of a key wins and a re-insert is a no-op.
 */
export const costMigrations: readonly ClickHouseMigration[] = [
  {
    id: 'costs/0001-tables',
    statements: [
      `CREATE TABLE IF NOT EXISTS ${USAGE_TABLE} (
        tenant LowCardinality(String),
        event_id String,
        ts DateTime64(3, 'UTC'),
        service LowCardinality(String),
        team LowCardinality(String),
        meter LowCardinality(String),
        unit LowCardinality(String),
        quantity Decimal128(12),
        tags Map(String, String),
        segment UInt64,
        batch_event_id UUID,
        position UInt64
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(ts)
      ORDER BY (tenant, event_id)`,
      `CREATE TABLE IF NOT EXISTS ${SEGMENTS_TABLE} (
        tenant LowCardinality(String),
        segment UInt64,
        records UInt32,
        position UInt64
      ) ENGINE = ReplacingMergeTree ORDER BY (tenant, segment)`,
      `CREATE TABLE IF NOT EXISTS ${PRICES_TABLE} (
        tenant LowCardinality(String),
        meter String,
        unit String,
        effective_from DateTime64(3, 'UTC'),
        currency LowCardinality(String),
        unit_price Decimal128(12),
        version UInt32,
        position UInt64
      ) ENGINE = ReplacingMergeTree(position) ORDER BY (tenant, meter, unit, effective_from)`,
      `CREATE TABLE IF NOT EXISTS ${TAG_RULES_TABLE} (
        tenant LowCardinality(String),
        lowercase_keys UInt8,
        alias_from Array(String),
        alias_to Array(String),
        position UInt64
      ) ENGINE = ReplacingMergeTree(position) ORDER BY tenant`,
      `CREATE TABLE IF NOT EXISTS ${SHARED_TABLE} (
        tenant LowCardinality(String),
        pool String,
        period String,
        amount Decimal128(6),
        currency LowCardinality(String),
        meter String,
        position UInt64
      ) ENGINE = ReplacingMergeTree(position) ORDER BY (tenant, pool, period)`,
    ],
  },
];
