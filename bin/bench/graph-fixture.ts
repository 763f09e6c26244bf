// The seed's fixture tenant for bench:graph: 50,000 nodes and about 220,000 edges per 50,000 nodes, with a
// fan-out per edge type shaped like a real platform (a few hot services and datasets, long tails), from a
// seeded generator so every run builds the same graph. Commands only: the bench sends them through the
// pipeline, or seals them without a log (graph-synthetic.ts) at sizes the pipeline cannot build in time.
import type { EdgeType, NodeType } from '../../schemas/graph.js';
import type { ProvenanceInput } from '../../commands/envelope.js';

export interface FixtureNode {
  readonly id: string;
  readonly type: NodeType;
}
export interface FixtureEdge {
  readonly type: EdgeType;
  readonly from: string;
  readonly to: string;
}

/** Nodes per 50,000, by type. */
const NODE_MIX: readonly (readonly [NodeType, number])[] = [
  ['Service', 1000], ['Dataset', 6000], ['Commit', 10000], ['Build', 7000], ['Artifact', 7000], ['Deployment', 6000],
  ['Run', 4000], ['Incident', 2000], ['User', 2000], ['Account', 500], ['Policy', 300], ['Region', 10], ['Ticket', 2000],
  ['FeatureFlag', 1000], ['UserCohort', 690], ['Team', 500],
];

/** Mulberry32: small, fast, seeded. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Fixture {
  readonly nodes: readonly FixtureNode[];
  readonly edges: readonly FixtureEdge[];
  readonly byType: ReadonlyMap<NodeType, readonly string[]>;
}

export function buildFixture(totalNodes: number, seed = 42): Fixture {
  const scale = totalNodes / 50_000;
  const rnd = random(seed);
  const byType = new Map<NodeType, string[]>();
  const nodes: FixtureNode[] = [];
  for (const [type, per50k] of NODE_MIX) {
    const count = Math.max(type === 'Region' ? 10 : 1, Math.round(per50k * (type === 'Region' ? 1 : scale)));
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = `${type.toLowerCase()}:${i}`;
      ids.push(id);
      nodes.push({ id, type });
    }
    byType.set(type, ids);
  }
  const of = (t: NodeType) => byType.get(t)!;
  // Popularity skew: r² puts most picks on the first members (hot services, core datasets).
  const skewed = (t: NodeType) => {
    const ids = of(t);
    return ids[Math.floor(rnd() * rnd() * ids.length)]!;
  };
  const uniform = (t: NodeType) => {
    const ids = of(t);
    return ids[Math.floor(rnd() * ids.length)]!;
  };
  const edges: FixtureEdge[] = [];
  const seen = new Set<string>();
  const add = (type: EdgeType, from: string, to: string) => {
    const key = `${from}|${type}|${to}`;
    if (from === to || seen.has(key)) return;
    seen.add(key);
    edges.push({ type, from, to });
  };
  const each = (t: NodeType, fn: (id: string, i: number) => void) => of(t).forEach(fn);
  const times = (n: number, fn: () => void) => {
    for (let i = 0; i < n; i++) fn();
  };

  each('Build', (b, i) => {
    add('CONSUMES', b, of('Commit')[i % of('Commit').length]!);
    if (rnd() < 0.4) add('CONSUMES', b, uniform('Commit'));
    add('BUILDS', b, of('Artifact')[i % of('Artifact').length]!);
  });
  each('Deployment', (d, i) => {
    add('CONSUMES', d, of('Artifact')[i % of('Artifact').length]!);
    add('DEPLOYS', d, of('Service')[i % of('Service').length]!);
    add('APPROVES', uniform('User'), d);
    add('LOCATED_IN', d, uniform('Region'));
  });
  each('Dataset', (ds) => {
    add('PRODUCES', uniform('Service'), ds);
    times(4, () => add('DERIVED_FROM', ds, skewed('Dataset')));
    add('OWNS', uniform('Account'), ds);
    add('GOVERNED_BY', ds, uniform('Policy'));
    add('LOCATED_IN', ds, uniform('Region'));
  });
  each('Service', (s) => {
    times(47, () => add('CONSUMES', s, skewed('Dataset')));
    add('OWNS', uniform('Account'), s);
    add('GOVERNED_BY', s, uniform('Policy'));
    add('LOCATED_IN', s, uniform('Region'));
  });
  each('Run', (r) => {
    times(6, () => add('CONSUMES', r, skewed('Dataset')));
    times(2, () => add('PRODUCES', r, uniform('Dataset')));
    add('PERFORMS', uniform('User'), r);
    if (rnd() < 0.35) add('REMEDIATES', r, uniform('Incident'));
  });
  each('Incident', (inc) => {
    times(2, () => add('OBSERVES', skewed('Service'), inc));
    times(3, () => add('RELATES_TO', inc, skewed('Dataset')));
    times(2, () => add('RELATES_TO', inc, skewed('Service')));
    add('RELATES_TO', inc, uniform('Artifact'));
  });
  each('Artifact', (a) => {
    add('OWNS', uniform('Account'), a);
    add('SIGNED_BY', a, rnd() < 0.5 ? uniform('User') : uniform('Service'));
  });
  each('Ticket', (t) => times(5, () => add('MENTIONS', t, rnd() < 0.5 ? skewed('Incident') : rnd() < 0.5 ? skewed('Service') : skewed('Dataset'))));
  each('FeatureFlag', (f) => {
    times(3, () => add('CONSUMES', f, skewed('Dataset')));
    times(2, () => add('TARGETS', f, uniform('UserCohort')));
  });
  return { nodes, edges, byType };
}

/** One fixture command as the pipeline takes it: command type, HTTP body, and the request id it is sent under. */
export interface FixtureCommand {
  readonly type: string;
  readonly body: unknown;
  readonly requestId: string;
}

/** What every fixture command shares: the tenant's region and the provenance of the bench's ingest. */
export interface FixtureCommandContext {
  readonly region: string;
  readonly provenance: ProvenanceInput;
}

/** How many commands the fixture is: one per node, then one per edge. */
export const fixtureCommandCount = (fixture: Fixture): number => fixture.nodes.length + fixture.edges.length;

/**
 * The `index`-th command of the fixture, nodes first (edges need both ends to exist). Built on demand: at
 * 1,000,000 nodes the 5.4 million command bodies would otherwise sit in memory together.
 */
export function fixtureCommand(fixture: Fixture, index: number, { region, provenance }: FixtureCommandContext): FixtureCommand {
  if (index < fixture.nodes.length) {
    const n = fixture.nodes[index]!;
    return { type: 'graph.node.upsert', body: { id: n.id, type: n.type, region, attributes: { name: n.id }, provenance }, requestId: `bench-nodes-${index}` };
  }
  const i = index - fixture.nodes.length;
  const e = fixture.edges[i]!;
  return { type: 'graph.edge.assert', body: { type: e.type, from: e.from, to: e.to, region, provenance }, requestId: `bench-edges-${i}` };
}
