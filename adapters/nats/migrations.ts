// PostgreSQL tables of the NATS side (ids prefixed `nats_`, run by adapters/postgres migrate()).
import { sql } from 'kysely';
import type { Migration } from '../read-store/postgres/database.js';

export const natsMigrations: readonly Migration[] = [
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
];
