// The graph projection's rebuild in bulk (graph-bulk-load.ts, bulk-load.ts): the same rows as the per-batch
// writer over a log with every kind of history (retirements and retractions across batches, late events,
// restored nodes, text that COPY must escape, confidence below 1, two tenants); an interrupted bulk rebuild
// ends correct whether a replay or a live projector resumes it, with its secondary indexes back; a store
// migrated from before the confidence column holds the same rows. On PGlite always, and on PostgreSQL when DATABASE_URL is set (the log stays on PGlite; the read store is the server).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dropSchema, migrate, openPostgres, type PostgresDatabase } from '../../adapters/read-store/postgres/database.js';
import { openReadModelBed, type ReadModelBed } from '../../test/read-model-bed.js';
import type { Migration, ReadStore } from '../../adapters/read-store/read-store.js';
import { readModelDigest, readModelMigrations } from '../index.js';
import type { BulkLoad, Projection } from '../projection.js';
import { projectUntil, startProjector } from '../runtime.js';
import { graphBulkLoad } from './graph-bulk-load.js';
import { graphProjection } from './graph-projection.js';

const perBatch: Projection = { ...graphProjection, bulkLoad: undefined };
const BATCH = 4;

/** A log whose graph history exercises everything the bulk path derives or copies. */
async function writeHistory(bed: ReadModelBed): Promise<void> {
  const beta = await bed.api.token({ subject: 'user:bob', tenant: 'beta', roles: ['editor'], region: 'us-east' });
  const prov = (at: string, extra: Record<string, unknown> = {}) => ({ sourceSystem: 'test', observedAt: at, ...extra });
  const node = (id: string, type: string, attributes: Record<string, unknown>, at = '2026-01-01T00:00:00Z', extra: Record<string, unknown> = {}) =>
    bed.command('graph.node.upsert', { id, type, region: 'us-east', attributes, provenance: prov(at, extra) });
  const edge = (command: string, from: string, to: string, at: string, extra: Record<string, unknown> = {}) =>
    bed.command(command, { type: 'CONSUMES', from, to, region: 'us-east', provenance: prov(at, extra) });
  for (let i = 0; i < 6; i++) await node(`svc:${i}`, 'Service', { i });
  for (let i = 0; i < 3; i++) await node(`ds:${i}`, 'Dataset', {});
  // Text COPY must escape (tab, newline, backslash, quotes) and characters beyond ASCII, in data and provenance.
  await node('svc:text', 'Service', { note: 'a\tb\nc\\d "q" é 😀', path: 'C:\\tmp\\x' }, '2026-01-01T00:00:00Z', { reason: 'back\\slash "quoted" é' });
  // Confidence below 1 on some edges and a node (the rest default to 1); effective earlier than observed on one.
  for (let i = 0; i < 6; i++) {
    await edge('graph.edge.assert', `svc:${i}`, `ds:${i % 3}`, '2026-01-02T00:00:00Z', i % 2 ? { confidence: 0.35, effectiveAt: '2026-01-01T12:00:00Z' } : {});
  }
  await node('svc:guess', 'Service', {}, '2026-01-02T00:00:00Z', { confidence: 0.1 });
  // Retired batches after its upsert (type from the stored history), then restored.
  await bed.command('graph.node.retire', { id: 'svc:3', region: 'us-east', provenance: prov('2026-01-03T00:00:00Z') });
  await node('svc:3', 'Service', { i: 3, back: true }, '2026-01-04T00:00:00Z');
  // Upserted and retired in the same batch.
  await node('svc:gone', 'Service', {}, '2026-01-03T00:00:00Z');
  await bed.command('graph.node.retire', { id: 'svc:gone', region: 'us-east', provenance: prov('2026-01-03T01:00:00Z') });
  // A late event with an earlier effectiveAt slots in before the current version.
  await node('run:1', 'Run', { state: 'COMPLETE' }, '2026-01-01T10:05:00Z');
  await node('run:1', 'Run', { state: 'START' }, '2026-01-01T10:06:00Z', { effectiveAt: '2026-01-01T10:00:00Z' });
  // Retracted across batches and asserted again; retracted for good.
  await edge('graph.edge.retract', 'svc:1', 'ds:1', '2026-01-05T00:00:00Z');
  await edge('graph.edge.assert', 'svc:1', 'ds:1', '2026-01-06T00:00:00Z', { confidence: 0.8 });
  await edge('graph.edge.retract', 'svc:2', 'ds:2', '2026-01-05T00:00:00Z');
  // Another tenant with the same ids.
  for (const id of ['svc:0', 'ds:0']) {
    const r = await bed.api.call('POST', '/v1/commands/graph.node.upsert', {
      token: beta,
      body: { id, type: id.startsWith('svc') ? 'Service' : 'Dataset', region: 'us-east', attributes: { tenant: 'beta' }, provenance: prov('2026-01-01T00:00:00Z') },
    });
    assert.is(r.status, 201);
  }
}

