// `companyos project` as operators run it on a PostgreSQL server: two processes, one active per read model,
// the other on standby; SIGKILL the active one and the standby takes over and goes on projecting.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dropSchema } from '../../adapters/read-store/postgres/database.js';
import { openPostgresEventLog, type PostgresEventLog } from '../../adapters/event-log/postgres/index.js';
import { openTestApi, type TestApi } from '../../test/api-harness.js';
import { exited } from '../../test/child-process.js';

const url = process.env['DATABASE_URL'];
const CLI = resolve(import.meta.dirname, '../companyos.js');
const test = suite('companyos project: one active instance, takeover on SIGKILL (PostgreSQL server)');

interface Projecting {
  readonly child: ChildProcess;
  readonly port: number;
}
interface Status {
  readonly state: string;
  readonly checkpoint: string | null;
}

if (url === undefined) {
  console.log('skipped: companyos project takeover suite (DATABASE_URL not set)');
} else {
  const schema = `project_${randomBytes(4).toString('hex')}`;
  let log: PostgresEventLog;
  let api: TestApi;
  let dataDir: string;
  const children: ChildProcess[] = [];

  test.before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'companyos-project-'));
    log = await openPostgresEventLog({ url, schema });
    api = await openTestApi(log);
  });
  test.after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await api.close();
    await dropSchema(log.database, schema);
    await log.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = (): Projecting => {
    const port = 30000 + Math.floor(Math.random() * 20000);
    // Own data directory each: embedded chDB (the audit index without CLICKHOUSE_URL) belongs to one process.
    const child = spawn(process.execPath, [CLI, 'project'], {
      env: { ...process.env, DATABASE_URL: url, COMPANYOS_PG_SCHEMA: schema, COMPANYOS_DATA_DIR: join(dataDir, String(port)), PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return { child, port };
  };
  const status = async (p: Projecting): Promise<Status | undefined> => {
    const body = await fetch(`http://127.0.0.1:${p.port}/readyz`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.json() as Promise<{ projections?: (Status & { name: string })[] }>)
      .catch(() => undefined);
    return body?.projections?.find((x) => x.name === 'graph');
  };
  const until = async (what: string, check: () => Promise<boolean>) => {
    for (const deadline = Date.now() + 30_000; !(await check()); ) {
      if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const upsert = async (id: string) => {
    const token = await api.token({ tenant: 'acme', roles: ['editor'], region: 'us-east' });
    const r = await api.call('POST', '/v1/commands/graph.node.upsert', {
      token,
      body: { id, type: 'Service', region: 'us-east', attributes: {}, provenance: { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' } },
    });
    assert.is(r.status, 201, JSON.stringify(r.body));
    return BigInt(r.body.position as string);
  };

  test('the second process waits on standby, then takes over from the killed one without losing an event', async () => {
    const first = start();
    await until('the first projector to be live', async () => (await status(first))?.state === 'live');
    const second = start();
    await until('the second projector to answer', async () => (await status(second)) !== undefined);
    const a = await upsert('svc:a');
    await until('the first to apply svc:a', async () => BigInt((await status(first))?.checkpoint ?? -1) >= a);
    assert.is((await status(second))?.state, 'standby');

    first.child.kill('SIGKILL');
    const b = await upsert('svc:b');
    await until('the standby to take over and apply svc:b', async () => BigInt((await status(second))?.checkpoint ?? -1) >= b);
    const rows = await log.database.withSession((s) => s.query<{ node_id: string }>(`SELECT node_id FROM "${schema}".graph_nodes ORDER BY node_id`));
    assert.equal(rows.map((r) => r.node_id), ['svc:a', 'svc:b']);
    second.child.kill('SIGTERM');
    assert.is((await exited(second.child)).code, 0, 'a clean exit on SIGTERM');
  });
}

test.run();
