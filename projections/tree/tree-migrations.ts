// Tables of the tenant trees (RFC 6962 Merkle trees, one per tenant, leaves = the tenant's events in log
// order). Only perfect subtrees are stored: a perfect subtree never changes once complete, so every proof
// and every root, at any past size, is assembled from O(log n) rows fetched by primary key in one query.
import { sql } from 'kysely';
import type { Migration } from '../../adapters/read-store/read-store.js';

export const treeMigrations: readonly Migration[] = [
  {
    id: 'tree_0001_tables',
    async up(db, { schema }) {
      const t = (name: string) => sql.id(schema, name);
      // size: leaves so far; settled_size: leaves up to the last one that is not a checkpoint event (the
      // checkpointer signs when settled_size passes the last checkpoint, so its own event never asks for another).
      await sql`CREATE TABLE ${t('tree_tenants')} (
        tenant text PRIMARY KEY,
        size bigint NOT NULL,
        settled_size bigint NOT NULL
      )`.execute(db);
      // The perfect subtree (level, index) covers leaves [index·2^level, (index+1)·2^level); level 0 = leaf hashes.
      await sql`CREATE TABLE ${t('tree_nodes')} (
        tenant text NOT NULL,
        level smallint NOT NULL,
        index bigint NOT NULL,
        hash bytea NOT NULL,
        PRIMARY KEY (tenant, level, index)
      )`.execute(db);
      // Which event each leaf is: inclusion proofs and receipts name events, not leaf indexes.
      await sql`CREATE TABLE ${t('tree_leaves')} (
        tenant text NOT NULL,
        leaf_index bigint NOT NULL,
        event_id uuid NOT NULL,
        position bigint NOT NULL,
        -- NULL when the sealed instant is one PostgreSQL cannot hold: the leaf is never refused.
        sealed_at timestamptz,
        PRIMARY KEY (tenant, leaf_index)
      )`.execute(db);
      await sql`CREATE UNIQUE INDEX ${sql.id('tree_leaves_event')} ON ${t('tree_leaves')} (event_id)`.execute(db);
      await sql`CREATE INDEX ${sql.id('tree_leaves_sealed_at')} ON ${t('tree_leaves')} (tenant, sealed_at)`.execute(db);
      // The tenant's signed checkpoints, as its log holds them (ledger.checkpoint.signed events); the first at a size wins.
      await sql`CREATE TABLE ${t('tree_checkpoints')} (
        tenant text NOT NULL,
        tree_size bigint NOT NULL,
        root bytea NOT NULL,
        note text NOT NULL,
        key_id text NOT NULL,
        event_id uuid NOT NULL,
        position bigint NOT NULL,
        PRIMARY KEY (tenant, tree_size)
      )`.execute(db);
    },
  },
];