/** graphBulkLoad, counting its batches, and failing the `failAt`-th one after writing it. */
function instrumented(failAt?: number): { projection: Projection; batches: () => number } {
  let batches = 0;
  const bulkLoad: BulkLoad = {
    async apply(session, schema, events) {
      const closing = await graphBulkLoad.apply(session, schema, events);
      if (++batches === failAt) throw new Error('injected failure after writing the batch');
      return closing;
    },
    finish: (session, schema) => graphBulkLoad.finish(session, schema),
  };
  return { projection: { ...graphProjection, bulkLoad }, batches: () => batches };
}

/** The message `work` fails with (it must fail). */
async function failure(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('expected a failure');
}

/** Secondary index definitions of the graph tables in `schema`, with the schema name taken out. */
async function indexes(store: ReadStore, schema: string): Promise<string[]> {
  const rows = await store.withSession((s) =>
    s.query<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE schemaname = $1 AND tablename LIKE 'graph%' ORDER BY indexname`, [schema]),
  );
  return rows.map((r) => r.def.replaceAll(`${schema}.`, ''));
}

const bulkLoadsOf = (store: ReadStore, schema: string) =>
  store.withSession((s) => s.query<{ name: string }>(`SELECT name FROM "${schema}".projection_bulk_loads`));

/** The suite against one read store; `fresh` gives an empty, migrated schema of it. */
/** A read store under test; `fresh` gives an empty schema of it, migrated (by default with every read-model migration). */
interface StoreUnderTest {
  store: ReadStore;
  fresh(label: string, migrations?: readonly Migration[]): Promise<string>;
  /** Runs the migrations `schema` lacks. */
  migrate(schema: string): Promise<void>;
  close(): Promise<void>;
}

function bulkSuite(name: string, storeOf: (bed: ReadModelBed) => Promise<StoreUnderTest>) {
  const test = suite<{ bed: ReadModelBed } & StoreUnderTest>(name);
  test.before.each(async (ctx) => {
    ctx.bed = await openReadModelBed();
    await writeHistory(ctx.bed);
    Object.assign(ctx, await storeOf(ctx.bed));
  });
  test.after.each(async (ctx) => {
    await ctx.close();
    await ctx.bed.close();
  });

  /** The per-batch writer's digest and indexes over the whole log, in batches of BATCH. */
  const reference = async (ctx: { bed: ReadModelBed; store: ReadStore; fresh(label: string): Promise<string> }) => {
    const schema = await ctx.fresh('ref');
    await projectUntil({ log: ctx.bed.log, store: ctx.store }, perBatch, { schema, maxBatch: BATCH });
    return { digest: await readModelDigest(ctx.store, schema, graphProjection), indexes: await indexes(ctx.store, schema) };
  };

  test('a rebuild in bulk leaves the rows and indexes of the per-batch writer', async (ctx) => {
    const ref = await reference(ctx);
    const schema = await ctx.fresh('bulk');
    const { projection, batches } = instrumented();
    const reached = await projectUntil({ log: ctx.bed.log, store: ctx.store }, projection, { schema, maxBatch: BATCH });
    assert.ok(batches() > 3, `bulk batches: ${batches()}`);
    assert.is(reached, await ctx.bed.log.headPosition());
    const bulk = await readModelDigest(ctx.store, schema, graphProjection);
    assert.is(bulk.digest, ref.digest.digest);
    assert.is(bulk.rows, ref.digest.rows);
    assert.equal(await indexes(ctx.store, schema), ref.indexes);
    assert.ok(ref.indexes.length >= 10, 'primary keys and secondary indexes');
    assert.equal(await bulkLoadsOf(ctx.store, schema), [], 'finished');
  });

  test('a rebuild interrupted mid-way is resumed by the next replay: same rows, indexes back', async (ctx) => {
    const ref = await reference(ctx);
    const schema = await ctx.fresh('cut');
    const failing = instrumented(3);
    assert.match(await failure(projectUntil({ log: ctx.bed.log, store: ctx.store }, failing.projection, { schema, maxBatch: BATCH })), /injected failure/);
    assert.equal(await bulkLoadsOf(ctx.store, schema), [{ name: 'graph' }], 'under way');
    assert.ok((await indexes(ctx.store, schema)).length < ref.indexes.length, 'secondary indexes deferred');
    const cut = await readModelDigest(ctx.store, schema, graphProjection);
    const events = await ctx.bed.log.readAll();
    assert.is(cut.checkpoint, events[2 * BATCH - 1]!.position, 'the failed batch rolled back with its checkpoint');

    const resumed = instrumented();
    await projectUntil({ log: ctx.bed.log, store: ctx.store }, resumed.projection, { schema, maxBatch: BATCH });
    assert.ok(resumed.batches() > 0, 'the rest went on in bulk');
    assert.is((await readModelDigest(ctx.store, schema, graphProjection)).digest, ref.digest.digest);
    assert.equal(await indexes(ctx.store, schema), ref.indexes);
    assert.equal(await bulkLoadsOf(ctx.store, schema), []);
  });

  test('a live projector finishes an interrupted rebuild before following the log', async (ctx) => {
    const ref = await reference(ctx);
    const schema = await ctx.fresh('live');
    assert.match(await failure(projectUntil({ log: ctx.bed.log, store: ctx.store }, instrumented(2).projection, { schema, maxBatch: BATCH })), /injected failure/);
    const projector = startProjector({ log: ctx.bed.log, store: ctx.store }, graphProjection, { schema, maxBatch: BATCH, onError: () => {} });
    try {
      assert.ok(await projector.waitFor((await ctx.bed.log.headPosition())!));
    } finally {
      await projector.close();
    }
    assert.is((await readModelDigest(ctx.store, schema, graphProjection)).digest, ref.digest.digest);
    assert.equal(await indexes(ctx.store, schema), ref.indexes);
    assert.equal(await bulkLoadsOf(ctx.store, schema), []);
  });

  test('confidence: every row holds its event\'s; a store migrated from before graph_0003 backfills the same rows', async (ctx) => {
    const live = await ctx.fresh('confidence');
    await projectUntil({ log: ctx.bed.log, store: ctx.store }, perBatch, { schema: live, maxBatch: BATCH });
    const query = <R>(text: string) => ctx.store.withSession((s) => s.query<R>(text));
    const edges = await query<{ edge_id: string; confidence: number; valid_from: Date }>(
      `SELECT edge_id, confidence, valid_from FROM "${live}".graph_edges WHERE tenant = 'acme' ORDER BY edge_id`,
    );
    assert.equal(edges.map((e) => [e.edge_id, e.confidence, e.valid_from.toISOString()]), [
      ['svc:0|CONSUMES|ds:0', 1, '2026-01-02T00:00:00.000Z'],
      ['svc:1|CONSUMES|ds:1', 0.8, '2026-01-06T00:00:00.000Z'],
      ['svc:3|CONSUMES|ds:0', 0.35, '2026-01-01T12:00:00.000Z'],
      ['svc:4|CONSUMES|ds:1', 1, '2026-01-02T00:00:00.000Z'],
      ['svc:5|CONSUMES|ds:2', 0.35, '2026-01-01T12:00:00.000Z'],
    ]);
    const versions = await query<{ confidence: number; retracted: boolean }>(
      `SELECT confidence, retracted FROM "${live}".graph_edge_versions WHERE tenant = 'acme' AND edge_id = 'svc:1|CONSUMES|ds:1' ORDER BY valid_from`,
    );
    assert.equal(versions, [{ confidence: 0.35, retracted: false }, { confidence: 1, retracted: true }, { confidence: 0.8, retracted: false }]);
    assert.equal(await query(`SELECT confidence FROM "${live}".graph_nodes WHERE tenant = 'acme' AND node_id = 'svc:guess'`), [{ confidence: 0.1 }]);

    // The same rows written before graph_0003 existed (without the column), then migrated: the backfill equals the projection.
    const before = await ctx.fresh('before_confidence', readModelMigrations.filter((m) => m.id !== 'graph_0003_confidence'));
    for (const table of graphProjection.tables) {
      const columns = (await query<{ name: string }>(
        `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = '${before}' AND table_name = '${table.name}' ORDER BY ordinal_position`,
      )).map((c) => c.name).join(', ');
      await query(`INSERT INTO "${before}".${table.name} (${columns}) SELECT ${columns} FROM "${live}".${table.name}`);
    }
    await ctx.migrate(before);
    assert.is((await readModelDigest(ctx.store, before, graphProjection)).digest, (await readModelDigest(ctx.store, live, graphProjection)).digest);
  });

  test('a short catch-up (one batch) or one from a checkpoint stays on the per-batch writer', async (ctx) => {
    const schema = await ctx.fresh('short');
    const { projection, batches } = instrumented();
    const events = await ctx.bed.log.readAll();
    await projectUntil({ log: ctx.bed.log, store: ctx.store }, projection, { schema, maxBatch: 1000, until: events[BATCH]!.position });
    await projectUntil({ log: ctx.bed.log, store: ctx.store }, projection, { schema, maxBatch: BATCH });
    assert.is(batches(), 0);
    assert.is((await readModelDigest(ctx.store, schema, graphProjection)).digest, (await reference(ctx)).digest.digest);
  });

  return test;
}

let next = 0;
const pglite = bulkSuite('graph bulk load (PGlite)', async (bed) => {
  const store = bed.log.database;
  return {
    store,
    async fresh(label, migrations = readModelMigrations) {
      const schema = `bulk_${label}_${next++}`;
      await migrate(store, migrations, schema);
      return schema;
    },
    migrate: async (schema) => void (await migrate(store, readModelMigrations, schema)),
    close: async () => {},
  };
});
pglite.run();

const url = process.env['DATABASE_URL'];
if (url !== undefined) {
  const server = bulkSuite('graph bulk load (PostgreSQL)', async () => {
    const store: PostgresDatabase = await openPostgres({ url });
    const made: string[] = [];
    return {
      store,
      async fresh(label, migrations = readModelMigrations) {
        const schema = `bulk_test_${label}_${process.pid}_${next++}`;
        await dropSchema(store, schema);
        await migrate(store, migrations, schema);
        made.push(schema);
        return schema;
      },
      migrate: async (schema) => void (await migrate(store, readModelMigrations, schema)),
      async close() {
        for (const schema of made) await dropSchema(store, schema);
        await store.close();
      },
    };
  });
  server.run();
} else {
  console.log('skipped: graph bulk load on PostgreSQL (DATABASE_URL not set)');
}
