// `npm start` under a supervisor: a SIGTERM to the npm process stops the server itself (npm signals its
// script's process, which `exec` makes the server), so nothing is left holding the port or the embedded store.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exited, printed } from './child-process.js';

const root = resolve(import.meta.dirname, '..');
const test = suite('npm start: SIGTERM to npm stops the server');

const listening = (port: number): Promise<boolean> =>
  new Promise((done) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });

test('the server exits with npm, gracefully, and frees the port and the embedded store', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-npm-start-'));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const env: NodeJS.ProcessEnv = { ...process.env, COMPANYOS_DATA_DIR: dataDir, PORT: String(port) };
  for (const name of ['DATABASE_URL', 'EVENTSTORE_URL', 'CLICKHOUSE_URL', 'NATS_URL']) delete env[name];
  const npm = spawn('npm', ['start', '--silent'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await printed(npm, 'companyos: listening', 120_000);
    assert.ok(await listening(port), 'the server listens');
    npm.kill('SIGTERM');
    const exit = await exited(npm, 30_000);
    assert.is.not(exit.code ?? exit.signal, null);
    assert.not.ok(await listening(port), 'nothing listens on the port once npm has exited');
    // The embedded store belongs to one process: a CLI call on the same data directory opens it only if the server let go.
    const verify = spawnSync(process.execPath, ['bin/companyos.js', 'verify', '--tenant', 'demo'], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
    assert.is(verify.status, 0, `verify after the server stopped: ${verify.stderr}`);
  } finally {
    if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.run();
