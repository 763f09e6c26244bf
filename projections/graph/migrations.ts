// Tables of the provenance graph read model. Bitemporal: every version of a node or edge is a row with its
// valid-time window (valid_from = the event's effectiveAt, valid_to = the next version's valid_from), its
// observed and recorded times and the event's confidence; the current tables hold each thing's latest
// version in valid time, for traversals. Each row names the sealed event (id, hash, stream revision, log position) it came from.
import { sql } from 'kysely';
import type { Migration } from '../../adapters/read-store/read-store.js';
import { graphBatchFunctionMigration } from './batch-function.js';

export const graphMigrations: readonly Migration[] = [
  {
    id: 'graph_0001_tables',
    async up(db, { schema }) {
      const t = (name: string) => sql.id(schema, name);
      // Columns shared by versions and current rows: where the fact came from and which event says so.
      const provenanceColumns = sql`
        observed_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL,
        actor_id text NOT NULL,
        actor_type text NOT NULL,
        source_system text NOT NULL,
        provenance jsonb NOT NULL,
        event_id uuid NOT NULL,
        event_hash text NOT NULL,
        stream_revision bigint NOT NULL,
        position bigint NOT NULL`;

      await sql`CREATE TABLE ${t('graph_node_versions')} (
        tenant text NOT NULL,
        node_id text NOT NULL,
        valid_from timestamptz NOT NULL,
        valid_to timestamptz,
        node_type text NOT NULL,
        region text NOT NULL,
        retired boolean NOT NULL,
        attributes jsonb,
        external_id text,
        ${provenanceColumns},
        PRIMARY KEY (tenant, node_id, valid_from, position)
      )`.execute(db);
      await sql`CREATE TABLE ${t('graph_edge_versions')} (
        tenant text NOT NULL,
        edge_id text NOT NULL,
        valid_from timestamptz NOT NULL,
        valid_to timestamptz,
        edge_type text NOT NULL,
        from_id text NOT NULL,
        to_id text NOT NULL,
        from_type text NOT NULL,
        to_type text NOT NULL,
        region text NOT NULL,
        retracted boolean NOT NULL,
        attributes jsonb,
        ${provenanceColumns},
        PRIMARY KEY (tenant, edge_id, valid_from, position)
      )`.execute(db);
      await sql`CREATE TABLE ${t('graph_nodes')} (
        tenant text NOT NULL,
        node_id text NOT NULL,
        node_type text NOT NULL,
        region text NOT NULL,
        attributes jsonb NOT NULL,
        external_id text,
        valid_from timestamptz NOT NULL,
        ${provenanceColumns},
        PRIMARY KEY (tenant, node_id)
      )`.execute(db);
      await sql`CREATE TABLE ${t('graph_edges')} (
        tenant text NOT NULL,
        edge_id text NOT NULL,
        edge_type text NOT NULL,
        from_id text NOT NULL,
        to_id text NOT NULL,
        from_type text NOT NULL,
        to_type text NOT NULL,
        region text NOT NULL,
        attributes jsonb NOT NULL,
        valid_from timestamptz NOT NULL,
        ${provenanceColumns},
        PRIMARY KEY (tenant, edge_id)
      )`.execute(db);

      // Traversal (lineage, surface, impact) walks current edges from either end, optionally by type.
      // INCLUDE makes each hop an index-only lookup of the neighbour.
      await sql`CREATE INDEX graph_edges_from ON ${t('graph_edges')} (tenant, from_id, edge_type) INCLUDE (to_id, to_type)`.execute(db);
      await sql`CREATE INDEX graph_edges_to ON ${t('graph_edges')} (tenant, to_id, edge_type) INCLUDE (from_id, from_type)`.execute(db);
      await sql`CREATE INDEX graph_nodes_type ON ${t('graph_nodes')} (tenant, node_type, node_id)`.execute(db);
      // Change audit (an end's edge changes by observed time) and as-of traversal (versions by end).
      await sql`CREATE INDEX graph_edge_versions_from ON ${t('graph_edge_versions')} (tenant, from_id, observed_at)`.execute(db);
      await sql`CREATE INDEX graph_edge_versions_to ON ${t('graph_edge_versions')} (tenant, to_id, observed_at)`.execute(db);
      // Change audit: a node's or an actor's changes by observed time.
      await sql`CREATE INDEX graph_node_versions_observed ON ${t('graph_node_versions')} (tenant, node_id, observed_at)`.execute(db);
      await sql`CREATE INDEX graph_node_versions_actor ON ${t('graph_node_versions')} (tenant, actor_id, observed_at)`.execute(db);
      await sql`CREATE INDEX graph_edge_versions_actor ON ${t('graph_edge_versions')} (tenant, actor_id, observed_at)`.execute(db);
      // No index on event_id: the primary key (which holds the event's log position) already makes a
      // re-applied event a no-op, and every lookup goes by node, edge, actor or time.
    },
  },
  {
    // The full provenance envelope stays on every version row. On the current rows it was ~1 KB that no
    // query reads, and it made each traversal answer a random read of a wide row: at 1M nodes, once the
    // page cache no longer held them, lineage p95 went from ~15 ms to ~90 ms (QUERIES.md).
    id: 'graph_0002_current_rows_without_envelope',
    async up(db, { schema }) {
      await sql`ALTER TABLE ${sql.id(schema, 'graph_nodes')} DROP COLUMN provenance`.execute(db);
      await sql`ALTER TABLE ${sql.id(schema, 'graph_edges')} DROP COLUMN provenance`.execute(db);
    },
  },
  {
    // The event's confidence as a column of every row, so a traversal answers it (the portal's provenance
    // chips) without the envelope: version rows take it from their envelope, current rows from the version
    // they were copied from (same log position), exactly as the projection writes it now.
    id: 'graph_0003_confidence',
    async up(db, { schema }) {
      for (const [versions, current, key] of [['graph_node_versions', 'graph_nodes', 'node_id'], ['graph_edge_versions', 'graph_edges', 'edge_id']] as const) {
        const v = sql.id(schema, versions);
        const c = sql.id(schema, current);
        await sql`ALTER TABLE ${v} ADD COLUMN confidence double precision`.execute(db);
        await sql`UPDATE ${v} SET confidence = (provenance->>'confidence')::double precision`.execute(db);
        await sql`ALTER TABLE ${v} ALTER COLUMN confidence SET NOT NULL`.execute(db);
        await sql`ALTER TABLE ${c} ADD COLUMN confidence double precision`.execute(db);
        await sql`UPDATE ${c} c SET confidence = x.confidence FROM ${v} x
                  WHERE x.tenant = c.tenant AND x.${sql.id(key)} = c.${sql.id(key)} AND x.position = c.position`.execute(db);
        await sql`ALTER TABLE ${c} ALTER COLUMN confidence SET NOT NULL`.execute(db);
      }
    },
  },
  graphBatchFunctionMigration,
];
