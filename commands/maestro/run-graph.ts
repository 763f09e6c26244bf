// A run in the provenance graph (seed §2.2: runs are visible in IntelGraph): a Run node, PERFORMS from the
// requester's User node, and PRODUCES/CONSUMES to what succeeded steps say they made or used.
import type { JsonObject, JsonValue } from '../../schemas/json.js';
import { NodeId } from '../../schemas/graph.js';

/** A graph command the executor sends for a run, with the idempotency key that makes a resend harmless. */
export interface GraphCommand {
  readonly type: 'graph.node.upsert' | 'graph.edge.assert';
  readonly body: JsonObject;
  readonly idempotencyKey: string;
  /** Upsert only when the node does not exist yet (the executor must not overwrite others' attributes). */
  readonly onlyIfAbsent?: string;
}

export interface RunFactsForGraph {
  readonly runId: string;
  readonly region: string;
  readonly requester: string;
  readonly plan: { readonly name: string; readonly version: number; readonly digest: string };
  readonly status: string;
  /** Results of succeeded steps, by step id. */
  readonly results: ReadonlyMap<string, JsonObject>;
}

export const runNodeId = (runId: string): string => `run:${runId}`;

type Link = { readonly edge: 'PRODUCES' | 'CONSUMES'; readonly nodeType: 'Artifact' | 'Dataset'; readonly id: string; readonly stepId: string };

/**
 * What a step's result names, kept deliberately small: an http step's JSON response (or a script's
 * result) may carry `produces` and `consumes`, each a list of {type: Artifact|Dataset, id}.
 */
export function linksOf(results: ReadonlyMap<string, JsonObject>): readonly Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const [stepId, result] of results) {
    const body = result['body'];
    const source = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as JsonObject) : result;
    for (const edge of ['PRODUCES', 'CONSUMES'] as const) {
      const list: JsonValue | undefined = source[edge.toLowerCase()];
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
        const { type, id } = item as JsonObject;
        if ((type !== 'Artifact' && type !== 'Dataset') || typeof id !== 'string' || !NodeId.is(id)) continue;
        const key = `${edge}|${id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        links.push({ edge, nodeType: type, id, stepId });
      }
    }
  }
  return links;
}

/** The commands that record the run; `observedAt` is when the executor saw the run reach `status`. */
export function runGraphCommands(run: RunFactsForGraph, observedAt: string): readonly GraphCommand[] {
  const provenance = { sourceSystem: 'maestro', observedAt, reason: `run ${run.runId} of plan ${run.plan.name} v${run.plan.version}` };
  const runNode = runNodeId(run.runId);
  const key = (what: string) => `maestro:${run.runId}:graph:${what}`;
  const commands: GraphCommand[] = [
    {
      type: 'graph.node.upsert',
      idempotencyKey: key(`run:${run.status}`),
      body: {
        id: runNode,
        type: 'Run',
        region: run.region,
        attributes: { runId: run.runId, plan: run.plan.name, planVersion: run.plan.version, planDigest: run.plan.digest, requester: run.requester, status: run.status },
        provenance,
      },
    },
  ];
  // Principal ids become node ids as they are; one that cannot be a node id is left out of the graph.
  if (NodeId.is(run.requester)) {
    commands.push(
      { type: 'graph.node.upsert', idempotencyKey: key('requester'), onlyIfAbsent: run.requester, body: { id: run.requester, type: 'User', region: run.region, attributes: {}, provenance } },
      { type: 'graph.edge.assert', idempotencyKey: key('performs'), body: { type: 'PERFORMS', from: run.requester, to: runNode, region: run.region, provenance } },
    );
  }
  for (const link of linksOf(run.results)) {
    commands.push(
      { type: 'graph.node.upsert', idempotencyKey: key(`node:${link.id}`), onlyIfAbsent: link.id, body: { id: link.id, type: link.nodeType, region: run.region, attributes: {}, provenance } },
      {
        type: 'graph.edge.assert',
        idempotencyKey: key(`${link.edge}:${link.id}`),
        body: { type: link.edge, from: runNode, to: link.id, region: run.region, attributes: { step: link.stepId }, provenance },
      },
    );
  }
  return commands;
}
