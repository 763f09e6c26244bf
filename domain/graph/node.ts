// The graph node aggregate: one stream per node id. A node has one type and one region for life;
// upserts state the node as its source sees it now, so re-ingesting the same facts writes nothing.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { JsonObject } from '../../schemas/json.js';
import {
  GRAPH_SCHEMA_VERSION,
  type GraphNodeEvent,
  type GraphNodeRetire,
  type GraphNodeRetired,
  type GraphNodeUpsert,
  type GraphNodeUpserted,
  type NodeType,
} from '../../schemas/graph.js';
import type { DecideContext, Decider } from '../command-handler.js';
import { domainError, type DomainError } from '../errors.js';
import { jsonEqual } from '../json-equal.js';

interface NodeIdentity {
  readonly type: NodeType;
  readonly region: string;
  readonly externalId?: string;
}

/** Type and region survive retirement: an id names one thing, in one region, forever. */
export type NodeState =
  | { readonly status: 'absent' }
  | ({ readonly status: 'active'; readonly attributes: JsonObject } & NodeIdentity)
  | ({ readonly status: 'retired' } & NodeIdentity);

export type NodeCommand =
  | { readonly type: 'graph.node.upsert'; readonly data: GraphNodeUpsert }
  | { readonly type: 'graph.node.retire'; readonly data: GraphNodeRetire };

export const initialNodeState: NodeState = Object.freeze({ status: 'absent' });

export function evolveNode(state: NodeState, event: GraphNodeEvent): NodeState {
  switch (event.type) {
    case 'graph.node.upserted': {
      const { nodeType, region, attributes, externalId } = event.data;
      return { status: 'active', type: nodeType, region, attributes, ...(externalId === undefined ? {} : { externalId }) };
    }
    case 'graph.node.retired': {
      // Only an active node can be retired; decide never emits otherwise, so anything else is left as is.
      if (state.status !== 'active') return state;
      const { attributes: _attributes, status: _status, ...identity } = state;
      return { ...identity, status: 'retired' };
    }
  }
}

const unchangedIdentity = (
  id: string,
  state: NodeIdentity,
  cmd: { readonly type?: NodeType; readonly region: string },
  verb: string,
): DomainError | undefined => {
  if (cmd.type !== undefined && cmd.type !== state.type) {
    return domainError(
      'node-type-change',
      `node ${id} is a ${state.type} and cannot become a ${cmd.type}; use another id for the ${cmd.type}`,
    );
  }
  if (cmd.region !== state.region) {
    return domainError('region-mismatch', `node ${id} lives in region ${state.region}, so it cannot be ${verb} in ${cmd.region}`);
  }
  return undefined;
};

/**
 * Upsert: absent → created; active → updated if attributes or externalId changed, else nothing;
 * retired → re-activated. An upsert is the source saying "this exists now, like this" (MERGE semantics),
 * and the bitemporal read model opens a new validity window; refusing it would make an ingestor that
 * sees a decommissioned-then-restored thing fail forever. Attributes replace the previous set (they are
 * the source's full view, not a patch). An omitted externalId keeps the known one.
 */
export function upsertNode(cmd: GraphNodeUpsert, state: NodeState): Either<DomainError, readonly GraphNodeEvent[]> {
  const externalId = cmd.provenance.externalId ?? (state.status === 'absent' ? undefined : state.externalId);
  if (state.status !== 'absent') {
    const refused = unchangedIdentity(cmd.id, state, cmd, 'upserted');
    if (refused !== undefined) return left(refused);
    if (state.status === 'active' && state.externalId === externalId && jsonEqual(state.attributes, cmd.attributes)) return right([]);
  }
  const event: GraphNodeUpserted = {
    type: 'graph.node.upserted',
    schemaVersion: GRAPH_SCHEMA_VERSION,
    data: {
      id: cmd.id,
      nodeType: cmd.type,
      region: cmd.region,
      attributes: cmd.attributes,
      ...(externalId === undefined ? {} : { externalId }),
    },
  };
  return right([event]);
}

/** Retire: active → retired; retired → nothing (idempotent); absent → not-found. */
export function retireNode(cmd: GraphNodeRetire, state: NodeState): Either<DomainError, readonly GraphNodeEvent[]> {
  if (state.status === 'absent') return left(domainError('not-found', `node ${cmd.id} does not exist`));
  const refused = unchangedIdentity(cmd.id, state, cmd, 'retired');
  if (refused !== undefined) return left(refused);
  if (state.status === 'retired') return right([]);
  const reason = cmd.reason ?? cmd.provenance.reason;
  const event: GraphNodeRetired = {
    type: 'graph.node.retired',
    schemaVersion: GRAPH_SCHEMA_VERSION,
    data: { id: cmd.id, ...(reason === undefined ? {} : { reason }) },
  };
  return right([event]);
}

export const nodeDecider: Decider<NodeCommand, NodeState, GraphNodeEvent, DecideContext> = Object.freeze({
  initialState: initialNodeState,
  evolve: evolveNode,
  decide: (command: NodeCommand, state: NodeState) =>
    command.type === 'graph.node.upsert' ? upsertNode(command.data, state) : retireNode(command.data, state),
});
