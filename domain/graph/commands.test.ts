// The graph's command handlers as the pipeline drives them: decode the body, name the streams,
// fold stored events, decide, encode for sealing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import { commandHandlers, graphCommands } from '../index.js';
import { T0, asserted, provenance, retired, upserted } from '../../test/graph-fixtures.js';

const rightOf = <A>(r: Either<unknown, A>): A => {
  if (isLeft(r)) throw new Error(`expected Right, got ${JSON.stringify(r.left)}`);
  return r.right;
};

const upsertBody = { id: 'svc:checkout', type: 'Service', region: 'us-east', attributes: { name: 'checkout' }, provenance };
const assertBody = { type: 'DEPLOYS', from: 'dep:42', to: 'svc:checkout', region: 'us-east', provenance };

test('the registry holds the four graph commands', () => {
  const graph = [...commandHandlers].filter(([type]) => type.startsWith('graph.'));
  assert.equal(graph.map(([type]) => type).sort(), ['graph.edge.assert', 'graph.edge.retract', 'graph.node.retire', 'graph.node.upsert']);
  for (const [type, h] of graph) {
    assert.ok(['GraphNode', 'GraphEdge'].includes(h.resourceType), type);
    assert.is(h.action, type.split('.')[2]);
  }
});

test('node upsert: stream, region, resource, decide, encode', () => {
  const h = graphCommands['graph.node.upsert'];
  const cmd = rightOf(h.codec.decode(upsertBody));
  assert.is(h.streamOf('acme', cmd), 'acme/graph.node/svc:checkout');
  assert.is(h.region(cmd), 'us-east');
  assert.is(h.resourceId(cmd), 'svc:checkout');
  assert.equal(h.relatedStreams('acme', cmd), {});
  assert.equal(h.resourceAttributes(cmd, h.initialState), { status: 'absent', region: 'us-east', nodeType: 'Service' });
  const events = rightOf(h.decide(cmd, h.initialState, { now: T0, related: {} }));
  assert.equal(events.map((e) => h.encodeEvent(e)), [upserted('svc:checkout', 'Service', 'us-east', { name: 'checkout' })]);
});

test('fold decodes stored events (sealed events carry more fields) and rejects unreadable ones', () => {
  const h = graphCommands['graph.node.retire'];
  const stored = [upserted('svc:checkout', 'Service', 'eu-west', {}), retired('svc:checkout')].map((e, i) => ({
    ...h.encodeEvent(e),
    id: `id-${i}`,
    revision: i,
    meta: {},
  }));
  const state = rightOf(h.fold(stored));
  assert.equal(state, { status: 'retired', type: 'Service', region: 'eu-west' });
  const cmd = rightOf(h.codec.decode({ id: 'svc:checkout', region: 'eu-west', provenance }));
  assert.equal(h.resourceAttributes(cmd, state), { status: 'retired', region: 'eu-west', nodeType: 'Service' });

  const bad = h.fold([{ type: 'graph.node.exploded', schemaVersion: 1, data: {} }]);
  assert.ok(isLeft(bad));
  if (isLeft(bad)) assert.match(bad.left[0]!, /^event 0: type: expected EventType \(one of graph\.node\.upserted, graph\.node\.retired\), got "graph\.node\.exploded"$/);
  const future = h.fold([{ type: 'graph.node.retired', schemaVersion: 2, data: { id: 'x' } }]);
  assert.ok(isLeft(future) && future.left[0]!.includes('schemaVersion: expected 1, got 2'));
});

test('edge assert: related streams are the end nodes, folded into ctx.related', () => {
  const h = graphCommands['graph.edge.assert'];
  const cmd = rightOf(h.codec.decode(assertBody));
  assert.is(h.streamOf('acme', cmd), 'acme/graph.edge/dep:42|DEPLOYS|svc:checkout');
  assert.is(h.resourceId(cmd), 'dep:42|DEPLOYS|svc:checkout');
  const related = h.relatedStreams('acme', cmd);
  assert.is(related.from.stream, 'acme/graph.node/dep:42');
  assert.is(related.to.stream, 'acme/graph.node/svc:checkout');
  const from = rightOf(related.from.fold([upserted('dep:42', 'Deployment', 'us-east', {})]));
  const to = rightOf(related.to.fold([upserted('svc:checkout', 'Service', 'us-east', {})]));
  const events = rightOf(h.decide(cmd, h.initialState, { now: T0, related: { from, to } }));
  assert.equal(events.map((e) => h.encodeEvent(e)), [asserted('DEPLOYS', 'dep:42', 'Deployment', 'svc:checkout', 'Service')]);
  assert.equal(h.resourceAttributes(cmd, h.initialState), { status: 'absent', edgeType: 'DEPLOYS', from: 'dep:42', to: 'svc:checkout', region: 'us-east' });
});

test('edge retract needs no related streams', () => {
  const h = graphCommands['graph.edge.retract'];
  const cmd = rightOf(h.codec.decode(assertBody));
  assert.equal(h.relatedStreams('acme', cmd), {});
  const state = rightOf(h.fold([asserted('DEPLOYS', 'dep:42', 'Deployment', 'svc:checkout', 'Service')]));
  assert.ok(isRight(h.decide(cmd, state, { now: T0, related: {} })));
});

test('through the erased registry type, the same handler works on unknown input', () => {
  const h = commandHandlers.get('graph.node.upsert')!;
  const cmd = rightOf(h.codec.decode(upsertBody));
  const state = rightOf(h.fold([]));
  const events = rightOf(h.decide(cmd, state, { now: T0, related: {} }));
  assert.is(h.encodeEvent(events[0]!).type, 'graph.node.upserted');
  assert.ok(isLeft(h.codec.decode({ ...upsertBody, extra: 1 })));
});

test('provenance for the meta, and the natural key for deduplication', () => {
  const h = graphCommands['graph.node.upsert'];
  const plain = rightOf(h.codec.decode(upsertBody));
  assert.equal(h.provenance(plain), { ...provenance, effectiveAt: provenance.observedAt, evidenceRefs: [], confidence: 1, privacyTier: 'internal', piiFlags: [] });
  assert.is(h.naturalKey(plain), undefined);
  const keyed = rightOf(h.codec.decode({ ...upsertBody, provenance: { ...provenance, externalId: 'R_1' } }));
  assert.is(h.naturalKey(keyed), '["github","R_1"]');
  const r = graphCommands['graph.node.retire'];
  const retireCmd = rightOf(r.codec.decode({ id: 'svc:checkout', region: 'us-east', reason: 'gone', provenance: { ...provenance, reason: 'sync' } }));
  assert.is(r.provenance(retireCmd)?.reason, 'gone');
  const e = graphCommands['graph.edge.assert'];
  assert.is(e.provenance(rightOf(e.codec.decode(assertBody)))?.sourceSystem, 'github');
});

test.run();
