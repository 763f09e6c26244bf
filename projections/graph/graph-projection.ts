// GraphProjection: the provenance graph read model from graph.* events. Set-based per batch: insert the
// versions, recompute valid_to of every version of the touched nodes and edges (so a late event with an
// earlier effectiveAt slots into the history), then refresh their current rows.
import { isLeft } from 'fp-ts/lib/Either.js';
import { GraphEvent } from '../../schemas/graph.js';
import type { SqlSession } from '../../schemas/read-store.js';
import { formatValidationErrors } from '../../schemas/validation.js';
import { UnreadableEventError, type ProjectedEvent, type Projection } from '../projection.js';
import { graphMigrations } from './migrations.js';

/** Where a version came from: the sealed event and its provenance envelope. */
interface ProvenanceRow {
  readonly tenant: string;
  readonly valid_from: string;
  readonly observed_at: string;
  readonly recorded_at: string;
  readonly actor_id: string;
  readonly actor_type: string;
  readonly source_system: string;
  readonly provenance: unknown;
  readonly event_id: string;
  readonly event_hash: string;
  readonly stream_revision: number;
  readonly position: string;
}

interface NodeVersionRow extends ProvenanceRow {
  readonly node_id: string;
  /** null on a retirement: copied from the node's previous version. */
  readonly node_type: string | null;
  readonly region: string | null;
  readonly retired: boolean;
  readonly attributes: unknown;
  readonly external_id: string | null;
}

interface EdgeVersionRow extends ProvenanceRow {
  readonly edge_id: string;
  readonly edge_type: string;
  readonly from_id: string;
  readonly to_id: string;
  /** null on a retraction: copied from the edge's previous version. */
  readonly from_type: string | null;
  readonly to_type: string | null;
  readonly region: string | null;
  readonly retracted: boolean;
  readonly attributes: unknown;
}

const provenanceOf = ({ position, event }: ProjectedEvent): ProvenanceRow => ({
  tenant: event.tenant,
  valid_from: event.meta.effectiveAt,
  observed_at: event.meta.observedAt,
  recorded_at: event.sealedAt,
  actor_id: event.meta.actor.id,
  actor_type: event.meta.actor.type,
  source_system: event.meta.sourceSystem,
  provenance: event.meta,
  event_id: event.id,
  event_hash: event.hash,
  stream_revision: event.revision,
  position: position.toString(),
});

/** Edge ids are `from|TYPE|to`, and node ids cannot contain '|' (schemas/graph.ts). */
function edgeEnds(edgeId: string): { readonly from: string; readonly type: string; readonly to: string } | undefined {
  const parts = edgeId.split('|');
  return parts.length === 3 ? { from: parts[0]!, type: parts[1]!, to: parts[2]! } : undefined;
}

/** The batch as version rows. Retirements and retractions take type and region from an earlier event of the batch where there is one. */
export function versionRows(events: readonly ProjectedEvent[]): { nodes: NodeVersionRow[]; edges: EdgeVersionRow[] } {
  const nodes: NodeVersionRow[] = [];
  const edges: EdgeVersionRow[] = [];
  const nodeSeen = new Map<string, { readonly type: string; readonly region: string }>();
  const edgeSeen = new Map<string, { readonly fromType: string; readonly toType: string; readonly region: string }>();
  for (const projected of events) {
    const { event, position } = projected;
    if (!event.type.startsWith('graph.')) continue;
    const decoded = GraphEvent.decode(event);
    if (isLeft(decoded)) throw new UnreadableEventError(position, event.id, formatValidationErrors(decoded.left).join('; '));
    const body = decoded.right;
    const key = (id: string) => `${event.tenant}\u0000${id}`;
    switch (body.type) {
      case 'graph.node.upserted': {
        const d = body.data;
        nodeSeen.set(key(d.id), { type: d.nodeType, region: d.region });
        nodes.push({ ...provenanceOf(projected), node_id: d.id, node_type: d.nodeType, region: d.region, retired: false, attributes: d.attributes, external_id: d.externalId ?? null });
        break;
      }
      case 'graph.node.retired': {
        const known = nodeSeen.get(key(body.data.id));
        nodes.push({ ...provenanceOf(projected), node_id: body.data.id, node_type: known?.type ?? null, region: known?.region ?? null, retired: true, attributes: null, external_id: null });
        break;
      }
      case 'graph.edge.asserted': {
        const d = body.data;
        edgeSeen.set(key(d.edgeId), { fromType: d.fromType, toType: d.toType, region: d.region });
        edges.push({
          ...provenanceOf(projected),
          edge_id: d.edgeId, edge_type: d.type, from_id: d.from, to_id: d.to, from_type: d.fromType, to_type: d.toType,
          region: d.region, retracted: false, attributes: d.attributes,
        });
        break;
      }
      case 'graph.edge.retracted': {
        const ends = edgeEnds(body.data.edgeId);
        if (ends === undefined) throw new UnreadableEventError(position, event.id, `edge id ${body.data.edgeId} is not from|TYPE|to`);
        const known = edgeSeen.get(key(body.data.edgeId));
        edges.push({
          ...provenanceOf(projected),
          edge_id: body.data.edgeId, edge_type: ends.type, from_id: ends.from, to_id: ends.to,
          from_type: known?.fromType ?? null, to_type: known?.toType ?? null, region: known?.region ?? null,
          retracted: true, attributes: null,
        });
        break;
      }
    }
  }
  return { nodes, edges };
}

