// The proof with a real death: a graph projector process is SIGKILLed in the middle of a batch (its
// rows written, the transaction with its checkpoint not yet committed); a restarted projector ends with the
// same read-model digest as an uninterrupted replay of the same log. The same for a replay killed in the
// middle of a rebuild in bulk (its secondary indexes dropped): the next replay resumes it and ends correct.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exited, printed } from '../../test/child-process.js';
import { migrate } from '../../adapters/read-store/postgres/database.js';
import type { ReadStore } from '../../adapters/read-store/read-store.js';
import { openTestApi } from '../../test/api-harness.js';
import { openDirLog } from '../../test/logs.js';
import { graphProjection, projectUntil, readModelDigest, readModelMigrations, startProjector } from '../index.js';

const root = resolve(import.meta.dirname, '../..');
const module = (path: string) => JSON.stringify(pathToFileURL(join(root, path)).href);
const KILL_IN_BATCH = 3;

/** Projects in batches of 10 and hangs inside batch KILL_IN_BATCH after writing its rows, until SIGKILL. */
const dyingProjector = (pglite: string) => `
  const { openDirLog } = await import(${module('test/logs.ts')});
  const { graphProjection, startProjector } = await import(${module('projections/index.ts')});
  const { log } = await openDirLog(${JSON.stringify(pglite)});
  let batches = 0;
  const dying = {
    ...graphProjection,
    async apply(session, schema, events) {
      await session.pipeline(await graphProjection.apply(session, schema, events));
      if (++batches < ${KILL_IN_BATCH}) return [];
      console.log('WRITTEN ' + events.length);
      await new Promise(() => {});
    },
  };
  startProjector({ log, store: log.database }, dying, { maxBatch: 10, onError: (e) => console.error(e) });
`;

/** Replays into schema `rebuild` in bulk, batches of 10, and hangs inside bulk batch KILL_IN_BATCH after writing it. */
const dyingReplay = (pglite: string) => `
  const { openDirLog } = await import(${module('test/logs.ts')});
  const { graphProjection, projectUntil } = await import(${module('projections/index.ts')});
  const { log } = await openDirLog(${JSON.stringify(pglite)});
  let batches = 0;
  const bulkLoad = {
    async apply(session, schema, events) {
      await session.pipeline(await graphProjection.bulkLoad.apply(session, schema, events));
      if (++batches < ${KILL_IN_BATCH}) return [];
      console.log('WRITTEN ' + events.length);
      await new Promise(() => {});
    },
    finish: (session, schema) => graphProjection.bulkLoad.finish(session, schema),
  };
  await projectUntil({ log, store: log.database }, { ...graphProjection, bulkLoad }, { schema: 'rebuild', maxBatch: 10 });
`;

