// The provenance graph's shapes (seed §1.1): node and edge types, which node types each edge type may
// join, the four HTTP commands and the four events. Codecs are the source of truth; types derive from them.
import * as t from 'io-ts';
import { JsonObjectC } from './json.js';
import { Region, patternString } from './primitives.js';
import { Provenance, text } from './provenance.js';
import { eventCodec, eventUnion } from './event-body.js';
import { closedObject, completed } from './validation.js';

// ---------------------------------------------------------------------------------------------------
// Node and edge types

export const NodeType = t.keyof(
  {
    User: null, Account: null, Tenant: null, Team: null, IdentityProvider: null, Service: null, Component: null,
    Dataset: null, Artifact: null, Run: null, Deployment: null, Build: null, Commit: null, Incident: null,
    Alert: null, Ticket: null, Policy: null, Environment: null, Region: null, SecretVersion: null,
    EvidenceBundle: null,
    // Not in §1.1's list, but on §1.6's demo path (Dataset → Feature toggle → User cohort).
    FeatureFlag: null, UserCohort: null,
  },
  'NodeType',
);
export type NodeType = t.TypeOf<typeof NodeType>;
export const NODE_TYPES: readonly NodeType[] = Object.freeze(Object.keys(NodeType.keys) as NodeType[]);

export const EdgeType = t.keyof(
  {
    PERFORMS: null, OWNS: null, DEPLOYS: null, BUILDS: null, PRODUCES: null, CONSUMES: null, OBSERVES: null,
    REMEDIATES: null, RELATES_TO: null, APPROVES: null, GOVERNED_BY: null, LOCATED_IN: null,
    DERIVED_FROM: null, MENTIONS: null, EMITS: null, SIGNED_BY: null, EVIDENCES: null,
    TARGETS: null,
  },
  'EdgeType',
);
export type EdgeType = t.TypeOf<typeof EdgeType>;
export const EDGE_TYPES: readonly EdgeType[] = Object.freeze(Object.keys(EdgeType.keys) as EdgeType[]);

/** The node types allowed at one end of an edge: a list, or 'any' node type. */
export type EdgeEnd = readonly NodeType[] | 'any';
export interface EdgeRule {
  readonly from: EdgeEnd;
  readonly to: EdgeEnd;
}

/**
 * Which node types each edge type joins, as seed §1.1 lists them. Readings of the seed:
 * - `LOCATED_IN(Resource→Region)`: "Resource" is not a node type; it means any node.
 * - `EMITS(Service→Event)`: events are not graph nodes (they live in the log), so EMITS targets any
 *   node type; a service emitting into the graph points at what its events are about.
 * - `EVIDENCES(EvidenceBundle→Edge|Node)`: v1 supports nodes only; an edge as a target (edges are not
 *   addressable as edge ends yet) is out of scope.
 *
 * Extensions, because §1.1's edges cannot join the demo path of §1.6
 * (Commit → Build → Artifact → Deployment → Service → Dataset → Feature toggle → User cohort):
 * `CONSUMES` also from Build, Deployment and FeatureFlag and also to Commit (a build consumes a commit, a
 * deployment an artifact, a feature flag a dataset); `PRODUCES` also from Service (a service writes a
 * dataset); `TARGETS(FeatureFlag→UserCohort)` is new. `GRAPH_EXTENSIONS` lists them, so the seed's own
 * rules stay checkable against its text.
 */
