// The graph edge aggregate: one stream per (from, type, to). Asserting checks the end nodes (loaded by
// the pipeline from their own streams) against the edge type's rule; edges come and go over time.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { JsonObject } from '../../schemas/json.js';
import {
  GRAPH_SCHEMA_VERSION,
  describeEdgeRule,
  edgeEndsAllowed,
  edgeId,
  type EdgeType,
  type GraphEdgeAssert,
  type GraphEdgeAsserted,
  type GraphEdgeEvent,
  type GraphEdgeRetract,
  type GraphEdgeRetracted,
  type NodeType,
} from '../../schemas/graph.js';
import type { DecideContext, Decider } from '../command-handler.js';
import { domainError, type DomainError } from '../errors.js';
import { jsonEqual } from '../json-equal.js';
import type { NodeState } from './node.js';

interface EdgeIdentity {
  readonly type: EdgeType;
  readonly from: string;
  readonly to: string;
  readonly fromType: NodeType;
  readonly toType: NodeType;
  readonly region: string;
}

export type EdgeState =
  | { readonly status: 'absent' }
  | ({ readonly status: 'asserted'; readonly attributes: JsonObject } & EdgeIdentity)
  | ({ readonly status: 'retracted' } & EdgeIdentity);

export type EdgeCommand =
  | { readonly type: 'graph.edge.assert'; readonly data: GraphEdgeAssert }
  | { readonly type: 'graph.edge.retract'; readonly data: GraphEdgeRetract };

/** The current states of the edge's end nodes, folded by the pipeline from their streams. */
export interface EdgeEnds {
  readonly from: NodeState;
  readonly to: NodeState;
}

export const initialEdgeState: EdgeState = Object.freeze({ status: 'absent' });

export function evolveEdge(state: EdgeState, event: GraphEdgeEvent): EdgeState {
  switch (event.type) {
    case 'graph.edge.asserted': {
      const { type, from, to, fromType, toType, region, attributes } = event.data;
      return { status: 'asserted', type, from, to, fromType, toType, region, attributes };
    }
    case 'graph.edge.retracted': {
      // Only an asserted edge can be retracted; decide never emits otherwise, so anything else is left as is.
      if (state.status !== 'asserted') return state;
      const { attributes: _attributes, status: _status, ...identity } = state;
      return { ...identity, status: 'retracted' };
    }
  }
}

type ActiveEnd = Extract<NodeState, { readonly status: 'active' }>;

/** Both ends exist and are active; otherwise the error naming every end that is not. */
function activeEnds(cmd: GraphEdgeAssert, ends: EdgeEnds): Either<DomainError, readonly [ActiveEnd, ActiveEnd]> {
  const named = [
    { role: 'from', id: cmd.from, state: ends.from },
    { role: 'to', id: cmd.to, state: ends.to },
  ] as const;
  const list = (xs: readonly { readonly role: string; readonly id: string }[]) =>
    xs.map((x) => `${x.id} (${x.role})`).join(' and ');
  const missing = named.filter((e) => e.state.status === 'absent');
  if (missing.length > 0) {
    return left(domainError('edge-end-not-found', `${cmd.type} edge: node ${list(missing)} ${missing.length > 1 ? 'do' : 'does'} not exist`));
  }
  const retired = named.filter((e) => e.state.status === 'retired');
  if (retired.length > 0) {
    return left(domainError('edge-end-retired', `${cmd.type} edge: node ${list(retired)} ${retired.length > 1 ? 'are' : 'is'} retired`));
  }
  return right([ends.from as ActiveEnd, ends.to as ActiveEnd]);
}

/**
 * Assert: absent or retracted → asserted; asserted → updated if attributes changed, else nothing.
 * Region: an edge carries its own region (seed §1.1: every edge has tenant and region) and it must be the
 * region of one of its ends. A relation between two EU nodes then cannot be written into a US partition,
 * while a cross-region relation (a us-east service consuming an eu-west dataset) lives in either of the
 * two regions, as the writer chooses and policy allows. Like a node, an edge keeps its region for life.
 */
export function assertEdge(cmd: GraphEdgeAssert, state: EdgeState, ends: EdgeEnds): Either<DomainError, readonly GraphEdgeEvent[]> {
  const id = edgeId(cmd.type, cmd.from, cmd.to);
  if (cmd.from === cmd.to) {
    return left(domainError('edge-self-loop', `${cmd.type} edge from ${cmd.from} to itself: an edge must join two different nodes`));
  }
  const checked = activeEnds(cmd, ends);
  if (isLeft(checked)) return checked;
  const [from, to] = checked.right;
  if (!edgeEndsAllowed(cmd.type, from.type, to.type)) {
    return left(domainError('edge-ends-not-allowed', `${cmd.type} requires ${describeEdgeRule(cmd.type)}, got ${from.type} → ${to.type}`));
  }
  if (cmd.region !== from.region && cmd.region !== to.region) {
    const allowed = from.region === to.region ? `${from.region}, the region of both ends` : `${from.region} (region of ${cmd.from}) or ${to.region} (region of ${cmd.to})`;
    return left(domainError('edge-region-not-allowed', `edge ${id} must live in ${allowed}, not ${cmd.region}`));
  }
  if (state.status !== 'absent' && state.region !== cmd.region) {
    return left(domainError('region-mismatch', `edge ${id} lives in region ${state.region}, so it cannot be asserted in ${cmd.region}`));
  }
  if (state.status === 'asserted' && jsonEqual(state.attributes, cmd.attributes)) return right([]);
  const event: GraphEdgeAsserted = {
    type: 'graph.edge.asserted',
    schemaVersion: GRAPH_SCHEMA_VERSION,
    data: { edgeId: id, type: cmd.type, from: cmd.from, to: cmd.to, fromType: from.type, toType: to.type, region: cmd.region, attributes: cmd.attributes },
  };
  return right([event]);
}

/** Retract: asserted → retracted; retracted → nothing (idempotent); absent → not-found. Ends are not consulted: retired ends must not block clean-up. */
export function retractEdge(cmd: GraphEdgeRetract, state: EdgeState): Either<DomainError, readonly GraphEdgeEvent[]> {
  const id = edgeId(cmd.type, cmd.from, cmd.to);
  if (state.status === 'absent') return left(domainError('not-found', `edge ${id} does not exist`));
  if (state.region !== cmd.region) {
    return left(domainError('region-mismatch', `edge ${id} lives in region ${state.region}, so it cannot be retracted in ${cmd.region}`));
  }
  if (state.status === 'retracted') return right([]);
  const reason = cmd.provenance.reason;
  const event: GraphEdgeRetracted = {
    type: 'graph.edge.retracted',
    schemaVersion: GRAPH_SCHEMA_VERSION,
    data: { edgeId: id, ...(reason === undefined ? {} : { reason }) },
  };
  return right([event]);
}

/** The aggregate as one decider; its context always carries the end nodes, which retract ignores. */
export type EdgeContext = DecideContext<EdgeEnds>;

export const edgeDecider: Decider<EdgeCommand, EdgeState, GraphEdgeEvent, EdgeContext> = Object.freeze({
  initialState: initialEdgeState,
  evolve: evolveEdge,
  decide: (command: EdgeCommand, state: EdgeState, ctx: EdgeContext) =>
    command.type === 'graph.edge.assert' ? assertEdge(command.data, state, ctx.related) : retractEdge(command.data, state),
});
