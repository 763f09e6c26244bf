// Specifications of the node aggregate: every transition of absent | active | retired, legal or not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeciderSpecification } from '../../test/decider-spec.js';
import { T0, provenance, retire, retired, upsert, upserted } from '../../test/graph-fixtures.js';
import { evolveNode, initialNodeState, nodeDecider, type NodeCommand } from './node.js';

const spec = DeciderSpecification.for(nodeDecider, { now: T0, related: {} });
const up = (over: Record<string, unknown> = {}): NodeCommand => ({ type: 'graph.node.upsert', data: upsert(over) });
const ret = (over: Record<string, unknown> = {}): NodeCommand => ({ type: 'graph.node.retire', data: retire(over) });
const created = upserted('svc:checkout', 'Service', 'us-east', { name: 'checkout' });

test('upsert on absent creates the node', () => {
  spec.given([]).when(up()).then([created]);
});

test('upsert on absent carries the natural key (externalId) when the source gives one', () => {
  spec
    .given([])
    .when(up({ provenance: { ...provenance, externalId: 'R_kgDOabc' } }))
    .then([upserted('svc:checkout', 'Service', 'us-east', { name: 'checkout' }, 'R_kgDOabc')]);
});

test('re-ingesting the same facts is a no-op, whatever the provenance says', () => {
  spec.given([created]).when(up({ provenance: { ...provenance, observedAt: '2026-02-01T00:00:00Z' } })).thenNothing();
});

test('attribute key order does not count as a change', () => {
  const both = upserted('svc:checkout', 'Service', 'us-east', { name: 'checkout', tier: 1 });
  spec.given([both]).when(up({ attributes: { tier: 1, name: 'checkout' } })).thenNothing();
});

test('changed attributes replace the previous set', () => {
  spec
    .given([upserted('svc:checkout', 'Service', 'us-east', { name: 'checkout', owner: 'payments' })])
    .when(up({ attributes: { name: 'checkout-v2' } }))
    .then([upserted('svc:checkout', 'Service', 'us-east', { name: 'checkout-v2' })]);
});

test('a nested attribute change is a change', () => {
  spec
    .given([upserted('svc:checkout', 'Service', 'us-east', { slo: { p99: 200 } })])
    .when(up({ attributes: { slo: { p99: 250 } } }))
    .then([upserted('svc:checkout', 'Service', 'us-east', { slo: { p99: 250 } })]);
});

test('a new externalId is a change', () => {
  spec
    .given([upserted('svc:checkout', 'Service', 'us-east', { name: 'checkout' }, 'old')])
    .when(up({ provenance: { ...provenance, externalId: 'new' } }))
    .then([upserted('svc:checkout', 'Service', 'us-east', { name: 'checkout' }, 'new')]);
});

test('an omitted externalId keeps the known one', () => {
  const known = upserted('svc:checkout', 'Service', 'us-east', { name: 'checkout' }, 'R_1');
  spec.given([known]).when(up()).thenNothing();
  spec
    .given([known])
    .when(up({ attributes: { name: 'renamed' } }))
    .then([upserted('svc:checkout', 'Service', 'us-east', { name: 'renamed' }, 'R_1')]);
});

test('changing the type is refused (422 node-type-change)', () => {
  const e = spec.given([created]).when(up({ type: 'Dataset' })).thenFails('node-type-change', 'svc:checkout is a Service and cannot become a Dataset');
  assert.is(e.status, 422);
});

test('moving to another region is refused (422 region-mismatch)', () => {
  const e = spec.given([created]).when(up({ region: 'eu-west' })).thenFails('region-mismatch', 'lives in region us-east');
  assert.is(e.status, 422);
});

test('upsert on a retired node re-activates it', () => {
  spec.given([created, retired('svc:checkout')]).when(up()).then([created]);
  const state = [created, retired('svc:checkout'), created].reduce(evolveNode, initialNodeState);
  assert.is(state.status, 'active');
});

test('a retired node keeps its type and region', () => {
  spec.given([created, retired('svc:checkout')]).when(up({ type: 'Dataset' })).thenFails('node-type-change');
  spec.given([created, retired('svc:checkout')]).when(up({ region: 'eu-west' })).thenFails('region-mismatch');
});

test('retire on absent is 404 not-found', () => {
  const e = spec.given([]).when(ret()).thenFails('not-found', 'node svc:checkout does not exist');
  assert.is(e.status, 404);
});

test('retire on active retires, with the command reason before the provenance reason', () => {
  spec.given([created]).when(ret()).then([retired('svc:checkout')]);
  spec.given([created]).when(ret({ reason: 'decommissioned' })).then([retired('svc:checkout', 'decommissioned')]);
  spec
    .given([created])
    .when(ret({ provenance: { ...provenance, reason: 'from provenance' } }))
    .then([retired('svc:checkout', 'from provenance')]);
  spec
    .given([created])
    .when(ret({ reason: 'top', provenance: { ...provenance, reason: 'from provenance' } }))
    .then([retired('svc:checkout', 'top')]);
});

test('retire on retired is a no-op (idempotent)', () => {
  spec.given([created, retired('svc:checkout')]).when(ret()).thenNothing();
});

test('retire naming another region is refused', () => {
  spec.given([created]).when(ret({ region: 'eu-west' })).thenFails('region-mismatch');
  spec.given([created, retired('svc:checkout')]).when(ret({ region: 'eu-west' })).thenFails('region-mismatch');
});

test('evolve: states after each event', () => {
  const active = evolveNode(initialNodeState, upserted('n', 'Run', 'us-east', { a: 1 }, 'x'));
  assert.equal(active, { status: 'active', type: 'Run', region: 'us-east', attributes: { a: 1 }, externalId: 'x' });
  assert.equal(evolveNode(active, retired('n')), { status: 'retired', type: 'Run', region: 'us-east', externalId: 'x' });
  // A retirement the decider could never have emitted leaves the state alone.
  assert.equal(evolveNode(initialNodeState, retired('n')), initialNodeState);
});

test.run();
