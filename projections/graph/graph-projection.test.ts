// GraphProjection specifications: given commands through the real write side → then the read model's rows.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { migrate } from '../../adapters/read-store/postgres/database.js';
import { openReadModelBed, type ReadModelBed } from '../../test/read-model-bed.js';
import { readModelMigrations } from '../index.js';
import { graphProjection } from './graph-projection.js';

const test = suite<{ bed: ReadModelBed }>('graph projection', {} as { bed: ReadModelBed });
test.before.each(async (ctx) => {
  ctx.bed = await openReadModelBed();
});
test.after.each(async (ctx) => {
  await ctx.bed.close();
});

const prov = (observedAt: string, effectiveAt = observedAt, extra: Record<string, unknown> = {}) => ({
  sourceSystem: 'github',
  observedAt,
  effectiveAt,
  ...extra,
});
const node = (id: string, type: string, attributes: Record<string, unknown>, at = '2026-01-01T00:00:00Z', extra: Record<string, unknown> = {}) => ({
  id,
  type,
  region: 'us-east',
  attributes,
  provenance: prov(at, (extra['effectiveAt'] as string | undefined) ?? at, extra),
});
const edge = (type: string, from: string, to: string, at = '2026-01-01T00:00:00Z') => ({ type, from, to, region: 'us-east', provenance: prov(at) });

interface NodeRow {
  node_id: string;
  node_type: string;
  attributes: Record<string, unknown>;
  valid_from: Date;
  event_id: string;
  event_hash: string;
  actor_id: string;
  provenance?: { sourceSystem: string; decision: { policyVersion: string } };
}

test('an upserted node is current, with its provenance and the id and hash of its sealed event', async ({ bed }) => {
  const r = await bed.command('graph.node.upsert', node('svc:checkout', 'Service', { name: 'checkout' }));
  await bed.project();
  const rows = await bed.sql<NodeRow>('SELECT * FROM ${schema}.graph_nodes');
  assert.is(rows.length, 1);
  const row = rows[0]!;
  assert.is(row.node_id, 'svc:checkout');
  assert.is(row.node_type, 'Service');
  assert.equal(row.attributes, { name: 'checkout' });
  assert.is(row.actor_id, 'user:alice');
  assert.is(row.provenance, undefined, 'the current row names its event; the envelope is on the version');
  const [version] = await bed.sql<NodeRow>('SELECT * FROM ${schema}.graph_node_versions');
  assert.is(version!.provenance?.sourceSystem, 'github');
  assert.is(version!.event_id, r.body.events[0].id);
  assert.is(row.event_id, r.body.events[0].id);
  assert.is(row.event_hash, r.body.events[0].hash);
  assert.is(row.valid_from.toISOString(), '2026-01-01T00:00:00.000Z');
});

test('edges: asserted → current; retracted → gone from current, its version window closed at the retraction', async ({ bed }) => {
  await bed.command('graph.node.upsert', node('dep:1', 'Deployment', {}));
  await bed.command('graph.node.upsert', node('svc:a', 'Service', {}));
  await bed.command('graph.edge.assert', edge('DEPLOYS', 'dep:1', 'svc:a', '2026-01-02T00:00:00Z'));
  await bed.project();
  const current = await bed.sql<{ edge_id: string; from_type: string; to_type: string }>('SELECT edge_id, from_type, to_type FROM ${schema}.graph_edges');
  assert.equal(current, [{ edge_id: 'dep:1|DEPLOYS|svc:a', from_type: 'Deployment', to_type: 'Service' }]);

  await bed.command('graph.edge.retract', edge('DEPLOYS', 'dep:1', 'svc:a', '2026-01-03T00:00:00Z'));
  await bed.project();
  assert.equal(await bed.sql('SELECT * FROM ${schema}.graph_edges'), []);
  const versions = await bed.sql<{ retracted: boolean; valid_from: Date; valid_to: Date | null; from_type: string }>(
    'SELECT retracted, valid_from, valid_to, from_type FROM ${schema}.graph_edge_versions ORDER BY valid_from',
  );
  assert.equal(
    versions.map((v) => [v.retracted, v.valid_from.toISOString(), v.valid_to?.toISOString() ?? null, v.from_type]),
    [
      [false, '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z', 'Deployment'],
      [true, '2026-01-03T00:00:00.000Z', null, 'Deployment'],
    ],
  );
});

