// GraphProjection: the provenance graph read model from graph.* events. Set-based per batch, in one statement
// (batch-function.ts): insert the versions, recompute valid_to of every version of the touched nodes and edges
// (so a late event with an earlier effectiveAt slots into the history), then refresh their current rows. A
// rebuild from zero goes through graph-bulk-load.ts instead: versions only, then everything derived in one pass.
import type { SqlSession } from '../../adapters/read-store/read-store.js';
import type { ProjectedEvent, Projection } from '../projection.js';
import { GRAPH_BATCH_FUNCTION } from './batch-function.js';
import { graphBulkLoad } from './graph-bulk-load.js';
import { graphMigrations } from './migrations.js';
import { versionRows } from './version-rows.js';

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
  async apply(_session: SqlSession, schema: string, events: readonly ProjectedEvent[]) {
    const { nodes, edges } = versionRows(events);
    if (nodes.length === 0 && edges.length === 0) return [];
    // One statement (batch-function.ts), the versions and apart from them the keys they touch, which reads
    // nothing first: the runtime sends it with the checkpoint and the COMMIT, in one round trip.
    return [
      {
        text: `SELECT "${schema}".${GRAPH_BATCH_FUNCTION}($1::json, $2::json, $3::json, $4::json)`,
        params: [
          nodes.length > 0 ? JSON.stringify(nodes) : null,
          nodes.length > 0 ? JSON.stringify(nodes.map((r) => ({ tenant: r.tenant, node_id: r.node_id }))) : null,
          edges.length > 0 ? JSON.stringify(edges) : null,
          edges.length > 0 ? JSON.stringify(edges.map((r) => ({ tenant: r.tenant, edge_id: r.edge_id }))) : null,
        ],
      },
    ];
  },
  bulkLoad: graphBulkLoad,
});