const PROVENANCE_RECORD = `observed_at timestamptz, recorded_at timestamptz, actor_id text, actor_type text, source_system text,
  provenance jsonb, event_id uuid, event_hash text, stream_revision bigint, position bigint`;
const PROVENANCE_COLUMNS = 'observed_at, recorded_at, actor_id, actor_type, source_system, provenance, event_id, event_hash, stream_revision, position';
// Current rows keep where the fact came from, not the whole envelope (it stays on the version row).
const CURRENT_PROVENANCE_COLUMNS = PROVENANCE_COLUMNS.replace('provenance, ', '');
const fromRecord = (alias: string, columns = PROVENANCE_COLUMNS) => columns.split(', ').map((c) => `${alias}.${c}`).join(', ');
const excludedProvenance = CURRENT_PROVENANCE_COLUMNS.split(', ').map((c) => `${c} = excluded.${c}`).join(', ');

// A retirement's (retraction's) type and region, from the latest stored version. COALESCE evaluates the
// subquery only when the batch row lacks the value, so upserts and assertions pay no lookup.
const previousNode = (s: string, column: string) =>
  `(SELECT v.${column} FROM ${s}.graph_node_versions v WHERE v.tenant = r.tenant AND v.node_id = r.node_id ORDER BY v.position DESC LIMIT 1)`;
const previousEdge = (s: string, column: string) =>
  `(SELECT v.${column} FROM ${s}.graph_edge_versions v WHERE v.tenant = r.tenant AND v.edge_id = r.edge_id ORDER BY v.position DESC LIMIT 1)`;

async function applyNodes(session: SqlSession, schema: string, rows: readonly NodeVersionRow[]): Promise<void> {
  if (rows.length === 0) return;
  const s = `"${schema}"`;
  const batch = JSON.stringify(rows);
  await session.query(
    `INSERT INTO ${s}.graph_node_versions (tenant, node_id, valid_from, node_type, region, retired, attributes, external_id, ${PROVENANCE_COLUMNS})
     SELECT r.tenant, r.node_id, r.valid_from, COALESCE(r.node_type, ${previousNode(s, 'node_type')}), COALESCE(r.region, ${previousNode(s, 'region')}),
            r.retired, r.attributes, r.external_id, ${fromRecord('r')}
     FROM json_to_recordset($1::json) AS r(tenant text, node_id text, valid_from timestamptz, node_type text, region text,
            retired boolean, attributes jsonb, external_id text, ${PROVENANCE_RECORD})
     ON CONFLICT DO NOTHING`,
    [batch],
  );
  // The touched keys travel on their own: re-parsing the whole batch for them would cost more than the writes.
  const keys = JSON.stringify(rows.map((r) => ({ tenant: r.tenant, node_id: r.node_id })));
  const touched = `touched AS (SELECT DISTINCT tenant, node_id FROM json_to_recordset($1::json) AS k(tenant text, node_id text))`;
  // valid_to: each version ends where the next one in valid time (ties by log position) begins.
  await session.query(
    `WITH ${touched},
     windows AS (SELECT v.tenant, v.node_id, v.valid_from, v.position,
                        lead(v.valid_from) OVER (PARTITION BY v.tenant, v.node_id ORDER BY v.valid_from, v.position) AS next_from
                 FROM ${s}.graph_node_versions v JOIN touched USING (tenant, node_id))
     UPDATE ${s}.graph_node_versions v SET valid_to = w.next_from FROM windows w
     WHERE v.tenant = w.tenant AND v.node_id = w.node_id AND v.valid_from = w.valid_from AND v.position = w.position
       AND v.valid_to IS DISTINCT FROM w.next_from`,
    [keys],
  );
  // Current: the latest version in valid time, unless it is a retirement.
  await session.query(
    `WITH ${touched},
     latest AS (SELECT DISTINCT ON (v.tenant, v.node_id) v.* FROM ${s}.graph_node_versions v JOIN touched USING (tenant, node_id)
                ORDER BY v.tenant, v.node_id, v.valid_from DESC, v.position DESC),
     gone AS (DELETE FROM ${s}.graph_nodes c USING latest l WHERE l.retired AND c.tenant = l.tenant AND c.node_id = l.node_id)
     INSERT INTO ${s}.graph_nodes (tenant, node_id, node_type, region, attributes, external_id, valid_from, ${CURRENT_PROVENANCE_COLUMNS})
     SELECT l.tenant, l.node_id, l.node_type, l.region, l.attributes, l.external_id, l.valid_from, ${fromRecord('l', CURRENT_PROVENANCE_COLUMNS)}
     FROM latest l WHERE NOT l.retired
     ON CONFLICT (tenant, node_id) DO UPDATE SET node_type = excluded.node_type, region = excluded.region,
       attributes = excluded.attributes, external_id = excluded.external_id, valid_from = excluded.valid_from, ${excludedProvenance}`,
    [keys],
  );
}

