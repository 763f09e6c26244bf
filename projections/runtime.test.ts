// The projector runtime: catch-up then live, a failure mid-batch leaves nothing half-applied, one active
// instance per projection with takeover, rebuild on a version change, and a fenced stale writer.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openReadModelBed, type ReadModelBed } from '../test/read-model-bed.js';
import { graphProjection } from './graph/graph-projection.js';
import type { Projection } from './projection.js';
import { applyBatch, FencedError, startProjector, toProjectedEvents, type Projector } from './runtime.js';

const test = suite<{ bed: ReadModelBed }>('projector runtime', {} as { bed: ReadModelBed });
test.before.each(async (ctx) => {
  ctx.bed = await openReadModelBed();
});
test.after.each(async (ctx) => {
  await ctx.bed.close();
});

const prov = { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' };
const upsertNode = (bed: ReadModelBed, id: string, attributes: Record<string, unknown> = {}) =>
  bed.command('graph.node.upsert', { id, type: 'Service', region: 'us-east', attributes, provenance: prov });
const lastPosition = (r: { body: { position: string } }) => BigInt(r.body.position);
const quiet = { onError: () => {}, retryDelayMs: 10, lockRetryMs: 20, headPollMs: 20 };

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('catches up, then applies live events; waitFor resolves at their position; lag 0 when caught up', async ({ bed }) => {
  for (let i = 0; i < 30; i++) await upsertNode(bed, `svc:${i}`);
  const projector = startProjector({ log: bed.log, store: bed.log.database }, graphProjection, { ...quiet, maxBatch: 7 });
  try {
    const head = (await bed.log.headPosition())!;
    assert.ok(await projector.waitFor(head));
    assert.is((await bed.sql('SELECT 1 FROM ${schema}.graph_nodes')).length, 30);
    assert.ok(projector.status().batches >= 5, 'batches of at most 7');
    const live = await upsertNode(bed, 'svc:live');
    assert.ok(await projector.waitFor(lastPosition(live)));
    assert.is((await bed.sql(`SELECT 1 FROM \${schema}.graph_nodes WHERE node_id = 'svc:live'`)).length, 1);
    await until(() => projector.status().state === 'live', 'live state');
    assert.is(projector.status().lagSeconds, 0);
    assert.is(projector.status().checkpoint, lastPosition(live));
  } finally {
    await projector.close();
  }
  assert.is(projector.status().state, 'stopped');
});

test('a failure mid-batch rolls the batch back; the retried run ends with the same digest as an uninterrupted one', async ({ bed }) => {
  for (let i = 0; i < 12; i++) await upsertNode(bed, `svc:${i}`, { i });
  await bed.command('graph.node.upsert', { id: 'ds:1', type: 'Dataset', region: 'us-east', attributes: {}, provenance: prov });
  await bed.command('graph.edge.assert', { type: 'CONSUMES', from: 'svc:1', to: 'ds:1', region: 'us-east', provenance: prov });
  let calls = 0;
  // Writes the batch, then dies before commit on the 2nd and 3rd batch.
  const flaky: Projection = {
    ...graphProjection,
    async apply(session, schema, events) {
      await graphProjection.apply(session, schema, events);
      calls++;
      if (calls === 2 || calls === 3) throw new Error('killed mid-batch');
    },
  };
  const projector = startProjector({ log: bed.log, store: bed.log.database }, flaky, { ...quiet, maxBatch: 4 });
  try {
    assert.ok(await projector.waitFor((await bed.log.headPosition())!));
    assert.is(projector.status().failures, 2);
  } finally {
    await projector.close();
  }
  const interrupted = await bed.digest(graphProjection);
  await bed.sql('TRUNCATE ${schema}.graph_nodes, ${schema}.graph_node_versions, ${schema}.graph_edges, ${schema}.graph_edge_versions');
  await bed.sql(`UPDATE \${schema}.projection_checkpoints SET position = NULL WHERE name = 'graph'`);
  await bed.project({ projections: [graphProjection] });
  assert.is(await bed.digest(graphProjection), interrupted);
});

test('one active instance: a second waits on standby and takes over when the first stops', async ({ bed }) => {
  await upsertNode(bed, 'svc:a');
  const deps = { log: bed.log, store: bed.log.database };
  const first = startProjector(deps, graphProjection, quiet);
  let second: Projector | undefined;
  try {
    assert.ok(await first.waitFor((await bed.log.headPosition())!));
    second = startProjector(deps, graphProjection, quiet);
    await new Promise((r) => setTimeout(r, 100));
    assert.is(second.status().state, 'standby');
    assert.is(second.status().activations, 0);
    await first.close();
    const b = await upsertNode(bed, 'svc:b');
    assert.ok(await second.waitFor(lastPosition(b)), 'the standby took over');
    assert.is(second.status().activations, 1);
    assert.is((await bed.sql('SELECT 1 FROM ${schema}.graph_nodes')).length, 2);
  } finally {
    await first.close();
    await second?.close();
  }
});

test('close() while the lock is being taken still stops: no live subscription outlives the projector', async ({ bed }) => {
  await upsertNode(bed, 'svc:a');
  const store = bed.log.database;
  let granted: () => void = () => {};
  const grant = new Promise<void>((r) => (granted = r));
  // The lock arrives only after close() has been called: the window a SIGTERM can fall into.
  const slowLock = Object.assign(Object.create(store) as typeof store, {
    tryLock: async (name: string) => {
      await grant;
      return store.tryLock(name);
    },
  });
  const projector = startProjector({ log: bed.log, store: slowLock }, graphProjection, quiet);
  const closed = projector.close();
  granted();
  const outcome = await Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open after 5 s'), 5000))]);
  assert.is(outcome, 'closed');
  assert.is(projector.status().state, 'stopped');
});

test('a new projection version rebuilds the read model from zero', async ({ bed }) => {
  await upsertNode(bed, 'svc:a');
  await bed.project({ projections: [graphProjection] });
  await bed.sql(`UPDATE \${schema}.graph_nodes SET attributes = '{"tampered":true}'`);
  const v2: Projection = { ...graphProjection, version: graphProjection.version + 1 };
  const projector = startProjector({ log: bed.log, store: bed.log.database }, v2, quiet);
  try {
    assert.ok(await projector.waitFor((await bed.log.headPosition())!));
    assert.equal((await bed.sql<{ attributes: unknown }>('SELECT attributes FROM ${schema}.graph_nodes')).map((r) => r.attributes), [{}]);
    assert.equal(await bed.sql(`SELECT version FROM \${schema}.projection_checkpoints WHERE name = 'graph'`), [{ version: v2.version }]);
  } finally {
    await projector.close();
  }
});

test('a writer whose checkpoint is stale is fenced and writes nothing', async ({ bed }) => {
  await upsertNode(bed, 'svc:a');
  await bed.project({ projections: [graphProjection] });
  const events = toProjectedEvents(await bed.log.readAll());
  await bed.sql('DELETE FROM ${schema}.graph_nodes');
  try {
    await applyBatch(bed.log.database, bed.log.database.schema, graphProjection, events, undefined);
    assert.unreachable('a stale writer must be fenced');
  } catch (error) {
    assert.instance(error, FencedError);
  }
  assert.equal(await bed.sql('SELECT * FROM ${schema}.graph_nodes'), []);
});

test.run();
