// The proof, with a real death: a projector process is SIGKILLed after its ClickHouse insert and
// before its checkpoint commits; a second process restarts from the old checkpoint and re-inserts the
// batch. The table then holds the batch twice, yet every read answers each event once.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exited } from '../../test/child-process.js';
import { migrate } from '../../adapters/read-store/postgres/database.js';
import { toEventDraft } from '../../ledger/log-codec.js';
import { makeChain } from '../../test/test-events.js';
import { openDirLog } from '../../test/logs.js';
import { readModelMigrations } from '../index.js';

const root = resolve(import.meta.dirname, '../..');
const module = (path: string) => JSON.stringify(pathToFileURL(join(root, path)).href);
const EVENTS = 40;

/** A projector process on the log and chDB in `dir`; `dying`: it hangs after the first insert, for the kill. */
const projectorScript = (dir: string, dying: boolean) => `
  const { openDirLog } = await import(${module('test/logs.ts')});
  const { openClickHouse, migrateClickHouse, auditMigrations, clickHouseAuditIndex, AUDIT_TABLE } = await import(${module('adapters/analytics-store/clickhouse/index.ts')});
  const { auditProjection, startProjector } = await import(${module('projections/index.ts')});
  const testLog = await openDirLog(${JSON.stringify(join(dir, 'pglite'))});
  const store = await openClickHouse({ path: ${JSON.stringify(join(dir, 'chdb'))}, database: 'companyos' });
  await migrateClickHouse(store, auditMigrations);
  const index = clickHouseAuditIndex(store);
  const projection = auditProjection(index);
  const dying = {
    ...projection,
    async apply(session, schema, events) {
      await session.pipeline(await projection.apply(session, schema, events));
      console.log('INSERTED ' + events.length);
      await new Promise(() => {}); // inside the checkpoint's transaction, until SIGKILL
    },
  };
  const log = testLog.log;
  const projector = startProjector({ log, store: log.database }, ${dying ? 'dying' : 'projection'}, { onError: (e) => console.error(e) });
  if (!${dying}) {
    if (!(await projector.waitFor(await log.headPosition(), 60000))) throw new Error('restart did not catch up');
    await projector.close();
    const count = async (final) => Number((await store.query('SELECT count() AS c FROM ' + AUDIT_TABLE + (final ? ' FINAL' : '')))[0].c);
    const [{ d }] = await store.query('SELECT uniqExact(event_id) AS d FROM ' + AUDIT_TABLE);
    const raw = await count(false), final = await count(true);
    const answered = (await index.searchAudit({ tenant: 'acme', limit: 1000 })).map((r) => r.event_id);
    await store.command('OPTIMIZE TABLE ' + AUDIT_TABLE + ' FINAL');
    const merged = await count(false);
    console.log(JSON.stringify({ raw, final, distinct: Number(d), answered: answered.length, answeredDistinct: new Set(answered).size, merged, checkpoint: String(projector.status().checkpoint) }));
    await store.close();
    await testLog.close();
  }`;

const crash = suite('audit projector SIGKILLed between the ClickHouse insert and its checkpoint');
let dir: string;
crash.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'companyos-audit-crash-'));
  const testLog = await openDirLog(join(dir, 'pglite'));
  await migrate(testLog.log.database, readModelMigrations);
  for (const [i, stream] of ['acme/graph.node/a', 'acme/graph.node/b'].entries()) {
    await testLog.log.append(stream, 'no-stream', makeChain(stream, EVENTS / 2, undefined, i * 1000).map(toEventDraft));
  }
  await testLog.close();
});
crash.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

crash('the re-inserted batch is stored twice until a merge, and answered once', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', projectorScript(dir, true)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  for (let i = 0; !/INSERTED \d+/.test(output); i++) {
    assert.ok(i < 1200 && child.exitCode === null, `the projector did not insert: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  assert.is((await exited(child)).signal, 'SIGKILL');
  const inserted = Number(/INSERTED (\d+)/.exec(output)![1]);
  assert.is(inserted, EVENTS, 'the first batch held the whole log');

  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', projectorScript(dir, false)], { cwd: root, timeout: 120_000 });
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number | string>;
  assert.equal(result, {
    raw: 2 * EVENTS, // the dead process's rows and the restart's: the scenario happened
    final: EVENTS,
    distinct: EVENTS,
    answered: EVENTS,
    answeredDistinct: EVENTS,
    merged: EVENTS,
    checkpoint: result['checkpoint'],
  });
  assert.not.equal(result['checkpoint'], 'undefined');
});

crash.run();
