// The graph projection's per-batch writes as one server-side function, graph_apply_<digest>(nodes,
// node_keys, edges, edge_keys): insert the versions, recompute valid_to of every version of the touched
// nodes and edges (a late event with an earlier effectiveAt slots into the history), then refresh their
// current rows (history-sql.ts). Sent as six statements, every batch parsed and planned all six: under
// load that planning took PostgreSQL more than half as long as their execution (pg_stat_statements with
// track_planning: 1.7 s against 2.9 s in 15 s). A PL/pgSQL function keeps its statements' plans per connection.
//
// The function's name and its migration's id carry a digest of its text, so a change to the SQL (here or in
// history-sql.ts) makes a new function beside the old one, and code of either version calls its own.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Migration } from '../../adapters/read-store/read-store.js';
import { closeWindowsOfKeysSql, EDGES, NODES, refreshCurrentOfKeysSql } from './history-sql.js';
import { PROVENANCE_COLUMNS } from './version-rows.js';

const PROVENANCE_RECORD = `observed_at timestamptz, recorded_at timestamptz, actor_id text, actor_type text, source_system text,
  provenance jsonb, event_id uuid, event_hash text, stream_revision bigint, position bigint, confidence double precision`;
const PROVENANCE = PROVENANCE_COLUMNS.join(', ');
const fromRecord = (alias: string) => PROVENANCE_COLUMNS.map((c) => `${alias}.${c}`).join(', ');

// A retirement's (retraction's) type and region, from the latest stored version in log order. COALESCE
// evaluates the subquery only when the batch row lacks the value, so upserts and assertions pay no lookup.
// The inner ORDER BY is the primary key's, so that a kept plan reads the key's versions by it: ordered by
// position alone, a plan made on small tables took the actor index, which matches on the tenant alone.
const previous = (s: string, versions: string, key: string, column: string) =>
  `(SELECT p.${column} FROM (SELECT v.${column}, v.position FROM ${s}.${versions} v WHERE v.tenant = r.tenant AND v.${key} = r.${key}
                           ORDER BY v.valid_from, v.position) p ORDER BY p.position DESC LIMIT 1)`;
const previousNode = (s: string, column: string) => previous(s, 'graph_node_versions', 'node_id', column);
const previousEdge = (s: string, column: string) => previous(s, 'graph_edge_versions', 'edge_id', column);

/**
 * The node versions in `rows` (a json array) inserted, then the windows and current rows of `keys` (the
 * batch's keys on their own: re-parsing the whole batch for them would cost more than the writes).
 */
function nodeWrites(s: string, rows: string, keys: string): string[] {
  return [
    `INSERT INTO ${s}.graph_node_versions (tenant, node_id, valid_from, node_type, region, retired, attributes, external_id, ${PROVENANCE})
     SELECT r.tenant, r.node_id, r.valid_from, COALESCE(r.node_type, ${previousNode(s, 'node_type')}), COALESCE(r.region, ${previousNode(s, 'region')}),
            r.retired, r.attributes, r.external_id, ${fromRecord('r')}
     FROM json_to_recordset(${rows}) AS r(tenant text, node_id text, valid_from timestamptz, node_type text, region text,
            retired boolean, attributes jsonb, external_id text, ${PROVENANCE_RECORD})
     ON CONFLICT DO NOTHING`,
    closeWindowsOfKeysSql(s, NODES, keys),
    refreshCurrentOfKeysSql(s, NODES, keys),
  ];
}

/** The edge versions in `rows` inserted, then the windows and current rows of `keys`. */
function edgeWrites(s: string, rows: string, keys: string): string[] {
  return [
    `INSERT INTO ${s}.graph_edge_versions (tenant, edge_id, valid_from, edge_type, from_id, to_id, from_type, to_type, region, retracted,
                                           attributes, ${PROVENANCE})
     SELECT r.tenant, r.edge_id, r.valid_from, r.edge_type, r.from_id, r.to_id, COALESCE(r.from_type, ${previousEdge(s, 'from_type')}),
            COALESCE(r.to_type, ${previousEdge(s, 'to_type')}), COALESCE(r.region, ${previousEdge(s, 'region')}), r.retracted, r.attributes,
            ${fromRecord('r')}
     FROM json_to_recordset(${rows}) AS r(tenant text, edge_id text, valid_from timestamptz, edge_type text, from_id text, to_id text,
            from_type text, to_type text, region text, retracted boolean, attributes jsonb, ${PROVENANCE_RECORD})
     ON CONFLICT DO NOTHING`,
    closeWindowsOfKeysSql(s, EDGES, keys),
    refreshCurrentOfKeysSql(s, EDGES, keys),
  ];
}

/** Everything after the function's name: a null nodes (edges) argument skips the node (edge) writes. */
function definition(s: string): string {
  return `(nodes json, node_keys json, edges json, edge_keys json) RETURNS void
LANGUAGE plpgsql
-- Kept plans are made while the tables are small and kept as they grow, so none may read a table whole:
-- not by a sequential scan (as in the log's append_batch), nor by a merge or hash join over a whole index.
-- A batch touches a few keys, and each is looked up by its primary key (history-sql.ts).
SET enable_seqscan = off
SET enable_mergejoin = off
SET enable_hashjoin = off
AS $fn$
BEGIN
  IF $1 IS NOT NULL THEN
    ${nodeWrites(s, '$1', '$2').join(';\n    ')};
  END IF;
  IF $3 IS NOT NULL THEN
    ${edgeWrites(s, '$3', '$4').join(';\n    ')};
  END IF;
END
$fn$`;
}

/** The function's name: its text's digest (with a placeholder schema, so every schema has the same name). */
export const GRAPH_BATCH_FUNCTION = `graph_apply_${createHash('sha256').update(definition('"schema"')).digest('hex').slice(0, 12)}`;

export const graphBatchFunctionMigration: Migration = {
  id: `graph_0004_${GRAPH_BATCH_FUNCTION}`,
  async up(db, { schema }) {
    const s = `"${schema}"`;
    await sql.raw(`CREATE OR REPLACE FUNCTION ${s}.${GRAPH_BATCH_FUNCTION}${definition(s)}`).execute(db);
  },
};
