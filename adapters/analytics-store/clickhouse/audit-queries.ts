// The audit index's reads: by actor (its sorting key) and by resource. Each dedupes re-inserted events on read,
// since ReplacingMergeTree only collapses them at background merges (see audit-schema.ts).
import { AUDIT_TABLE } from './audit-schema.js';

/**
 * One actor's actions in [from, to], newest first.
 * Params: tenant, actor (String), from, to (Date or 'YYYY-MM-DD hh:mm:ss.fff' UTC), limit (UInt32).
 * `FINAL` rather than `LIMIT 1 BY event_id`, which has to dedupe the actor's whole window before the
 * LIMIT applies and grew with the window: at 10M rows (bin/bench/audit-probe.ts,
 * chDB, 2 cores) p95 was 40 ms with FINAL and 107 ms with LIMIT BY; FINAL also keeps count() exact.
 */
export const ACTOR_ACTIVITY_SQL = `SELECT * FROM ${AUDIT_TABLE} FINAL
WHERE tenant = {tenant:String} AND actor_id = {actor:String}
  AND time BETWEEN {from:DateTime64(3, 'UTC')} AND {to:DateTime64(3, 'UTC')}
ORDER BY time DESC, event_id DESC
LIMIT {limit:UInt32}`;

/**
 * Everything that touched one resource in [from, to], newest first. Not on the sorting key: only the
 * partitions and the resource bloom filter narrow it (p95 184 ms at 10M rows in the probe). If this
 * becomes hot, give it its own table ordered by (tenant, resource, time), written by the same projector.
 */
export const RESOURCE_ACTIVITY_SQL = `SELECT * FROM ${AUDIT_TABLE} FINAL
WHERE tenant = {tenant:String} AND resource = {resource:String}
  AND time BETWEEN {from:DateTime64(3, 'UTC')} AND {to:DateTime64(3, 'UTC')}
ORDER BY time DESC, event_id DESC
LIMIT {limit:UInt32}`;