test('a late event with an earlier effectiveAt lands before the current version in valid time', async ({ bed }) => {
  // The COMPLETE is recorded first; the START arrives later in the log but was effective earlier.
  await bed.command('graph.node.upsert', node('run:1', 'Run', { state: 'COMPLETE' }, '2026-01-01T10:05:00Z'));
  await bed.project();
  await bed.command('graph.node.upsert', node('run:1', 'Run', { state: 'START' }, '2026-01-01T10:06:00Z', { effectiveAt: '2026-01-01T10:00:00Z' }));
  await bed.project();
  const current = await bed.sql<NodeRow>('SELECT * FROM ${schema}.graph_nodes');
  assert.equal(current.map((r) => r.attributes), [{ state: 'COMPLETE' }], 'the latest in valid time stays current');
  const history = await bed.sql<{ attributes: { state: string }; valid_from: Date; valid_to: Date | null; observed_at: Date }>(
    'SELECT attributes, valid_from, valid_to, observed_at FROM ${schema}.graph_node_versions ORDER BY valid_from',
  );
  assert.equal(
    history.map((h) => [h.attributes.state, h.valid_from.toISOString(), h.valid_to?.toISOString() ?? null, h.observed_at.toISOString()]),
    [
      ['START', '2026-01-01T10:00:00.000Z', '2026-01-01T10:05:00.000Z', '2026-01-01T10:06:00.000Z'],
      ['COMPLETE', '2026-01-01T10:05:00.000Z', null, '2026-01-01T10:05:00.000Z'],
    ],
  );
});

test('retire removes a node from current and keeps its history; a later upsert restores it', async ({ bed }) => {
  await bed.command('graph.node.upsert', node('svc:a', 'Service', { v: 1 }, '2026-01-01T00:00:00Z'));
  await bed.command('graph.node.retire', { id: 'svc:a', region: 'us-east', provenance: prov('2026-01-02T00:00:00Z') });
  // Same batch: the retirement takes the node's type from the upsert before it.
  await bed.project();
  assert.equal(await bed.sql('SELECT * FROM ${schema}.graph_nodes'), []);
  const retired = await bed.sql<{ node_type: string; retired: boolean }>('SELECT node_type, retired FROM ${schema}.graph_node_versions ORDER BY valid_from');
  assert.equal(retired, [{ node_type: 'Service', retired: false }, { node_type: 'Service', retired: true }]);
  // Separate batch: the type comes from the stored version.
  await bed.command('graph.node.upsert', node('svc:a', 'Service', { v: 2 }, '2026-01-03T00:00:00Z'));
  await bed.project();
  assert.equal((await bed.sql<NodeRow>('SELECT * FROM ${schema}.graph_nodes')).map((r) => r.attributes), [{ v: 2 }]);
});

test('replaying into a fresh schema gives the same digest; any changed row changes it', async ({ bed }) => {
  await bed.command('graph.node.upsert', node('dep:1', 'Deployment', {}));
  await bed.command('graph.node.upsert', node('svc:a', 'Service', { tier: 1 }));
  await bed.command('graph.edge.assert', edge('DEPLOYS', 'dep:1', 'svc:a'));
  await bed.project();
  const live = await bed.digest(graphProjection);
  await migrate(bed.log.database, readModelMigrations, 'replay_a');
  await bed.project({ schema: 'replay_a', projections: [graphProjection] });
  assert.is(await bed.digest(graphProjection, 'replay_a'), live);
  await bed.sql(`UPDATE replay_a.graph_nodes SET attributes = '{"tier":2}' WHERE node_id = 'svc:a'`);
  assert.is.not(await bed.digest(graphProjection, 'replay_a'), live);
});

test.run();
