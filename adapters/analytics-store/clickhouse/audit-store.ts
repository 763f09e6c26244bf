// The audit index port (projections/audit/audit-index.ts) on a ClickHouse store: inserts rows as they are,
// and searches with FINAL so a re-inserted event counts once. Also a lazily opened index for the composition
// root, so a process that never projects nor reads the audit index never starts the embedded engine.
import type { AuditIndex, AuditRow, AuditSearch } from '../../../projections/audit/audit-index.js';
import { AUDIT_TABLE, auditMigrations } from './audit-schema.js';
import type { ClickHouseStore, ParamValue } from './database.js';
import { migrateClickHouse } from './migrate.js';

const COLUMNS =
  'tenant, time, actor_id, actor_type, action, resource, outcome, decision_id, policy_version, region, request_id, event_id, position, hash, reason, purpose';

/**
 * One search as SQL and parameters. Every filter is an equality or a range on a column, so the sorting
 * key (tenant, actor_id, time, event_id) narrows an actor's search to its time range, and the resource
 * bloom filter skips granules for a resource's. The cursor repeats `time <=` so the key can prune with it.
 */
export function auditSearchSql(search: AuditSearch): { readonly sql: string; readonly params: Readonly<Record<string, ParamValue>> } {
  const where = ['tenant = {tenant:String}'];
  const params: Record<string, ParamValue> = { tenant: search.tenant, limit: search.limit };
  if (search.actor !== undefined) {
    where.push('actor_id = {actor:String}');
    params['actor'] = search.actor;
  }
  if (search.resource !== undefined) {
    where.push('resource = {resource:String}');
    params['resource'] = search.resource;
  }
  if (search.action !== undefined) {
    where.push('action = {action:String}');
    params['action'] = search.action;
  }
  if (search.outcome !== undefined) {
    where.push('outcome = {outcome:String}');
    params['outcome'] = search.outcome;
  }
  if (search.purpose !== undefined) {
    where.push('purpose = {purpose:String}');
    params['purpose'] = search.purpose;
  }
  if (search.from !== undefined) {
    where.push("time >= {from:DateTime64(3, 'UTC')}");
    params['from'] = new Date(search.from);
  }
  if (search.to !== undefined) {
    where.push("time < {to:DateTime64(3, 'UTC')}");
    params['to'] = new Date(search.to);
  }
  if (search.after !== undefined) {
    where.push("time <= {at:DateTime64(3, 'UTC')}", "(time < {at:DateTime64(3, 'UTC')} OR event_id < {after:UUID})");
    params['at'] = new Date(search.after.time);
    params['after'] = search.after.eventId;
  }
  const sql = `SELECT ${COLUMNS} FROM ${AUDIT_TABLE} FINAL
WHERE ${where.join('\n  AND ')}
ORDER BY time DESC, event_id DESC
LIMIT {limit:UInt32}`;
  return { sql, params };
}

/** The audit index on an open (migrated) store. */
export function clickHouseAuditIndex(store: ClickHouseStore): AuditIndex {
  return {
    insertAuditRows: (rows) => store.insert(AUDIT_TABLE, rows),
    async searchAudit(search) {
      const { sql, params } = auditSearchSql(search);
      return store.query<AuditRow>(sql, params);
    },
  };
}

export interface LazyAuditIndex extends AuditIndex {
  /** Opens and migrates now (at start, so a bad store shows up before the first event). */
  ready(): Promise<void>;
  /** Closes the store if this index opened it (an injected one is the caller's to close). */
  close(): Promise<void>;
}

/**
 * An index that opens its store (and migrates it) on first use. A failed open is not remembered: the
 * next use tries again (the projector retries with backoff; a request answers 500 and the next one retries).
 */
export function lazyAuditIndex(open: () => Promise<ClickHouseStore>, options: { readonly owned: boolean }): LazyAuditIndex {
  let opening: Promise<AuditIndex> | undefined;
  let store: ClickHouseStore | undefined;
  let closed = false;
  const index = (): Promise<AuditIndex> => {
    if (closed) return Promise.reject(new Error('the audit index is closed'));
    opening ??= (async () => {
      const opened = await open();
      store = opened;
      await migrateClickHouse(opened, auditMigrations);
      return clickHouseAuditIndex(opened);
    })().catch(async (error: unknown) => {
      opening = undefined;
      if (options.owned) await store?.close().catch(() => {});
      store = undefined;
      throw error;
    });
    return opening;
  };
  return {
    ready: async () => void (await index()),
    insertAuditRows: async (rows) => (await index()).insertAuditRows(rows),
    searchAudit: async (search) => (await index()).searchAudit(search),
    async close() {
      closed = true;
      await opening?.catch(() => {});
      if (options.owned) await store?.close();
      store = undefined;
    },
  };
}
