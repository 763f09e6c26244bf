// `companyos faults`: lists the recorded projection faults and acknowledges them, as a user runs it
// (a real process on an embedded store); bad input is one line and a non-zero exit.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { migrate } from '../../adapters/read-store/postgres/database.js';
import { openPostgresEventLog } from '../../adapters/event-log/postgres/index.js';
import { faultStatement } from '../../projections/faults.js';
import { readModelMigrations } from '../../projections/index.js';

const run = promisify(execFile);
const CLI = resolve(import.meta.dirname, '../companyos.js');
const test = suite('companyos faults');
let dataDir: string;

async function cli(...args: string[]) {
  const { DATABASE_URL: _pg, EVENTSTORE_URL: _es, NATS_URL: _nats, CLICKHOUSE_URL: _ch, ...rest } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'faults', ...args], { env: { ...rest, COMPANYOS_DATA_DIR: dataDir } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test.before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-faults-cli-'));
  const log = await openPostgresEventLog({ dataDir: join(dataDir, 'pglite'), schema: 'companyos' });
  try {
    await migrate(log.database, readModelMigrations);
    await log.database.withSession((s) =>
      s.pipeline([
        faultStatement('companyos', {
          projection: 'graph',
          position: 7n,
          eventId: '00000000-0000-4000-8000-000000000007',
          eventType: 'graph.node.upserted',
          tenant: 'acme',
          error: 'date/time field value out of range: "2026-02-30T00:00:00Z"',
        }),
      ]),
    );
  } finally {
    await log.close();
  }
});
test.after(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

test('lists a fault with its error, acknowledges it, then lists none unless --all', async () => {
  const listed = await cli();
  assert.is(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^graph position 7 event 00000000-0000-4000-8000-000000000007 \(graph\.node\.upserted, tenant acme\); recorded .*; error: date\/time field value out of range/);

  const acked = await cli('ack', '--projection', 'graph', '--position', '7');
  assert.is(acked.code, 0, acked.stderr);
  assert.match(acked.stdout, /acknowledged 1 fault of projection graph/);

  assert.match((await cli()).stdout, /no unacknowledged projection faults/);
  const all = JSON.parse((await cli('--all', '--json')).stdout) as { position: string; acknowledgedAt: string | null }[];
  assert.equal(all.map((f) => [f.position, typeof f.acknowledgedAt]), [['7', 'string']]);
});

test('nothing to acknowledge: one line, exit 1; bad input: one line, exit 2', async () => {
  const none = await cli('ack', '--projection', 'graph');
  assert.is(none.code, 1);
  assert.is(none.stderr, 'companyos: no unacknowledged fault of projection graph\n');
  for (const args of [['frob'], ['ack'], ['ack', '--projection', 'graph', '--position', '-1'], ['--colour']]) {
    const r = await cli(...args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test.run();
