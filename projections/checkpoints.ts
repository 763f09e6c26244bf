// Projection checkpoints: one row per projection in the read store, moved in the same transaction as the
// read-model writes, compare-and-set, so a projector that lost its lock can never commit over its successor.
import { sql } from 'kysely';
import type { Migration, SqlSession } from '../adapters/read-store/read-store.js';

export const checkpointMigrations: readonly Migration[] = [
  {
    id: 'projections_0001_checkpoints',
    async up(db, { schema }) {
      // position: last log position applied (null: none yet); version: the projection code's version.
      await sql`CREATE TABLE ${sql.id(schema, 'projection_checkpoints')} (
        name text PRIMARY KEY,
        position bigint,
        version integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
    },
  },
  {
    // A rebuild from zero in progress (bulk-load.ts): the projection's secondary indexes it dropped, as
    // CREATE INDEX statements, built again when the catch-up ends, or by whoever resumes it.
    id: 'projections_0002_bulk_loads',
    async up(db, { schema }) {
      await sql`CREATE TABLE ${sql.id(schema, 'projection_bulk_loads')} (
        name text PRIMARY KEY,
        deferred_indexes text[] NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
    },
  },
  {
    // Events a projection could not apply and skipped (faults.ts), recorded with the checkpoint that moved past them.
    id: 'projections_0003_faults',
    async up(db, { schema }) {
      await sql`CREATE TABLE ${sql.id(schema, 'projection_faults')} (
        projection text NOT NULL,
        position bigint NOT NULL,
        event_id text NOT NULL,
        event_type text NOT NULL,
        tenant text,
        error text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        acknowledged_at timestamptz,
        PRIMARY KEY (projection, position)
      )`.execute(db);
    },
  },
];

const table = (schema: string) => `"${schema}".projection_checkpoints`;

export interface Checkpoint {
  readonly position: bigint | undefined;
  readonly version: number;
}

/** The stored checkpoint, creating it (empty, at `version`) when absent. */
export async function loadCheckpoint(session: SqlSession, schema: string, name: string, version: number): Promise<Checkpoint> {
  await session.query(`INSERT INTO ${table(schema)} (name, position, version) VALUES ($1, NULL, $2::int) ON CONFLICT (name) DO NOTHING`, [
    name,
    String(version),
  ]);
  const rows = await session.query<{ position: bigint | null; version: number }>(`SELECT position, version FROM ${table(schema)} WHERE name = $1`, [name]);
  const row = rows[0]!;
  return { position: row.position ?? undefined, version: Number(row.version) };
}

/** Moves the checkpoint from `expected` to `next`; false when it was not at `expected` (someone else moved it). */
export async function advanceCheckpoint(
  session: SqlSession,
  schema: string,
  name: string,
  expected: bigint | undefined,
  next: bigint,
): Promise<boolean> {
  const rows = await session.query(
    `UPDATE ${table(schema)} SET position = $3::bigint, updated_at = now()
     WHERE name = $1 AND position IS NOT DISTINCT FROM $2::bigint RETURNING 1`,
    [name, expected === undefined ? null : expected.toString(), next.toString()],
  );
  return rows.length === 1;
}

/** Empties the checkpoint and records `version` (the caller truncates the tables in the same transaction). */
export async function resetCheckpoint(session: SqlSession, schema: string, name: string, version: number): Promise<void> {
  await session.query(
    `INSERT INTO ${table(schema)} (name, position, version) VALUES ($1, NULL, $2::int)
     ON CONFLICT (name) DO UPDATE SET position = NULL, version = excluded.version, updated_at = now()`,
    [name, String(version)],
  );
}
