// A rebuild from zero as a bulk load (Projection.bulkLoad): the read model's secondary indexes are dropped
// when it starts and built once at the end, when the projection derives what its batches left out. The
// state lives in the read store (projection_bulk_loads, with the dropped indexes' definitions), so an
// interrupted load is resumed and finished by whichever projector runs next; a live projector finishes it
// before following the log, so live operation always has its indexes and derived rows.
import type { ReadStore } from '../adapters/read-store/read-store.js';
import { inTransaction } from './in-transaction.js';
import type { Projection } from './projection.js';

const loads = (schema: string) => `"${schema}".projection_bulk_loads`;

/** Whether a bulk load of `projection` is under way in `schema` (started, not finished). */
export async function bulkLoadUnderWay(store: ReadStore, schema: string, projection: Projection): Promise<boolean> {
  const rows = await store.withSession((s) => s.query(`SELECT 1 FROM ${loads(schema)} WHERE name = $1`, [projection.name]));
  return rows.length > 0;
}

/**
 * Starts a bulk load: drops the secondary indexes of the projection's tables (not those behind a primary
 * key or unique constraint: writes rely on them) and records their definitions, in one transaction.
 */
export async function startBulkLoad(store: ReadStore, schema: string, projection: Projection): Promise<void> {
  await store.withSession((s) =>
    inTransaction(s, async () => {
      const indexes = await s.query<{ name: string; definition: string }>(
        `SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
         FROM pg_index i
         JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_class tc ON tc.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = tc.relnamespace
         WHERE n.nspname = $1 AND tc.relname = ANY($2::text[]) AND NOT i.indisunique AND NOT i.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
         ORDER BY ic.relname`,
        [schema, `{${projection.tables.map((t) => t.name).join(',')}}`],
      );
      const definitions = `{${indexes.map((i) => JSON.stringify(i.definition)).join(',')}}`;
      await s.query(`INSERT INTO ${loads(schema)} (name, deferred_indexes) VALUES ($1, $2::text[])`, [projection.name, definitions]);
      for (const i of indexes) await s.query(`DROP INDEX "${schema}"."${i.name}"`);
    }),
  );
}

/**
 * Ends a bulk load, if one is under way: the projection derives the rest of its read model, the deferred
 * indexes are built, and the load is marked done, in one transaction (all or nothing, so it can be rerun).
 */
export async function finishBulkLoad(store: ReadStore, schema: string, projection: Projection): Promise<void> {
  await store.withSession((s) =>
    inTransaction(s, async () => {
      const rows = await s.query<{ deferred_indexes: string[] }>(`SELECT deferred_indexes FROM ${loads(schema)} WHERE name = $1 FOR UPDATE`, [
        projection.name,
      ]);
      if (rows.length === 0) return;
      await projection.bulkLoad?.finish(s, schema);
      // IF NOT EXISTS: an index built by hand meanwhile (or by a newer migration of the same name) stays.
      for (const definition of rows[0]!.deferred_indexes) await s.query(definition.replace(/^CREATE INDEX /, 'CREATE INDEX IF NOT EXISTS '));
      await s.query(`DELETE FROM ${loads(schema)} WHERE name = $1`, [projection.name]);
    }),
  );
}