export const EDGE_RULES: { readonly [E in EdgeType]: EdgeRule } = Object.freeze({
  PERFORMS: { from: ['User'], to: ['Run'] },
  OWNS: { from: ['Account'], to: ['Service', 'Dataset', 'Artifact'] },
  DEPLOYS: { from: ['Deployment'], to: ['Service'] },
  BUILDS: { from: ['Build'], to: ['Artifact'] },
  PRODUCES: { from: ['Run', 'Service'], to: ['Artifact', 'Dataset'] },
  CONSUMES: { from: ['Service', 'Run', 'Build', 'Deployment', 'FeatureFlag'], to: ['Dataset', 'Artifact', 'Commit'] },
  OBSERVES: { from: ['Service'], to: ['Incident'] },
  REMEDIATES: { from: ['Run'], to: ['Incident'] },
  RELATES_TO: { from: ['Incident'], to: ['Dataset', 'Artifact', 'Service'] },
  APPROVES: { from: ['User'], to: ['Deployment', 'Policy'] },
  GOVERNED_BY: { from: ['Service', 'Dataset'], to: ['Policy'] },
  LOCATED_IN: { from: 'any', to: ['Region'] },
  DERIVED_FROM: { from: ['Artifact', 'Dataset'], to: ['Artifact', 'Dataset'] },
  MENTIONS: { from: ['Ticket'], to: ['Incident', 'Service', 'Dataset'] },
  EMITS: { from: ['Service'], to: 'any' },
  SIGNED_BY: { from: ['Artifact'], to: ['User', 'Service'] },
  EVIDENCES: { from: ['EvidenceBundle'], to: 'any' },
  TARGETS: { from: ['FeatureFlag'], to: ['UserCohort'] },
});

/** What this project adds to §1.1 (see EDGE_RULES): node types, and per edge type the added ends. */
export const GRAPH_EXTENSIONS = Object.freeze({
  nodeTypes: ['FeatureFlag', 'UserCohort'] as readonly NodeType[],
  edges: {
    CONSUMES: { from: ['Build', 'Deployment', 'FeatureFlag'], to: ['Commit'] },
    PRODUCES: { from: ['Service'], to: [] },
    TARGETS: { from: ['FeatureFlag'], to: ['UserCohort'] },
  } as { readonly [E in EdgeType]?: { readonly from: readonly NodeType[]; readonly to: readonly NodeType[] } },
});

const endAllows = (end: EdgeEnd, type: NodeType): boolean => end === 'any' || end.includes(type);

/** Whether an edge of `type` may run from a `fromType` node to a `toType` node. */
export const edgeEndsAllowed = (type: EdgeType, fromType: NodeType, toType: NodeType): boolean =>
  endAllows(EDGE_RULES[type].from, fromType) && endAllows(EDGE_RULES[type].to, toType);

/** The rule in the seed's notation, e.g. "Service|Run → Dataset|Artifact" or "any node → Region". */
export const describeEdgeRule = (type: EdgeType): string => {
  const end = (e: EdgeEnd) => (e === 'any' ? 'any node' : e.join('|'));
  return `${end(EDGE_RULES[type].from)} → ${end(EDGE_RULES[type].to)}`;
};

// ---------------------------------------------------------------------------------------------------
// Identifiers

/**
 * Node ids and edge ends. They become part of stream names (`<tenant>/graph.node/<id>`), hence no '/';
 * and edge ids join them with '|' (see `edgeId`), hence no '|', which keeps edge ids unambiguous.
 */
export const NodeId = patternString(
  'NodeId (1-256 characters, no control characters, "/" or "|")',
  /^[^\u0000-\u001f\u007f-\u009f/|]{1,256}$/u,
);

/**
 * An edge's identity is its triple: there is at most one edge of a type between two nodes, and
 * re-asserting it from any source lands on the same stream (idempotent ingest without a lookup).
 */
export const edgeId = (type: EdgeType, from: string, to: string): string => `${from}|${type}|${to}`;


export { Confidence, Provenance } from './provenance.js';

// ---------------------------------------------------------------------------------------------------
// Commands (HTTP bodies). The command type is the route, not a body field.

/** `graph.node.upsert`: the node as the source sees it now; attributes replace the previous ones. */
export const GraphNodeUpsert = closedObject('GraphNodeUpsert', {
  id: NodeId,
  type: NodeType,
  region: Region,
  attributes: JsonObjectC,
  provenance: Provenance,
});
export type GraphNodeUpsert = t.TypeOf<typeof GraphNodeUpsert>;

/** `graph.node.retire`: the node no longer exists in its source. */
export const GraphNodeRetire = closedObject(
  'GraphNodeRetire',
  { id: NodeId, region: Region, provenance: Provenance },
  { reason: text(1024) },
);
export type GraphNodeRetire = t.TypeOf<typeof GraphNodeRetire>;