async function applyEdges(session: SqlSession, schema: string, rows: readonly EdgeVersionRow[]): Promise<void> {
  if (rows.length === 0) return;
  const s = `"${schema}"`;
  const batch = JSON.stringify(rows);
  await session.query(
    `INSERT INTO ${s}.graph_edge_versions (tenant, edge_id, valid_from, edge_type, from_id, to_id, from_type, to_type, region, retracted,
                                           attributes, ${PROVENANCE_COLUMNS})
     SELECT r.tenant, r.edge_id, r.valid_from, r.edge_type, r.from_id, r.to_id, COALESCE(r.from_type, ${previousEdge(s, 'from_type')}),
            COALESCE(r.to_type, ${previousEdge(s, 'to_type')}), COALESCE(r.region, ${previousEdge(s, 'region')}), r.retracted, r.attributes,
            ${fromRecord('r')}
     FROM json_to_recordset($1::json) AS r(tenant text, edge_id text, valid_from timestamptz, edge_type text, from_id text, to_id text,
            from_type text, to_type text, region text, retracted boolean, attributes jsonb, ${PROVENANCE_RECORD})
     ON CONFLICT DO NOTHING`,
    [batch],
  );
  const keys = JSON.stringify(rows.map((r) => ({ tenant: r.tenant, edge_id: r.edge_id })));
  const touched = `touched AS (SELECT DISTINCT tenant, edge_id FROM json_to_recordset($1::json) AS k(tenant text, edge_id text))`;
  await session.query(
    `WITH ${touched},
     windows AS (SELECT v.tenant, v.edge_id, v.valid_from, v.position,
                        lead(v.valid_from) OVER (PARTITION BY v.tenant, v.edge_id ORDER BY v.valid_from, v.position) AS next_from
                 FROM ${s}.graph_edge_versions v JOIN touched USING (tenant, edge_id))
     UPDATE ${s}.graph_edge_versions v SET valid_to = w.next_from FROM windows w
     WHERE v.tenant = w.tenant AND v.edge_id = w.edge_id AND v.valid_from = w.valid_from AND v.position = w.position
       AND v.valid_to IS DISTINCT FROM w.next_from`,
    [keys],
  );
  await session.query(
    `WITH ${touched},
     latest AS (SELECT DISTINCT ON (v.tenant, v.edge_id) v.* FROM ${s}.graph_edge_versions v JOIN touched USING (tenant, edge_id)
                ORDER BY v.tenant, v.edge_id, v.valid_from DESC, v.position DESC),
     gone AS (DELETE FROM ${s}.graph_edges c USING latest l WHERE l.retracted AND c.tenant = l.tenant AND c.edge_id = l.edge_id)
     INSERT INTO ${s}.graph_edges (tenant, edge_id, edge_type, from_id, to_id, from_type, to_type, region, attributes, valid_from,
                                   ${CURRENT_PROVENANCE_COLUMNS})
     SELECT l.tenant, l.edge_id, l.edge_type, l.from_id, l.to_id, l.from_type, l.to_type, l.region, l.attributes, l.valid_from,
            ${fromRecord('l', CURRENT_PROVENANCE_COLUMNS)}
     FROM latest l WHERE NOT l.retracted
     ON CONFLICT (tenant, edge_id) DO UPDATE SET attributes = excluded.attributes, valid_from = excluded.valid_from,
       region = excluded.region, ${excludedProvenance}`,
    [keys],
  );
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
    const { nodes, edges } = versionRows(events);
    await applyNodes(session, schema, nodes);
    await applyEdges(session, schema, edges);
  },
});
