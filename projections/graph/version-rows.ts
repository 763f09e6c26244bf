// The graph projection's batch as rows of the version tables: one per graph event, with where it came
// from (the sealed event and its provenance envelope). Both write paths (graph-projection.ts per batch,
// graph-bulk-load.ts in a rebuild) start here, so they store the same values.
import { isLeft } from 'fp-ts/lib/Either.js';
import { GraphEvent } from '../../schemas/graph.js';
import { formatValidationErrors } from '../../schemas/validation.js';
import { UnreadableEventError, type ProjectedEvent } from '../projection.js';

/** Where a version came from: the sealed event and its provenance envelope. */
export interface ProvenanceRow {
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
  /** The event's meta.confidence (0..1). */
  readonly confidence: number;
}

export interface NodeVersionRow extends ProvenanceRow {
  readonly node_id: string;
  /** null on a retirement: copied from the node's previous version. */
  readonly node_type: string | null;
  readonly region: string | null;
  readonly retired: boolean;
  readonly attributes: unknown;
  readonly external_id: string | null;
}

export interface EdgeVersionRow extends ProvenanceRow {
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

/** Columns every version row has after its own, in table order. */
export const PROVENANCE_COLUMNS = [
  'observed_at', 'recorded_at', 'actor_id', 'actor_type', 'source_system', 'provenance', 'event_id', 'event_hash', 'stream_revision', 'position', 'confidence',
] as const;
/** The version tables' written columns, in order (valid_to is derived). */
export const NODE_VERSION_COLUMNS = ['tenant', 'node_id', 'valid_from', 'node_type', 'region', 'retired', 'attributes', 'external_id', ...PROVENANCE_COLUMNS] as const;
export const EDGE_VERSION_COLUMNS = [
  'tenant', 'edge_id', 'valid_from', 'edge_type', 'from_id', 'to_id', 'from_type', 'to_type', 'region', 'retracted', 'attributes', ...PROVENANCE_COLUMNS,
] as const;

/** Edge ids are `from|TYPE|to`, and node ids cannot contain '|' (schemas/graph.ts). */
function edgeEnds(edgeId: string): { readonly from: string; readonly type: string; readonly to: string } | undefined {
  const parts = edgeId.split('|');
  return parts.length === 3 ? { from: parts[0]!, type: parts[1]!, to: parts[2]! } : undefined;
}

/**
 * The batch as version rows. Retirements and retractions take type and region from an earlier event of the
 * batch where there is one (else null: the writer copies them from the stored history). Rows are built as
 * one literal each, not spread from a shared provenance object: a rebuild makes hundreds of thousands.
 */
export function versionRows(events: readonly ProjectedEvent[]): { nodes: NodeVersionRow[]; edges: EdgeVersionRow[] } {
  const nodes: NodeVersionRow[] = [];
  const edges: EdgeVersionRow[] = [];
  const nodeSeen = new Map<string, { readonly type: string; readonly region: string }>();
  const edgeSeen = new Map<string, { readonly fromType: string; readonly toType: string; readonly region: string }>();
  for (const { event, position } of events) {
    if (!event.type.startsWith('graph.')) continue;
    // `is` accepts what decode accepts (decode only strips fields no row reads), allocating nothing; decode names the fault.
    if (!GraphEvent.is(event)) {
      const decoded = GraphEvent.decode(event);
      if (isLeft(decoded)) throw new UnreadableEventError(position, event.id, formatValidationErrors(decoded.left).join('; '));
    }
    const body = event as GraphEvent & typeof event;
    const { tenant, meta } = event;
    const key = (id: string) => `${tenant}\u0000${id}`;
    const valid_from = meta.effectiveAt;
    const observed_at = meta.observedAt;
    const recorded_at = event.sealedAt;
    const actor_id = meta.actor.id;
    const actor_type = meta.actor.type;
    const source_system = meta.sourceSystem;
    const event_id = event.id;
    const event_hash = event.hash;
    const stream_revision = event.revision;
    const at = position.toString();
    const confidence = meta.confidence;
    switch (body.type) {
      case 'graph.node.upserted': {
        const d = body.data;
        nodeSeen.set(key(d.id), { type: d.nodeType, region: d.region });
        nodes.push({
          tenant, node_id: d.id, valid_from, node_type: d.nodeType, region: d.region, retired: false, attributes: d.attributes, external_id: d.externalId ?? null,
          observed_at, recorded_at, actor_id, actor_type, source_system, provenance: meta, event_id, event_hash, stream_revision, position: at, confidence,
        });
        break;
      }
      case 'graph.node.retired': {
        const known = nodeSeen.get(key(body.data.id));
        nodes.push({
          tenant, node_id: body.data.id, valid_from, node_type: known?.type ?? null, region: known?.region ?? null, retired: true, attributes: null, external_id: null,
          observed_at, recorded_at, actor_id, actor_type, source_system, provenance: meta, event_id, event_hash, stream_revision, position: at, confidence,
        });
        break;
      }
      case 'graph.edge.asserted': {
        const d = body.data;
        edgeSeen.set(key(d.edgeId), { fromType: d.fromType, toType: d.toType, region: d.region });
        edges.push({
          tenant, edge_id: d.edgeId, valid_from, edge_type: d.type, from_id: d.from, to_id: d.to, from_type: d.fromType, to_type: d.toType,
          region: d.region, retracted: false, attributes: d.attributes,
          observed_at, recorded_at, actor_id, actor_type, source_system, provenance: meta, event_id, event_hash, stream_revision, position: at, confidence,
        });
        break;
      }
      case 'graph.edge.retracted': {
        const ends = edgeEnds(body.data.edgeId);
        if (ends === undefined) throw new UnreadableEventError(position, event.id, `edge id ${body.data.edgeId} is not from|TYPE|to`);
        const known = edgeSeen.get(key(body.data.edgeId));
        edges.push({
          tenant, edge_id: body.data.edgeId, valid_from, edge_type: ends.type, from_id: ends.from, to_id: ends.to,
          from_type: known?.fromType ?? null, to_type: known?.toType ?? null, region: known?.region ?? null, retracted: true, attributes: null,
          observed_at, recorded_at, actor_id, actor_type, source_system, provenance: meta, event_id, event_hash, stream_revision, position: at, confidence,
        });
        break;
      }
    }
  }
  return { nodes, edges };
}