const GraphEdgeAssertFields = closedObject(
  'GraphEdgeAssert',
  { type: EdgeType, from: NodeId, to: NodeId, region: Region, provenance: Provenance },
  { attributes: JsonObjectC },
);
type GraphEdgeAssertFields = t.TypeOf<typeof GraphEdgeAssertFields>;

/** `graph.edge.assert`: the relation holds; attributes default to {}. */
export type GraphEdgeAssert = GraphEdgeAssertFields & { readonly attributes: t.TypeOf<typeof JsonObjectC> };
export const GraphEdgeAssert: t.Type<GraphEdgeAssert, t.OutputOf<typeof GraphEdgeAssertFields>, unknown> = completed(
  GraphEdgeAssertFields,
  (e) => t.success({ ...e, attributes: e.attributes ?? {} }),
);

/** `graph.edge.retract`: the relation no longer holds. */
export const GraphEdgeRetract = closedObject('GraphEdgeRetract', {
  type: EdgeType,
  from: NodeId,
  to: NodeId,
  region: Region,
  provenance: Provenance,
});
export type GraphEdgeRetract = t.TypeOf<typeof GraphEdgeRetract>;

/** Body codec of each graph command, by command type. */
export const GRAPH_COMMAND_CODECS = Object.freeze({
  'graph.node.upsert': GraphNodeUpsert,
  'graph.node.retire': GraphNodeRetire,
  'graph.edge.assert': GraphEdgeAssert,
  'graph.edge.retract': GraphEdgeRetract,
});
export type GraphCommandType = keyof typeof GRAPH_COMMAND_CODECS;

// ---------------------------------------------------------------------------------------------------
// Events (bodies; the pipeline seals them). Data codecs strip unknown fields: the log is read tolerantly.

export const GRAPH_SCHEMA_VERSION = 1;

export const GraphNodeUpserted = eventCodec(
  'graph.node.upserted',
  GRAPH_SCHEMA_VERSION,
  t.exact(
    t.intersection([
      t.type({ id: NodeId, nodeType: NodeType, region: Region, attributes: JsonObjectC }),
      t.partial({ externalId: t.string }),
    ]),
  ),
);
export type GraphNodeUpserted = t.TypeOf<typeof GraphNodeUpserted>;

export const GraphNodeRetired = eventCodec(
  'graph.node.retired',
  GRAPH_SCHEMA_VERSION,
  t.exact(t.intersection([t.type({ id: NodeId }), t.partial({ reason: t.string })])),
);
export type GraphNodeRetired = t.TypeOf<typeof GraphNodeRetired>;

export const GraphEdgeAsserted = eventCodec(
  'graph.edge.asserted',
  GRAPH_SCHEMA_VERSION,
  t.exact(
    t.type({
      edgeId: t.string,
      type: EdgeType,
      from: NodeId,
      to: NodeId,
      fromType: NodeType,
      toType: NodeType,
      region: Region,
      attributes: JsonObjectC,
    }),
  ),
);
export type GraphEdgeAsserted = t.TypeOf<typeof GraphEdgeAsserted>;

export const GraphEdgeRetracted = eventCodec(
  'graph.edge.retracted',
  GRAPH_SCHEMA_VERSION,
  t.exact(t.intersection([t.type({ edgeId: t.string }), t.partial({ reason: t.string })])),
);
export type GraphEdgeRetracted = t.TypeOf<typeof GraphEdgeRetracted>;

/** Events of a node stream. */
export const GraphNodeEvent = eventUnion('GraphNodeEvent', [GraphNodeUpserted, GraphNodeRetired]);
export type GraphNodeEvent = t.TypeOf<typeof GraphNodeEvent>;

/** Events of an edge stream. */
export const GraphEdgeEvent = eventUnion('GraphEdgeEvent', [GraphEdgeAsserted, GraphEdgeRetracted]);
export type GraphEdgeEvent = t.TypeOf<typeof GraphEdgeEvent>;

/** Every graph event, e.g. for the graph projection reading `$all`. */
export const GraphEvent = eventUnion('GraphEvent', [GraphNodeUpserted, GraphNodeRetired, GraphEdgeAsserted, GraphEdgeRetracted]);
export type GraphEvent = t.TypeOf<typeof GraphEvent>;
