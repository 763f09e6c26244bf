// The tables of the projector runtime beside the read models' own: the followers' checkpoint table
// (adapters/read-store/checkpoints.ts, shared with the relay), rebuilds in progress, and skipped events.
import { sql } from 'kysely';
import { checkpointMigrations } from '../adapters/read-store/checkpoints.js';
import { cosignatureMigrations } from '../adapters/read-store/cosignatures.js';
import type { Migration } from '../adapters/read-store/read-store.js';

export const projectorMigrations: readonly Migration[] = [
  ...checkpointMigrations,
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
  // Witness cosignatures beside the read models (not one: no replay derives them).
  ...cosignatureMigrations,
];
