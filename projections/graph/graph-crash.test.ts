// The proof with a real death: a graph projector process is SIGKILLed in the middle of a batch (its
// rows written, the transaction with its checkpoint not yet committed); a restarted projector ends with the
// same read-model digest as an uninterrupted replay of the same log.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exited, printed } from '../../test/child-process.js';
import { migrate } from '../../adapters/postgres/database.js';
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
      await graphProjection.apply(session, schema, events);
      if (++batches < ${KILL_IN_BATCH}) return;
      console.log('WRITTEN ' + events.length);
      await new Promise(() => {});
    },
  };
  startProjector({ log, store: log.database }, dying, { maxBatch: 10, onError: (e) => console.error(e) });
`;

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
  {
    const { log, close } = await openDirLog(pglite);
    await migrate(log.database, readModelMigrations);
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

  // When a projector dies with a batch half done…
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', dyingProjector(pglite)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  await printed(child, 'WRITTEN', 120_000);
  child.kill('SIGKILL');
  await exited(child);

  // …then a new one takes over from the last committed checkpoint.
  const { log, close } = await openDirLog(pglite);
  try {
    const store = log.database;
    const committed = await store.withSession((s) => s.query<{ position: bigint | null }>(`SELECT position FROM companyos.projection_checkpoints WHERE name = 'graph'`));
    const events = await log.readAll();
    assert.is(committed[0]?.position, events[10 * (KILL_IN_BATCH - 1) - 1]!.position, 'the dying batch did not commit');
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

test.run();
