// Specifications of the edge aggregate: every transition of absent | asserted | retracted, the end-node
// checks, and a table over all 17 edge types against the seed's text (§1.1), pair by pair.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { EDGE_RULES, EDGE_TYPES, GRAPH_EXTENSIONS, NODE_TYPES, describeEdgeRule, type EdgeType, type NodeType } from '../../schemas/graph.js';
import { DeciderSpecification } from '../../test/decider-spec.js';
import {
  T0,
  absentNode,
  activeNode,
  assertCmd,
  asserted,
  provenance,
  retiredNode,
  retractCmd,
  retracted,
} from '../../test/graph-fixtures.js';
import { assertEdge, edgeDecider, evolveEdge, initialEdgeState, type EdgeCommand, type EdgeContext } from './edge.js';
import type { NodeState } from './node.js';

const ctx = (from: NodeState = activeNode('Deployment'), to: NodeState = activeNode('Service')): EdgeContext => ({
  now: T0,
  related: { from, to },
});
const spec = DeciderSpecification.for(edgeDecider, ctx());
const as = (over: Record<string, unknown> = {}): EdgeCommand => ({ type: 'graph.edge.assert', data: assertCmd(over) });
const rt = (over: Record<string, unknown> = {}): EdgeCommand => ({ type: 'graph.edge.retract', data: retractCmd(over) });
const deploys = asserted('DEPLOYS', 'dep:42', 'Deployment', 'svc:checkout', 'Service');

test('assert on absent asserts the edge, attributes defaulting to {}', () => {
  spec.given([]).when(as()).then([deploys]);
});

test('the edge id is from|TYPE|to', () => {
  spec.given([]).when(as()).then([deploys]);
  assert.is((deploys.data as { edgeId: string }).edgeId, 'dep:42|DEPLOYS|svc:checkout');
});

test('re-asserting an unchanged edge is a no-op', () => {
  spec.given([deploys]).when(as()).thenNothing();
  const withAttrs = asserted('DEPLOYS', 'dep:42', 'Deployment', 'svc:checkout', 'Service', 'us-east', { a: 1, b: [1, 2] });
  spec.given([withAttrs]).when(as({ attributes: { b: [1, 2], a: 1 } })).thenNothing();
});

test('re-asserting with changed attributes updates the edge', () => {
  spec
    .given([deploys])
    .when(as({ attributes: { version: '1.2.3' } }))
    .then([asserted('DEPLOYS', 'dep:42', 'Deployment', 'svc:checkout', 'Service', 'us-east', { version: '1.2.3' })]);
});

test('asserting a retracted edge asserts it again', () => {
  spec.given([deploys, retracted('DEPLOYS', 'dep:42', 'svc:checkout')]).when(as()).then([deploys]);
});

test('a missing end is 422 edge-end-not-found, naming it', () => {
  const e = spec.given([]).when(as(), ctx(absentNode)).thenFails('edge-end-not-found', 'node dep:42 (from) does not exist');
  assert.is(e.status, 422);
  spec.given([]).when(as(), ctx(activeNode('Deployment'), absentNode)).thenFails('edge-end-not-found', 'svc:checkout (to)');
  spec.given([]).when(as(), ctx(absentNode, absentNode)).thenFails('edge-end-not-found', 'dep:42 (from) and svc:checkout (to) do not exist');
});

test('a retired end is 422 edge-end-retired', () => {
  spec.given([]).when(as(), ctx(activeNode('Deployment'), retiredNode('Service'))).thenFails('edge-end-retired', 'svc:checkout (to) is retired');
  // Even an unchanged re-assert: the relation cannot be affirmed to a node that is gone.
  spec.given([deploys]).when(as(), ctx(retiredNode('Deployment'))).thenFails('edge-end-retired');
});

test('wrong end types are 422 edge-ends-not-allowed, naming the rule', () => {
  const e = spec
    .given([])
    .when(as({ type: 'BUILDS', from: 'svc:x', to: 'art:1' }), ctx(activeNode('Service'), activeNode('Artifact')))
    .thenFails('edge-ends-not-allowed');
  assert.is(e.detail, 'BUILDS requires Build → Artifact, got Service → Artifact');
  assert.is(e.status, 422);
});

