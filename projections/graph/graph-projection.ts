// GraphProjection: the provenance graph read model from graph.* events. Set-based per batch: insert the
// versions, recompute valid_to of every version of the touched nodes and edges (so a late event with an
// earlier effectiveAt slots into the history), then refresh their current rows (history-sql.ts). A rebuild
// from zero goes through graph-bulk-load.ts instead: versions only, then everything derived in one pass.
import type { SqlSession, SqlStatement } from '../../adapters/read-store/read-store.js';
import type { ProjectedEvent, Projection } from '../projection.js';
import { graphBulkLoad } from './graph-bulk-load.js';
import { closeWindowsSql, EDGES, NODES, refreshCurrentSql, type KeyScope } from './history-sql.js';
import { graphMigrations } from './migrations.js';
import { PROVENANCE_COLUMNS, versionRows, type EdgeVersionRow, type NodeVersionRow } from './version-rows.js';

const PROVENANCE_RECORD = `observed_at timestamptz, recorded_at timestamptz, actor_id text, actor_type text, source_system text,
  provenance jsonb, event_id uuid, event_hash text, stream_revision bigint, position bigint, confidence double precision`;
const PROVENANCE = PROVENANCE_COLUMNS.join(', ');
const fromRecord = (alias: string) => PROVENANCE_COLUMNS.map((c) => `${alias}.${c}`).join(', ');

// A retirement's (retraction's) type and region, from the latest stored version. COALESCE evaluates the
// subquery only when the batch row lacks the value, so upserts and assertions pay no lookup.
const previousNode = (s: string, column: string) =>
  `(SELECT v.${column} FROM ${s}.graph_node_versions v WHERE v.tenant = r.tenant AND v.node_id = r.node_id ORDER BY v.position DESC LIMIT 1)`;
const previousEdge = (s: string, column: string) =>
  `(SELECT v.${column} FROM ${s}.graph_edge_versions v WHERE v.tenant = r.tenant AND v.edge_id = r.edge_id ORDER BY v.position DESC LIMIT 1)`;

/** The keys a batch touched, sent on their own: re-parsing the whole batch for them would cost more than the writes. */
const touchedKeys = (key: 'node_id' | 'edge_id'): KeyScope => ({
  with: `touched AS (SELECT DISTINCT tenant, ${key} FROM json_to_recordset($1::json) AS k(tenant text, ${key} text))`,
  join: `JOIN touched USING (tenant, ${key})`,
});

function nodeStatements(schema: string, rows: readonly NodeVersionRow[]): SqlStatement[] {
  if (rows.length === 0) return [];
  const s = `"${schema}"`;
  const keys = [JSON.stringify(rows.map((r) => ({ tenant: r.tenant, node_id: r.node_id })))];
  return [
    {
      text: `INSERT INTO ${s}.graph_node_versions (tenant, node_id, valid_from, node_type, region, retired, attributes, external_id, ${PROVENANCE})
     SELECT r.tenant, r.node_id, r.valid_from, COALESCE(r.node_type, ${previousNode(s, 'node_type')}), COALESCE(r.region, ${previousNode(s, 'region')}),
            r.retired, r.attributes, r.external_id, ${fromRecord('r')}
     FROM json_to_recordset($1::json) AS r(tenant text, node_id text, valid_from timestamptz, node_type text, region text,
            retired boolean, attributes jsonb, external_id text, ${PROVENANCE_RECORD})
     ON CONFLICT DO NOTHING`,
      params: [JSON.stringify(rows)],
    },
    { text: closeWindowsSql(s, NODES, touchedKeys('node_id')), params: keys },
    { text: refreshCurrentSql(s, NODES, touchedKeys('node_id')), params: keys },
  ];
}

function edgeStatements(schema: string, rows: readonly EdgeVersionRow[]): SqlStatement[] {
  if (rows.length === 0) return [];
  const s = `"${schema}"`;
  const keys = [JSON.stringify(rows.map((r) => ({ tenant: r.tenant, edge_id: r.edge_id })))];
  return [
    {
      text: `INSERT INTO ${s}.graph_edge_versions (tenant, edge_id, valid_from, edge_type, from_id, to_id, from_type, to_type, region, retracted,
                                           attributes, ${PROVENANCE})
     SELECT r.tenant, r.edge_id, r.valid_from, r.edge_type, r.from_id, r.to_id, COALESCE(r.from_type, ${previousEdge(s, 'from_type')}),
            COALESCE(r.to_type, ${previousEdge(s, 'to_type')}), COALESCE(r.region, ${previousEdge(s, 'region')}), r.retracted, r.attributes,
            ${fromRecord('r')}
     FROM json_to_recordset($1::json) AS r(tenant text, edge_id text, valid_from timestamptz, edge_type text, from_id text, to_id text,
            from_type text, to_type text, region text, retracted boolean, attributes jsonb, ${PROVENANCE_RECORD})
     ON CONFLICT DO NOTHING`,
      params: [JSON.stringify(rows)],
    },
    { text: closeWindowsSql(s, EDGES, touchedKeys('edge_id')), params: keys },
    { text: refreshCurrentSql(s, EDGES, touchedKeys('edge_id')), params: keys },
  ];
}

export const graphProjection: Projection = Object.freeze({
  name: 'graph',
  // 2: current rows without the provenance envelope (graph_0002).
  version: 2,
  eventTypes: ['graph.'],
  migrations: graphMigrations,
  tables: [
    { name: 'graph_node_versions', orderBy: ['tenant', 'node_id', 'valid_from', 'position'] },
    { name: 'graph_edge_versions', orderBy: ['tenant', 'edge_id', 'valid_from', 'position'] },
    { name: 'graph_nodes', orderBy: ['tenant', 'node_id'] },
    { name: 'graph_edges', orderBy: ['tenant', 'edge_id'] },
  ],
  async apply(session: SqlSession, schema: string, events: readonly ProjectedEvent[]) {
    // The statements depend on no answer of an earlier one: one round trip (SqlSession.pipeline).
    const { nodes, edges } = versionRows(events);
    await session.pipeline([...nodeStatements(schema, nodes), ...edgeStatements(schema, edges)]);
  },
  bulkLoad: graphBulkLoad,
});
