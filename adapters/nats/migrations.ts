// PostgreSQL tables of the NATS side (ids prefixed `nats_`, run by adapters/postgres migrate()). The relay's
// checkpoint lives in the followers' one checkpoint table (projection_checkpoints, as `relay:<name>`), whose
// creating migration therefore runs first.
import { sql } from 'kysely';
import type { Migration } from '../read-store/postgres/database.js';
import { checkpointMigrations } from '../../projections/checkpoints.js';

/** The relay checkpoint's row name in projection_checkpoints. */
export const relayCheckpointName = (name: string): string => `relay:${name}`;

export const natsMigrations: readonly Migration[] = [
  checkpointMigrations[0]!,
  {
    id: 'nats_0001_relay_checkpoints',
    async up(db, { schema }) {
      // position: the last log position whose publish the bus acknowledged (every earlier one was too).
      await sql`CREATE TABLE ${sql.id(schema, 'nats_relay_checkpoints')} (
        name text PRIMARY KEY,
        position bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
    },
  },
  {
    id: 'nats_0002_relay_leases',
    async up(db, { schema }) {
      // One row per relay name: who may publish, until when (database clock). See lease.ts.
      await sql`CREATE TABLE ${sql.id(schema, 'nats_relay_leases')} (
        name text PRIMARY KEY,
        holder text NOT NULL,
        expires_at timestamptz NOT NULL
      )`.execute(db);
    },
  },
  {
    // One checkpoint table for every follower: a deployed relay's position carries over (no re-publishing).
    // version 0: a relay has no code version that would reset it.
    id: 'nats_0003_relay_checkpoints_into_projection_checkpoints',
    async up(db, { schema }) {
      await sql`INSERT INTO ${sql.id(schema, 'projection_checkpoints')} (name, position, version, updated_at)
        SELECT 'relay:' || name, position, 0, updated_at FROM ${sql.id(schema, 'nats_relay_checkpoints')}
        ON CONFLICT (name) DO NOTHING`.execute(db);
      await sql`DROP TABLE ${sql.id(schema, 'nats_relay_checkpoints')}`.execute(db);
    },
  },
];