test('an edge from a node to itself is refused', () => {
  spec
    .given([])
    .when(as({ type: 'DERIVED_FROM', from: 'ds:a', to: 'ds:a' }), ctx(activeNode('Dataset'), activeNode('Dataset')))
    .thenFails('edge-self-loop');
});

test('edge region: one of its ends', () => {
  const cross = ctx(activeNode('Deployment', 'us-east'), activeNode('Service', 'eu-west'));
  spec.given([]).when(as({ region: 'eu-west' }), cross).then([asserted('DEPLOYS', 'dep:42', 'Deployment', 'svc:checkout', 'Service', 'eu-west')]);
  spec.given([]).when(as({ region: 'us-east' }), cross).then([deploys]);
  spec
    .given([])
    .when(as({ region: 'ap-south' }), cross)
    .thenFails('edge-region-not-allowed', 'must live in us-east (region of dep:42) or eu-west (region of svc:checkout), not ap-south');
  spec.given([]).when(as({ region: 'eu-west' })).thenFails('edge-region-not-allowed', 'us-east, the region of both ends');
});

test('an existing edge keeps its region', () => {
  const cross = ctx(activeNode('Deployment', 'us-east'), activeNode('Service', 'eu-west'));
  spec.given([deploys]).when(as({ region: 'eu-west' }), cross).thenFails('region-mismatch', 'lives in region us-east');
  spec.given([deploys, retracted('DEPLOYS', 'dep:42', 'svc:checkout')]).when(as({ region: 'eu-west' }), cross).thenFails('region-mismatch');
});

test('retract on absent is 404 not-found', () => {
  const e = spec.given([]).when(rt()).thenFails('not-found', 'edge dep:42|DEPLOYS|svc:checkout does not exist');
  assert.is(e.status, 404);
});

test('retract on asserted retracts, with the provenance reason', () => {
  spec.given([deploys]).when(rt()).then([retracted('DEPLOYS', 'dep:42', 'svc:checkout')]);
  spec
    .given([deploys])
    .when(rt({ provenance: { ...provenance, reason: 'rolled back' } }))
    .then([retracted('DEPLOYS', 'dep:42', 'svc:checkout', 'rolled back')]);
});

test('retract ignores the ends: a retired end does not block clean-up', () => {
  spec.given([deploys]).when(rt(), ctx(retiredNode('Deployment'), absentNode)).then([retracted('DEPLOYS', 'dep:42', 'svc:checkout')]);
});

test('retract on retracted is a no-op (idempotent)', () => {
  spec.given([deploys, retracted('DEPLOYS', 'dep:42', 'svc:checkout')]).when(rt()).thenNothing();
});

test('retract naming another region is refused', () => {
  spec.given([deploys]).when(rt({ region: 'eu-west' })).thenFails('region-mismatch');
});

test('evolve: states after each event', () => {
  const s1 = evolveEdge(initialEdgeState, deploys);
  assert.equal(s1, {
    status: 'asserted', type: 'DEPLOYS', from: 'dep:42', to: 'svc:checkout',
    fromType: 'Deployment', toType: 'Service', region: 'us-east', attributes: {},
  });
  const s2 = evolveEdge(s1, retracted('DEPLOYS', 'dep:42', 'svc:checkout'));
  assert.equal(s2, { status: 'retracted', type: 'DEPLOYS', from: 'dep:42', to: 'svc:checkout', fromType: 'Deployment', toType: 'Service', region: 'us-east' });
  assert.equal(evolveEdge(initialEdgeState, retracted('DEPLOYS', 'a', 'b')), initialEdgeState);
});

// ---------------------------------------------------------------------------------------------------
// Every edge type against the seed's own words (§1.1), written out independently of EDGE_RULES, plus the
// declared extensions for the demo path (GRAPH_EXTENSIONS) and nothing else.

