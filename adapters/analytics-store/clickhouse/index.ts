// Public surface of the ClickHouse read store: open a store (server or embedded chDB), migrate it, and
// the audit index's schema and reads. Everything else in adapters/clickhouse is internal.
export {
  ClickHouseDataPathInUseError,
  openClickHouse,
  toClickHouseTime,
  type ClickHouseStore,
  type OpenClickHouseOptions,
  type ParamValue,
  type QueryParams,
} from './database.js';
export { migrateClickHouse, type ClickHouseMigration } from './migrate.js';
export { AUDIT_TABLE, auditMigrations, type AuditRow } from './audit-schema.js';
export { ACTOR_ACTIVITY_SQL, RESOURCE_ACTIVITY_SQL } from './audit-queries.js';
export { auditSearchSql, clickHouseAuditIndex, lazyAuditIndex, type LazyAuditIndex } from './audit-store.js';
export { analyticsErrorOf, guardConnection, isClickHouseUnreachable } from './connection-guard.js';
export { AnalyticsUnavailableError } from '../analytics-store.js';
