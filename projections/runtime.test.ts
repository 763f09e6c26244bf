// The projector runtime: catch-up then live, a failure mid-batch leaves nothing half-applied, one active
// instance per projection with takeover, rebuild on a version change, a fenced stale writer, and an event
// the projection cannot apply skipped as a fault (the rest applies; a replay skips the same; ack and rebuild).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { advanceCheckpointStatement } from '../adapters/read-store/checkpoints.js';
import { migrate } from '../adapters/read-store/postgres/database.js';
import type { ReadStore } from '../adapters/read-store/read-store.js';
import { openReadModelBed, type ReadModelBed } from '../test/read-model-bed.js';
import { appendImpossibleDate } from '../test/unappliable-event.js';
import { acknowledgeFaults, listFaults } from './faults.js';
import { graphProjection } from './graph/graph-projection.js';
import { readModelMigrations } from './index.js';
import type { Projection } from './projection.js';
import { applyBatch, FencedError, projectUntil, resetProjection, startProjector, toProjectedEvents, type Projector } from './runtime.js';

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

test('a first catch-up counts for readiness though nobody asked for the status then; a later stall does not undo it', async ({ bed }) => {
  for (let i = 0; i < 3; i++) await upsertNode(bed, `svc:${i}`);
  // Applies what is there, then fails on every later event: its store "went away" right after catching up.
  let stall = false;
  let refused = 0;
  const stalling: Projection = {
    ...graphProjection,
    async apply(session, schema, events) {
      if (stall) {
        refused++;
        throw new Error('store unreachable');
      }
      return graphProjection.apply(session, schema, events);
    },
  };
  const projector = startProjector({ log: bed.log, store: bed.log.database }, stalling, quiet);
  try {
    const head = (await bed.log.headPosition())!;
    assert.ok(await projector.waitFor(head));
    stall = true;
    await upsertNode(bed, 'svc:after');
    // Not through status(), which would note the catch-up itself: five refusals (10 ms apart) outlast two head
    // polls (20 ms), so the projector knows the head moved past its checkpoint.
    await until(() => refused >= 5, 'the stalled apply failing');
    const status = projector.status();
    assert.is(status.state, 'catching-up');
    assert.ok(status.caughtUpOnce, 'caught up once, before the stall');
  } finally {
    await projector.close();
  }
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
      await session.pipeline(await graphProjection.apply(session, schema, events));
      calls++;
      if (calls === 2 || calls === 3) throw new Error('killed mid-batch');
      return [];
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

test('a batch interval: the first event after a quiet spell applies at once, later ones are gathered into one batch; close does not wait it out', async ({ bed }) => {
  const batches: number[] = [];
  const gathering: Projection = { ...graphProjection, name: 'gathering', batchIntervalMs: 60_000, apply: async (session, schema, events) => {
    batches.push(events.length);
    return graphProjection.apply(session, schema, events);
  } };
  const projector = startProjector({ log: bed.log, store: bed.log.database }, gathering, quiet);
  try {
    await until(() => projector.status().state === 'live', 'live state');
    // Not a minute: the interval counts from the previous batch, and there was none.
    assert.ok(await projector.waitFor(lastPosition(await upsertNode(bed, 'svc:first'))), 'the first event applied within waitFor\'s 10 s');
    let last = 0n;
    for (let i = 0; i < 4; i++) last = lastPosition(await upsertNode(bed, `svc:${i}`));
    assert.not.ok(await projector.waitFor(last, 300), 'the next four wait for the interval');
    assert.equal(batches, [1]);
  } finally {
    const closed = projector.close();
    const outcome = await Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open after 5 s'), 5000))]);
    assert.is(outcome, 'closed');
  }
  // The gathered events were not applied, so their checkpoint did not move: the next projector (a new process) applies them.
  const next = startProjector({ log: bed.log, store: bed.log.database }, { ...gathering, batchIntervalMs: 0 }, quiet);
  try {
    assert.ok(await next.waitFor((await bed.log.headPosition())!));
    assert.equal(batches, [1, 4]);
    assert.is((await bed.sql('SELECT 1 FROM ${schema}.graph_nodes')).length, 5);
  } finally {
    await next.close();
  }
});

test('a batch interval gives way to maxBatch: a full batch applies without waiting', async ({ bed }) => {
  const batches: number[] = [];
  const gathering: Projection = { ...graphProjection, name: 'gathering', batchIntervalMs: 60_000, apply: async (session, schema, events) => {
    batches.push(events.length);
    return graphProjection.apply(session, schema, events);
  } };
  const projector = startProjector({ log: bed.log, store: bed.log.database }, gathering, { ...quiet, maxBatch: 3 });
  try {
    await until(() => projector.status().state === 'live', 'live state');
    assert.ok(await projector.waitFor(lastPosition(await upsertNode(bed, 'svc:first'))));
    let last = 0n;
    for (let i = 0; i < 6; i++) last = lastPosition(await upsertNode(bed, `svc:${i}`));
    assert.ok(await projector.waitFor(last), 'two full batches of 3 applied within waitFor\'s 10 s, not a minute');
    assert.is(batches.reduce((a, b) => a + b, 0), 7);
    assert.equal(batches, [1, 3, 3]);
  } finally {
    await projector.close();
  }
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

test('live, a move past events it does not read is stored at most once a second, and once the log is quiet', async ({ bed }) => {
  await upsertNode(bed, 'svc:0');
  // Reads nothing of this log: every live batch is a pass-over. Its checkpoint writes are counted at the session.
  const blind: Projection = { ...graphProjection, name: 'blind', eventTypes: ['nothing.'] };
  const store = bed.log.database;
  let writes = 0;
  const checkpointMove = advanceCheckpointStatement(store.schema, 'blind', undefined, 0n);
  const counting: ReadStore = {
    schema: store.schema,
    tryLock: (name) => store.tryLock(name),
    withSession: (fn) =>
      store.withSession((s) =>
        fn({
          ...s,
          pipeline: (statements) => {
            if (statements.some((st) => st.text === checkpointMove.text && st.params?.[0] === 'blind')) writes++;
            return s.pipeline(statements);
          },
        }),
      ),
  };
  const projector = startProjector({ log: bed.log, store: counting }, blind, quiet);
  const stored = async () => (await bed.sql<{ position: bigint | null }>(`SELECT position FROM \${schema}.projection_checkpoints WHERE name = 'blind'`))[0]?.position;
  try {
    assert.ok(await projector.waitFor((await bed.log.headPosition())!));
    const [batches0, writes0] = [projector.status().batches, writes];
    let last = 0n;
    for (let i = 1; i <= 20; i++) {
      last = lastPosition(await upsertNode(bed, `svc:${i}`));
      assert.ok(await projector.waitFor(last), 'passed over in memory at once');
    }
    const batches = projector.status().batches - batches0;
    assert.ok(batches >= 10, `one batch per command, nearly (${batches})`);
    assert.ok(writes - writes0 < batches / 2, `${writes - writes0} checkpoint writes for ${batches} batches passed over`);
    // Stored within a second or so once the log is quiet.
    await until(async () => (await stored()) === last, 'the pass-over stored once the log was quiet', 5_000);
    assert.ok(writes > writes0, 'the counter sees the checkpoint writes');
  } finally {
    await projector.close();
  }
});

test('a writer whose checkpoint is stale is fenced and writes nothing', async ({ bed }) => {
  await upsertNode(bed, 'svc:a');
  await upsertNode(bed, 'svc:bad');
  await bed.project({ projections: [graphProjection] });
  const events = toProjectedEvents(await bed.log.readAll());
  await bed.sql('DELETE FROM ${schema}.graph_nodes');
  const store = bed.log.database;
  const fenced = (projection: Projection) => applyBatch(store, store.schema, projection, events, undefined).then(() => undefined, (e: unknown) => e);
  assert.instance(await fenced(graphProjection), FencedError, 'writes sent with the COMMIT');
  // The fence comes before the writes: a stale writer whose events the store would refuse is fenced, not given faults.
  assert.instance(await fenced(refusing()), FencedError, 'writes sent before the COMMIT');
  assert.equal(await bed.sql('SELECT * FROM ${schema}.graph_nodes'), []);
  assert.equal(await store.withSession((s) => listFaults(s, store.schema)), []);
});

test('an event the projection cannot apply is skipped as a fault; the rest of its batch applies; a replay skips the same', async ({ bed }) => {
  for (let i = 0; i < 5; i++) await upsertNode(bed, `svc:${i}`, { i });
  const bad = await appendImpossibleDate(bed.log, 'beta', 'svc:bad');
  for (let i = 5; i < 10; i++) await upsertNode(bed, `svc:${i}`, { i });
  const store = bed.log.database;
  const projector = startProjector({ log: bed.log, store }, graphProjection, { ...quiet, maxBatch: 1000 });
  try {
    assert.ok(await projector.waitFor((await bed.log.headPosition())!), 'the projector moved past the event');
    assert.is(projector.status().failures, 0, 'a deterministic failure is not retried');
    assert.equal(
      projector.status().faults.map((f) => [f.projection, f.position, f.eventId, f.tenant]),
      [['graph', bad.position, bad.id, 'beta']],
    );
  } finally {
    await projector.close();
  }
  const nodes = await bed.sql<{ node_id: string }>('SELECT node_id FROM ${schema}.graph_nodes ORDER BY node_id');
  assert.equal(nodes.map((n) => n.node_id), Array.from({ length: 10 }, (_, i) => `svc:${i}`), 'every other event of the batch applied');
  const [fault] = await store.withSession((s) => listFaults(s, store.schema));
  assert.is(fault?.eventType, 'graph.node.upserted');
  // On the impossible date: the read store's refusal, or (once the envelope's grammar refuses it) the decoder's.
  assert.match(fault!.error, /out of range|observedAt|effectiveAt/);

  // A replay into a fresh schema (from zero in batches of 3: through the bulk load) skips the same event.
  const live = await bed.digest(graphProjection);
  await migrate(store, readModelMigrations, 'replay_faults');
  await projectUntil({ log: bed.log, store }, graphProjection, { schema: 'replay_faults', maxBatch: 3 });
  assert.is(await bed.digest(graphProjection, 'replay_faults'), live);
  const replayed = await store.withSession((s) => listFaults(s, 'replay_faults'));
  assert.equal(replayed.map((f) => [f.position, f.eventId]), [[bad.position, bad.id]]);
  // Event by event (no bulk load, batches of 1): the same rows again.
  await migrate(store, readModelMigrations, 'replay_single');
  await projectUntil({ log: bed.log, store }, { ...graphProjection, bulkLoad: undefined }, { schema: 'replay_single', maxBatch: 1 });
  assert.is(await bed.digest(graphProjection, 'replay_single'), live);
});

test('an acknowledged fault no longer counts; a rebuild forgets faults and records again those that still fail', async ({ bed }) => {
  await upsertNode(bed, 'svc:a');
  const bad = await appendImpossibleDate(bed.log, 'acme', 'svc:bad');
  const store = bed.log.database;
  const projector = startProjector({ log: bed.log, store }, graphProjection, quiet);
  try {
    assert.ok(await projector.waitFor(bad.position));
    await until(() => projector.status().faults.length === 1, 'the fault in the status');
    assert.is(await store.withSession((s) => acknowledgeFaults(s, store.schema, 'graph', bad.position)), 1);
    // The projector rereads the table with each head poll.
    await until(() => projector.status().faults.length === 0, 'the acknowledgement to show');
  } finally {
    await projector.close();
  }
  const all = await store.withSession((s) => listFaults(s, store.schema, { all: true }));
  assert.equal(all.map((f) => [f.position, f.acknowledgedAt instanceof Date]), [[bad.position, true]], 'kept, as acknowledged');
  assert.is(await store.withSession((s) => acknowledgeFaults(s, store.schema, 'graph')), 0, 'nothing left to acknowledge');

  await resetProjection(store, store.schema, graphProjection);
  assert.equal(await store.withSession((s) => listFaults(s, store.schema, { all: true })), [], 'emptied with the read model');
  await bed.project({ projections: [graphProjection] });
  const again = await store.withSession((s) => listFaults(s, store.schema));
  assert.equal(again.map((f) => [f.position, f.acknowledgedAt]), [[bad.position, undefined]], 'recorded again, unacknowledged');
});

/** The graph projection, except that the store refuses nodes `svc:bad…` (SQLSTATE 22008) after their rows are written. */
const refusing = (before?: (events: readonly unknown[]) => void): Projection => ({
  ...graphProjection,
  bulkLoad: undefined,
  async apply(session, schema, events) {
    before?.(events);
    await session.pipeline(await graphProjection.apply(session, schema, events));
    if (events.some((e) => String((e.event.data as { id?: unknown }).id).startsWith('svc:bad'))) await session.query(`SELECT '2026-02-30T00:00:00Z'::timestamptz`);
    return [];
  },
});

test('a store refusing events (SQLSTATE class 22): only those are skipped, their own writes rolled back', async ({ bed }) => {
  const bad = [];
  for (let i = 0; i < 12; i++) {
    if (i === 0 || i === 7) bad.push(await upsertNode(bed, `svc:bad${i}`));
    await upsertNode(bed, `svc:${i}`);
  }
  bad.push(await upsertNode(bed, 'svc:bad12'));
  const projector = startProjector({ log: bed.log, store: bed.log.database }, refusing(), { ...quiet, maxBatch: 1000 });
  try {
    assert.ok(await projector.waitFor((await bed.log.headPosition())!));
    assert.equal(
      projector.status().faults.map((f) => [f.position, f.eventId, f.tenant]),
      bad.map((r) => [lastPosition(r), r.body.events[0].id, 'acme']),
    );
    assert.is(projector.status().failures, 0);
  } finally {
    await projector.close();
  }
  const nodes = await bed.sql<{ node_id: string }>('SELECT node_id FROM ${schema}.graph_nodes ORDER BY node_id');
  assert.equal(nodes.map((r) => r.node_id), Array.from({ length: 12 }, (_, i) => `svc:${i}`).sort());
  assert.equal(await bed.sql(`SELECT 1 FROM \${schema}.graph_node_versions WHERE node_id LIKE 'svc:bad%'`), [], 'rolled back to their savepoints');
  const [fault] = await bed.log.database.withSession((s) => listFaults(s, bed.log.database.schema));
  assert.match(fault!.error, /date\/time field value out of range/);
});

test('a transient failure while isolating the event is retried, not recorded as a fault', async ({ bed }) => {
  await upsertNode(bed, 'svc:a');
  const bad = await upsertNode(bed, 'svc:bad');
  await upsertNode(bed, 'svc:b');
  let singles = 0;
  // The first event-by-event attempt loses its connection on its first event.
  const flaky = refusing((events) => {
    if (events.length === 1 && ++singles === 1) throw Object.assign(new Error('connection terminated'), { code: '08006' });
  });
  const projector = startProjector({ log: bed.log, store: bed.log.database }, flaky, { ...quiet, maxBatch: 1000 });
  try {
    assert.ok(await projector.waitFor((await bed.log.headPosition())!));
    assert.is(projector.status().failures, 1, 'retried once');
    assert.equal(projector.status().faults.map((f) => f.position), [lastPosition(bad)]);
  } finally {
    await projector.close();
  }
  assert.is((await bed.sql('SELECT 1 FROM ${schema}.graph_nodes')).length, 2);
});

test.run();