const SEED = `PERFORMS(User→Run), OWNS(Account→Service|Dataset|Artifact), DEPLOYS(Deployment→Service),
BUILDS(Build→Artifact), PRODUCES(Run→Artifact|Dataset), CONSUMES(Service|Run→Dataset|Artifact),
OBSERVES(Service→Incident), REMEDIATES(Run→Incident), RELATES_TO(Incident→Dataset|Artifact|Service),
APPROVES(User→Deployment|Policy), GOVERNED_BY(Service|Dataset→Policy), LOCATED_IN(Resource→Region),
DERIVED_FROM(Artifact|Dataset→Artifact|Dataset), MENTIONS(Ticket→Incident|Service|Dataset), EMITS(Service→Event),
SIGNED_BY(Artifact→User|Service), EVIDENCES(EvidenceBundle→Edge|Node)`;

/** "Resource", "Event" and "Node" read as any node type; "Edge" (edges as targets) is out of scope in v1. */
const seedEnd = (s: string): readonly NodeType[] =>
  s.split('|').flatMap((x) => (x === 'Resource' || x === 'Event' || x === 'Node' ? NODE_TYPES : x === 'Edge' ? [] : [x as NodeType]));

const seedOnly = new Map(
  [...SEED.matchAll(/([A-Z_]+)\(([^→]+)→([^)]+)\)/g)].map((m) => [m[1] as EdgeType, { from: seedEnd(m[2]!), to: seedEnd(m[3]!) }]),
);
const inNodeTypeOrder = (xs: readonly NodeType[]) => NODE_TYPES.filter((n) => xs.includes(n));
const seedRules = new Map(
  EDGE_TYPES.map((type) => {
    const seed = seedOnly.get(type) ?? { from: [], to: [] };
    const ext = GRAPH_EXTENSIONS.edges[type] ?? { from: [], to: [] };
    const end = (s: readonly NodeType[], e: readonly NodeType[]) => (s.length === NODE_TYPES.length ? NODE_TYPES : inNodeTypeOrder([...s, ...e]));
    return [type, { from: end(seed.from, ext.from), to: end(seed.to, ext.to) }];
  }),
);

test("the seed's 17 edge types and 21 node types, plus the declared extensions", () => {
  assert.is(seedOnly.size, 17);
  const added = EDGE_TYPES.filter((e) => !seedOnly.has(e));
  assert.equal(added, ['TARGETS']);
  assert.is(NODE_TYPES.length, 21 + GRAPH_EXTENSIONS.nodeTypes.length);
});

for (const type of EDGE_TYPES) {
  test(`${type} (${describeEdgeRule(type)}): every allowed pair accepted, every other pair rejected naming the rule`, () => {
    const seed = seedRules.get(type)!;
    let accepted = 0;
    for (const fromType of NODE_TYPES) {
      for (const toType of NODE_TYPES) {
        const allowed = seed.from.includes(fromType) && seed.to.includes(toType);
        const cmd = assertCmd({ type, from: `a:${fromType}`, to: `b:${toType}` });
        const r = assertEdge(cmd, initialEdgeState, { from: activeNode(fromType), to: activeNode(toType) });
        if (allowed) {
          assert.ok(isRight(r), `${type} ${fromType} → ${toType} should be accepted`);
          accepted++;
        } else {
          if (!isLeft(r)) assert.unreachable(`${type} ${fromType} → ${toType} should be rejected`);
          else {
            assert.is(r.left.code, 'edge-ends-not-allowed');
            assert.is(r.left.detail, `${type} requires ${describeEdgeRule(type)}, got ${fromType} → ${toType}`);
          }
        }
      }
    }
    assert.ok(accepted > 0);
    // EDGE_RULES is data: it must say the same thing, member for member.
    const rule = EDGE_RULES[type];
    assert.equal(rule.from === 'any' ? NODE_TYPES : inNodeTypeOrder(rule.from), seed.from);
    assert.equal(rule.to === 'any' ? NODE_TYPES : inNodeTypeOrder(rule.to), seed.to);
  });
}

test.run();
