// The graph's four commands as the pipeline sees them: body codec, stream, region, policy resource,
// related streams and the decision. Entries of the generic registry in domain/index.ts.
import {
  GraphEdgeAssert,
  GraphEdgeEvent,
  GraphEdgeRetract,
  GraphNodeEvent,
  GraphNodeRetire,
  GraphNodeUpsert,
  edgeId,
  type EdgeType,
} from '../../schemas/graph.js';
import type { JsonObject } from '../../schemas/json.js';
import { naturalKeyOf, type Provenance } from '../../schemas/provenance.js';
import { streamName } from '../../schemas/streams.js';
import { foldWith, type CommandHandler, type RelatedStream } from '../command-handler.js';
import { assertEdge, evolveEdge, initialEdgeState, retractEdge, type EdgeEnds, type EdgeState } from './edge.js';
import { evolveNode, initialNodeState, retireNode, upsertNode, type NodeState } from './node.js';

const foldNode = foldWith(GraphNodeEvent, evolveNode, initialNodeState);
const foldEdge = foldWith(GraphEdgeEvent, evolveEdge, initialEdgeState);

const nodeStream = (tenant: string, id: string) => streamName(tenant, 'graph.node', id);
const edgeStream = (tenant: string, e: { readonly type: EdgeType; readonly from: string; readonly to: string }) =>
  streamName(tenant, 'graph.edge', edgeId(e.type, e.from, e.to));
const relatedNode = (tenant: string, id: string): RelatedStream<NodeState> => ({ stream: nodeStream(tenant, id), fold: foldNode });

/** Policy sees the resource as it is; a resource that does not exist yet is where the command puts it. */
const nodeResource = (cmd: { readonly region: string; readonly type?: string }, state: NodeState): JsonObject =>
  state.status === 'absent'
    ? { status: 'absent', region: cmd.region, ...(cmd.type === undefined ? {} : { nodeType: cmd.type }) }
    : { status: state.status, region: state.region, nodeType: state.type };

const edgeResource = (cmd: { readonly type: EdgeType; readonly from: string; readonly to: string; readonly region: string }, state: EdgeState): JsonObject => ({
  status: state.status,
  edgeType: cmd.type,
  from: cmd.from,
  to: cmd.to,
  region: state.status === 'absent' ? cmd.region : state.region,
});

const withProvenance = {
  provenance: (cmd: { readonly provenance: Provenance }): Provenance => cmd.provenance,
  naturalKey: (cmd: { readonly provenance: Provenance }) => naturalKeyOf(cmd.provenance),
} as const;

const nodeBase = {
  ...withProvenance,
  resourceType: 'GraphNode',
  resourceId: (cmd: { readonly id: string }) => cmd.id,
  region: (cmd: { readonly region: string }) => cmd.region,
  streamOf: (tenant: string, cmd: { readonly id: string }) => nodeStream(tenant, cmd.id),
  relatedStreams: () => ({}),
  initialState: initialNodeState,
  evolve: evolveNode,
  fold: foldNode,
  encodeEvent: (e: GraphNodeEvent) => GraphNodeEvent.encode(e),
} as const;

const edgeBase = {
  ...withProvenance,
  resourceType: 'GraphEdge',
  resourceId: (cmd: { readonly type: EdgeType; readonly from: string; readonly to: string }) => edgeId(cmd.type, cmd.from, cmd.to),
  resourceAttributes: edgeResource,
  region: (cmd: { readonly region: string }) => cmd.region,
  streamOf: edgeStream,
  initialState: initialEdgeState,
  evolve: evolveEdge,
  fold: foldEdge,
  encodeEvent: (e: GraphEdgeEvent) => GraphEdgeEvent.encode(e),
} as const;

export const graphNodeUpsert: CommandHandler<GraphNodeUpsert, NodeState, GraphNodeEvent> = {
  ...nodeBase,
  codec: GraphNodeUpsert,
  action: 'upsert',
  resourceAttributes: nodeResource,
  decide: (cmd, state) => upsertNode(cmd, state),
};

export const graphNodeRetire: CommandHandler<GraphNodeRetire, NodeState, GraphNodeEvent> = {
  ...nodeBase,
  codec: GraphNodeRetire,
  action: 'retire',
  resourceAttributes: nodeResource,
  // The retire reason is the event's reason, so it is the meta's too.
  provenance: (cmd) => (cmd.reason === undefined ? cmd.provenance : { ...cmd.provenance, reason: cmd.reason }),
  decide: (cmd, state) => retireNode(cmd, state),
};

/** Assert reads the end nodes' streams: existence, status, type and region of each end. */
export const graphEdgeAssert: CommandHandler<GraphEdgeAssert, EdgeState, GraphEdgeEvent, EdgeEnds> = {
  ...edgeBase,
  codec: GraphEdgeAssert,
  action: 'assert',
  relatedStreams: (tenant, cmd) => ({ from: relatedNode(tenant, cmd.from), to: relatedNode(tenant, cmd.to) }),
  decide: (cmd, state, ctx) => assertEdge(cmd, state, ctx.related),
};

export const graphEdgeRetract: CommandHandler<GraphEdgeRetract, EdgeState, GraphEdgeEvent> = {
  ...edgeBase,
  codec: GraphEdgeRetract,
  action: 'retract',
  relatedStreams: () => ({}),
  decide: (cmd, state) => retractEdge(cmd, state),
};

/** The graph's command handlers by command type. */
export const graphCommands = Object.freeze({
  'graph.node.upsert': graphNodeUpsert,
  'graph.node.retire': graphNodeRetire,
  'graph.edge.assert': graphEdgeAssert,
  'graph.edge.retract': graphEdgeRetract,
});
