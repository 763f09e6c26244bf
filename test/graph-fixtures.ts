// Builders for graph tests: commands go through their codecs (so defaults apply exactly as in
// production), events and node states are written out literally.
import type * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import {
  GraphEdgeAssert,
  GraphEdgeRetract,
  GraphNodeRetire,
  GraphNodeUpsert,
  edgeId,
  type EdgeType,
  type GraphEdgeEvent,
  type GraphNodeEvent,
  type NodeType,
} from '../schemas/graph.js';
import type { JsonObject } from '../schemas/json.js';
import { formatValidationErrors } from '../schemas/validation.js';
import type { NodeState } from '../domain/index.js';

export const T0 = '2026-01-01T00:00:00Z';
export const provenance = { sourceSystem: 'github', observedAt: T0 };

export function decodeOrThrow<A>(codec: t.Decoder<unknown, A>, input: unknown): A {
  const r = codec.decode(input);
  if (isLeft(r)) throw new Error(`fixture does not decode: ${formatValidationErrors(r.left).join('; ')}`);
  return r.right;
}

export const upsert = (over: Record<string, unknown> = {}) =>
  decodeOrThrow(GraphNodeUpsert, { id: 'svc:checkout', type: 'Service', region: 'us-east', attributes: { name: 'checkout' }, provenance, ...over });

export const retire = (over: Record<string, unknown> = {}) =>
  decodeOrThrow(GraphNodeRetire, { id: 'svc:checkout', region: 'us-east', provenance, ...over });

export const assertCmd = (over: Record<string, unknown> = {}) =>
  decodeOrThrow(GraphEdgeAssert, { type: 'DEPLOYS', from: 'dep:42', to: 'svc:checkout', region: 'us-east', provenance, ...over });

export const retractCmd = (over: Record<string, unknown> = {}) =>
  decodeOrThrow(GraphEdgeRetract, { type: 'DEPLOYS', from: 'dep:42', to: 'svc:checkout', region: 'us-east', provenance, ...over });

export const upserted = (
  id: string,
  nodeType: NodeType,
  region: string,
  attributes: JsonObject,
  externalId?: string,
): GraphNodeEvent => ({
  type: 'graph.node.upserted',
  schemaVersion: 1,
  data: { id, nodeType, region, attributes, ...(externalId === undefined ? {} : { externalId }) },
});

export const retired = (id: string, reason?: string): GraphNodeEvent => ({
  type: 'graph.node.retired',
  schemaVersion: 1,
  data: { id, ...(reason === undefined ? {} : { reason }) },
});

export const asserted = (
  type: EdgeType,
  from: string,
  fromType: NodeType,
  to: string,
  toType: NodeType,
  region = 'us-east',
  attributes: JsonObject = {},
): GraphEdgeEvent => ({
  type: 'graph.edge.asserted',
  schemaVersion: 1,
  data: { edgeId: edgeId(type, from, to), type, from, to, fromType, toType, region, attributes },
});

export const retracted = (type: EdgeType, from: string, to: string, reason?: string): GraphEdgeEvent => ({
  type: 'graph.edge.retracted',
  schemaVersion: 1,
  data: { edgeId: edgeId(type, from, to), ...(reason === undefined ? {} : { reason }) },
});

export const absentNode: NodeState = { status: 'absent' };
export const activeNode = (type: NodeType, region = 'us-east', attributes: JsonObject = {}): NodeState => ({ status: 'active', type, region, attributes });
export const retiredNode = (type: NodeType, region = 'us-east'): NodeState => ({ status: 'retired', type, region });
