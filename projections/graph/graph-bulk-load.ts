// The graph projection's rebuild from zero (Projection.bulkLoad). During the catch-up each batch only
// appends its version rows, by COPY (no statement to plan, no JSON parameter to parse) into tables whose
// secondary indexes the runtime has dropped; `finish` then derives valid_to and the current tables from the
// whole history in one pass, with the same SQL as the per-batch writer (history-sql.ts), so both paths
// leave the same rows.
import type { SqlSession } from '../../adapters/read-store/read-store.js';
import { copyField, copyJson } from '../copy-text.js';
import type { BulkLoad, ProjectedEvent } from '../projection.js';
import { closeWindowsSql, EDGES, fillCurrentSql, keysWithHistory, NODES } from './history-sql.js';
import { EDGE_VERSION_COLUMNS, NODE_VERSION_COLUMNS, versionRows, type EdgeVersionRow, type NodeVersionRow, type ProvenanceRow } from './version-rows.js';

/** The provenance columns of a version row as COPY fields (PROVENANCE_COLUMNS order). */
const provenanceFields = (r: ProvenanceRow): string =>
  `${copyField(r.observed_at)}\t${copyField(r.recorded_at)}\t${copyField(r.actor_id)}\t${copyField(r.actor_type)}\t${copyField(r.source_system)}\t` +
  `${copyJson(r.provenance)}\t${r.event_id}\t${r.event_hash}\t${r.stream_revision}\t${r.position}\t${r.confidence}`;

const nodeLine = (r: NodeVersionRow): string =>
  `${copyField(r.tenant)}\t${copyField(r.node_id)}\t${copyField(r.valid_from)}\t${copyField(r.node_type)}\t${copyField(r.region)}\t` +
  `${r.retired ? 't' : 'f'}\t${copyJson(r.attributes)}\t${copyField(r.external_id)}\t${provenanceFields(r)}\n`;

const edgeLine = (r: EdgeVersionRow): string =>
  `${copyField(r.tenant)}\t${copyField(r.edge_id)}\t${copyField(r.valid_from)}\t${copyField(r.edge_type)}\t${copyField(r.from_id)}\t` +
  `${copyField(r.to_id)}\t${copyField(r.from_type)}\t${copyField(r.to_type)}\t${copyField(r.region)}\t${r.retracted ? 't' : 'f'}\t` +
  `${copyJson(r.attributes)}\t${provenanceFields(r)}\n`;

/**
 * The latest stored version's values of `columns` for the keys of rows that lack them (a retirement or
 * retraction whose upsert or assertion came in an earlier batch), as the per-batch writer's COALESCE does.
 */
async function inherited(
  session: SqlSession,
  s: string,
  table: string,
  key: 'node_id' | 'edge_id',
  columns: readonly string[],
  keys: readonly (readonly [tenant: string, id: string])[],
): Promise<Map<string, Record<string, string>>> {
  const wanted = keys.map(([tenant, id]) => ({ tenant, [key]: id }));
  const found = await session.query<Record<string, string>>(
    `SELECT DISTINCT ON (v.tenant, v.${key}) v.tenant, v.${key}, ${columns.map((c) => `v.${c}`).join(', ')}
     FROM json_to_recordset($1::json) AS k(tenant text, ${key} text) JOIN ${s}.${table} v USING (tenant, ${key})
     ORDER BY v.tenant, v.${key}, v.position DESC`,
    [JSON.stringify(wanted)],
  );
  return new Map(found.map((f) => [`${f['tenant']}\u0000${f[key]}`, f]));
}

async function copyNodeVersions(session: SqlSession, s: string, rows: NodeVersionRow[]): Promise<void> {
  if (rows.length === 0) return;
  const lacking = rows.filter((r) => r.node_type === null || r.region === null);
  if (lacking.length > 0) {
    const stored = await inherited(session, s, 'graph_node_versions', 'node_id', ['node_type', 'region'], lacking.map((r) => [r.tenant, r.node_id]));
    rows = rows.map((r) => {
      if (r.node_type !== null && r.region !== null) return r;
      const v = stored.get(`${r.tenant}\u0000${r.node_id}`);
      return { ...r, node_type: r.node_type ?? v?.['node_type'] ?? null, region: r.region ?? v?.['region'] ?? null };
    });
  }
  await session.copyFrom(`${s}.graph_node_versions (${NODE_VERSION_COLUMNS.join(', ')})`, rows.map(nodeLine).join(''));
}

async function copyEdgeVersions(session: SqlSession, s: string, rows: EdgeVersionRow[]): Promise<void> {
  if (rows.length === 0) return;
  const lacking = rows.filter((r) => r.from_type === null || r.to_type === null || r.region === null);
  if (lacking.length > 0) {
    const stored = await inherited(session, s, 'graph_edge_versions', 'edge_id', ['from_type', 'to_type', 'region'], lacking.map((r) => [r.tenant, r.edge_id]));
    rows = rows.map((r) => {
      if (r.from_type !== null && r.to_type !== null && r.region !== null) return r;
      const v = stored.get(`${r.tenant}\u0000${r.edge_id}`);
      return {
        ...r,
        from_type: r.from_type ?? v?.['from_type'] ?? null,
        to_type: r.to_type ?? v?.['to_type'] ?? null,
        region: r.region ?? v?.['region'] ?? null,
      };
    });
  }
  await session.copyFrom(`${s}.graph_edge_versions (${EDGE_VERSION_COLUMNS.join(', ')})`, rows.map(edgeLine).join(''));
}

export const graphBulkLoad: BulkLoad = Object.freeze({
  async apply(session: SqlSession, schema: string, events: readonly ProjectedEvent[]) {
    const s = `"${schema}"`;
    const { nodes, edges } = versionRows(events);
    await copyNodeVersions(session, s, nodes);
    await copyEdgeVersions(session, s, edges);
    return [];
  },
  async finish(session: SqlSession, schema: string) {
    const s = `"${schema}"`;
    for (const thing of [NODES, EDGES]) {
      await session.query(closeWindowsSql(s, thing, keysWithHistory(s, thing)));
      // From scratch: whatever the current table held is what the history says, now in one pass.
      await session.query(`TRUNCATE ${s}.${thing.current}`);
      await session.query(fillCurrentSql(s, thing));
    }
  },
});
