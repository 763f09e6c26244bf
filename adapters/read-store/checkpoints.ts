// The followers' checkpoints: one row per follower in `projection_checkpoints` (a projection by its name, the
// relay as `relay:<name>`), and the one module that reads and writes that table. One semantics for every
// writer: compare-and-set. A follower moves its checkpoint only from the position it last read or wrote, so
// one that lost its lock finds the row moved by its successor and writes nothing (FencedError): the checkpoint
// never moves backwards nor over a successor's progress. Projectors move it in the transaction of their
// read-model writes; the relay after the bus acknowledged (publish, then checkpoint). The compare-and-set is a
// function that raises when it finds another position, so a transaction can carry it, its writes and its
// COMMIT in one round trip: a fenced writer's transaction stops at the raise and commits nothing.
// Lives beside the follower (follower.ts) and the read-store port it is written on.
import { sql } from 'kysely';
import type { Migration, SqlSession, SqlStatement } from './read-store.js';

/** The checkpoint moved under us: another instance is active. Nothing was written. */
export class FencedError extends Error {
  override readonly name = 'FencedError';
}

/** The SQLSTATE advance_checkpoint raises when fenced (class CF: none of PostgreSQL's own classes). */
const FENCED_SQLSTATE = 'CF409';

/** Whether `error` is the server's answer to a fenced compare-and-set (advanceCheckpointStatement). */
export function isFencedByServer(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === FENCED_SQLSTATE;
}

/**
 * The checkpoint table, and what became of the relay's tables of earlier versions (its own checkpoint table,
 * its lease table). Run by every follower's migrations (ids are global per schema, so each runs once); each
 * step also works on a database that never had the old tables.
 */
export const checkpointMigrations: readonly Migration[] = [
  {
    id: 'projections_0001_checkpoints',
    async up(db, { schema }) {
      // position: last log position applied (null: none yet); version: the follower's code version (relay: 0).
      await sql`CREATE TABLE IF NOT EXISTS ${sql.id(schema, 'projection_checkpoints')} (
        name text PRIMARY KEY,
        position bigint,
        version integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
    },
  },
  {
    // A relay deployed with its own checkpoint table keeps its position (it must not publish everything again).
    id: 'nats_0003_relay_checkpoints_into_projection_checkpoints',
    async up(db, { schema }) {
      const old = `"${schema}".nats_relay_checkpoints`;
      const { rows } = await sql<{ found: boolean }>`SELECT to_regclass(${old}) IS NOT NULL AS found`.execute(db);
      if (rows[0]?.found !== true) return;
      await sql`INSERT INTO ${sql.id(schema, 'projection_checkpoints')} (name, position, version, updated_at)
        SELECT 'relay:' || name, position, 0, updated_at FROM ${sql.id(schema, 'nats_relay_checkpoints')}
        ON CONFLICT (name) DO NOTHING`.execute(db);
      await sql`DROP TABLE ${sql.id(schema, 'nats_relay_checkpoints')}`.execute(db);
    },
  },
  {
    // The relay takes the followers' lock (ReadStore.tryLock) now; its lease rows are of no use.
    id: 'nats_0004_relay_leases_dropped',
    async up(db, { schema }) {
      await sql`DROP TABLE IF EXISTS ${sql.id(schema, 'nats_relay_leases')}`.execute(db);
    },
  },
  {
    id: 'projections_0002_advance_checkpoint',
    async up(db, { schema }) {
      await sql.raw(`CREATE OR REPLACE FUNCTION "${schema}".advance_checkpoint(checkpoint_name text, expected_position bigint, next_position bigint) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE "${schema}".projection_checkpoints SET position = next_position, updated_at = now()
  WHERE name = checkpoint_name AND position IS NOT DISTINCT FROM expected_position;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'checkpoint % is no longer at %', checkpoint_name, coalesce(expected_position::text, 'the start') USING ERRCODE = '${FENCED_SQLSTATE}';
  END IF;
END
$fn$`).execute(db);
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
  const rows = await session.query<{ position: bigint | string | null; version: number }>(`SELECT position, version FROM ${table(schema)} WHERE name = $1`, [name]);
  const row = rows[0]!;
  return { position: row.position === null ? undefined : BigInt(row.position), version: Number(row.version) };
}

/** The stored position, without creating the row (a read-only transaction may ask); undefined: none yet. */
export async function readCheckpoint(session: SqlSession, schema: string, name: string): Promise<bigint | undefined> {
  const rows = await session.query<{ position: bigint | string | null }>(`SELECT position FROM ${table(schema)} WHERE name = $1`, [name]);
  const position = rows[0]?.position;
  return position === undefined || position === null ? undefined : BigInt(position);
}

/**
 * The statement that moves the checkpoint from `expected` to `next`, and raises (isFencedByServer) when it
 * was not at `expected` (someone else moved it). For a caller that sends it with other statements: in a
 * transaction, the raise stops the statements after it and the COMMIT.
 */
export function advanceCheckpointStatement(schema: string, name: string, expected: bigint | undefined, next: bigint): SqlStatement {
  return {
    text: `SELECT "${schema}".advance_checkpoint($1, $2::bigint, $3::bigint)`,
    params: [name, expected === undefined ? null : expected.toString(), next.toString()],
  };
}

/** Moves the checkpoint from `expected` to `next`; false when it was not at `expected` (someone else moved it). */
export async function advanceCheckpoint(
  session: SqlSession,
  schema: string,
  name: string,
  expected: bigint | undefined,
  next: bigint,
): Promise<boolean> {
  const { text, params } = advanceCheckpointStatement(schema, name, expected, next);
  try {
    await session.query(text, params);
    return true;
  } catch (error) {
    if (isFencedByServer(error)) return false;
    throw error;
  }
}

/** Empties the checkpoint and records `version` (the caller truncates the tables in the same transaction). */
export async function resetCheckpoint(session: SqlSession, schema: string, name: string, version: number): Promise<void> {
  await session.query(
    `INSERT INTO ${table(schema)} (name, position, version) VALUES ($1, NULL, $2::int)
     ON CONFLICT (name) DO UPDATE SET position = NULL, version = excluded.version, updated_at = now()`,
    [name, String(version)],
  );
}