/** A log of 50 nodes and 30 edges in a PGlite directory, written through the real write side. */
async function writeLog(pglite: string): Promise<void> {
  const { log, close } = await openDirLog(pglite);
  await migrate(log.database, readModelMigrations);
  await migrate(log.database, readModelMigrations, 'rebuild');
  const api = await openTestApi(log);
  const token = await api.token({ tenant: 'acme', roles: ['editor'], region: 'us-east' });
  const provenance = { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' };
  const post = async (type: string, body: unknown) => assert.is((await api.call('POST', `/v1/commands/${type}`, { token, body })).status, 201);
  for (let i = 0; i < 30; i++) await post('graph.node.upsert', { id: `svc:${i}`, type: 'Service', region: 'us-east', attributes: { i }, provenance });
  for (let i = 0; i < 20; i++) await post('graph.node.upsert', { id: `ds:${i}`, type: 'Dataset', region: 'us-east', attributes: {}, provenance });
  for (let i = 0; i < 30; i++) await post('graph.edge.assert', { type: 'CONSUMES', from: `svc:${i}`, to: `ds:${i % 20}`, region: 'us-east', provenance });
  await api.close();
  await close();
}

/** Runs `script` in a child process until it prints WRITTEN, then SIGKILLs it. */
async function killMidBatch(script: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  await printed(child, 'WRITTEN', 120_000);
  child.kill('SIGKILL');
  await exited(child);
}

const committedCheckpoint = async (store: ReadStore, schema: string) =>
  (await store.withSession((s) => s.query<{ position: bigint | null }>(`SELECT position FROM "${schema}".projection_checkpoints WHERE name = 'graph'`)))[0]?.position;

/**
 * The dying batch never commits. The batches before it may be lost with it: a read model's commit does not wait
 * for the WAL flush (runtime.ts), and this PGlite dies with the process. So the checkpoint stands at a batch
 * boundary before the dying batch, never inside or after it.
 */
async function assertDyingBatchLost(store: ReadStore, schema: string, events: readonly { position: bigint }[]): Promise<void> {
  const at = (await committedCheckpoint(store, schema)) ?? undefined;
  const boundaries = [undefined, ...Array.from({ length: KILL_IN_BATCH - 1 }, (_, b) => events[10 * (b + 1) - 1]!.position)];
  assert.ok(boundaries.includes(at), `the checkpoint ${String(at)} is a boundary before the dying batch`);
}

const test = suite('graph projector killed mid-batch');
let dir: string;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'companyos-graph-crash-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('SIGKILL mid-batch, restart: the same digest as an uninterrupted replay, and nothing applied twice', async () => {
  const pglite = join(dir, 'pglite');
  // Given a log of nodes and edges, written through the real write side.
  await writeLog(pglite);

  // When a projector dies with a batch half done…
  await killMidBatch(dyingProjector(pglite));

  // …then a new one takes over from the last committed checkpoint.
  const { log, close } = await openDirLog(pglite);
  try {
    const store = log.database;
    const events = await log.readAll();
    await assertDyingBatchLost(store, 'companyos', events);
    const projector = startProjector({ log, store }, graphProjection, { onError: () => {} });
    assert.ok(await projector.waitFor(events[events.length - 1]!.position, 30_000));
    await projector.close();
    const live = await readModelDigest(store, store.schema, graphProjection);

    await migrate(store, readModelMigrations, 'replay_check');
    await projectUntil({ log, store }, graphProjection, { schema: 'replay_check' });
    const replayed = await readModelDigest(store, 'replay_check', graphProjection);
    assert.is(live.digest, replayed.digest);
    assert.is(live.rows, 2 * (50 + 30), 'one version and one current row per node and edge');
  } finally {
    await close();
  }
});

test('SIGKILL mid-batch of a rebuild in bulk, replay again: the same digest, the indexes back', async () => {
  const pglite = join(dir, 'pglite-bulk');
  await writeLog(pglite);
  await killMidBatch(dyingReplay(pglite));

  const { log, close } = await openDirLog(pglite);
  try {
    const store = log.database;
    const events = await log.readAll();
    await assertDyingBatchLost(store, 'rebuild', events);
    const indexCount = (schema: string) =>
      store.withSession((s) => s.query(`SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND tablename LIKE 'graph%'`, [schema])).then((r) => r.length);
    assert.ok((await indexCount('rebuild')) < (await indexCount('companyos')), 'killed with its secondary indexes deferred');

    await projectUntil({ log, store }, graphProjection, { schema: 'rebuild', maxBatch: 10 });
    await projectUntil({ log, store }, { ...graphProjection, bulkLoad: undefined }, { schema: store.schema, maxBatch: 10 });
    const resumed = await readModelDigest(store, 'rebuild', graphProjection);
    const perBatch = await readModelDigest(store, store.schema, graphProjection);
    assert.is(resumed.digest, perBatch.digest);
    assert.is(resumed.rows, 2 * (50 + 30));
    assert.is(await indexCount('rebuild'), await indexCount('companyos'));
  } finally {
    await close();
  }
});

test.run();
