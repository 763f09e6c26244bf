// Versioned schema changes for the ClickHouse read store: applies, in list order, the migrations whose
// ids are not yet in `schema_migrations`, and records each one after its statements succeed.
import type { ClickHouseStore } from './database.js';
import type { ClickHouseMigration } from '../analytics-store.js';

/**
 * One schema change. Ids are global per database: prefix them with the owning module ('audit/0001-…').
 * ClickHouse has no transactional DDL, so a crash (or a concurrent starter) between a statement and
 * the id being recorded re-runs the statements: write each one idempotently (IF NOT EXISTS, …).
 * One statement per entry: a server refuses multi-statement requests.
 */
export type { ClickHouseMigration } from '../analytics-store.js';

/** Returns the ids applied by this call (empty when everything was already applied). */
export async function migrateClickHouse(
  store: ClickHouseStore,
  migrations: readonly ClickHouseMigration[],
): Promise<readonly string[]> {
  const ids = new Set<string>();
  for (const m of migrations) {
    if (ids.has(m.id)) throw new Error(`duplicate ClickHouse migration id ${m.id}`);
    ids.add(m.id);
  }
  // openClickHouse created it already; this keeps migrate correct if it was dropped since.
  await store.command(`CREATE DATABASE IF NOT EXISTS ${store.database}`);
  // ReplacingMergeTree: two starters racing may both record an id; the duplicates collapse.
  await store.command(
    `CREATE TABLE IF NOT EXISTS ${store.database}.schema_migrations (
      id String,
      applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY id`,
  );
  const done = new Set(
    (await store.query<{ id: string }>(`SELECT DISTINCT id FROM ${store.database}.schema_migrations`)).map((r) => r.id),
  );
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.id)) continue;
    for (const statement of m.statements) {
      try {
        await store.command(statement);
      } catch (err) {
        throw new Error(`ClickHouse migration ${m.id} failed: ${(err as Error).message}`, { cause: err });
      }
    }
    await store.insert(`${store.database}.schema_migrations`, [{ id: m.id }]);
    applied.push(m.id);
  }
  return applied;
}
