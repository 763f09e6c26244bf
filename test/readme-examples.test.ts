// The README's shell examples run as written, so one that drifts fails `npm test`. A fresh server (what
// `npm start` runs, embedded stores in a temp directory, a free port) seeds the demo tenant; the blocks then run
// in README order in one `bash -e -o pipefail` (variables carry over, as in a reader's shell), with
// `localhost:8080` pointed at that port and curl failing on an HTTP error. Output the README shows as `# {…}`
// must be printed (an object shown may leave out fields, such as the store's own key ids). Blocks marked
// `server stopped` run after it stops; skipped ones are named on the output.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exited, printed } from './child-process.js';
import { runBlocks, shellBlocks, type ShellBlock } from './readme-blocks.js';

/** Fails the test with what went wrong in the blocks, if anything. */
const runs = (group: readonly ShellBlock[], env: NodeJS.ProcessEnv, port: number): void => {
  const problem = runBlocks(group, env, port);
  if (problem !== undefined) assert.unreachable(problem);
};

const root = resolve(import.meta.dirname, '..');
const blocks = shellBlocks(readFileSync(join(root, 'README.md'), 'utf8'));

const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const server = createServer().once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

const test = suite('README: the shell examples run as written');

test('the extractor finds the blocks, their markers and their shown output', () => {
  const found = shellBlocks(
    ['```sh', 'a', '# {"ok":true}', '```', '', '<!-- readme-test: skip (needs docker) -->', '', '```sh', 'b', '```', '<!-- readme-test: server stopped -->', '```sh', 'c', '```', '```yaml', 'x: 1', '```'].join('\n'),
  );
  assert.equal(
    found.map((b) => [b.line, b.code, b.skip, b.serverStopped, b.expected]),
    [
      [1, 'a\n# {"ok":true}', undefined, false, [{ ok: true }]],
      [8, 'b', 'needs docker', false, []],
      [12, 'c', undefined, true, []],
    ],
  );
  assert.throws(() => shellBlocks('<!-- readme-test: sometimes -->\n```sh\na\n```'), /unknown readme-test marker/);
});

test('a block that fails, or does not print what it shows, is named by its README line', () => {
  const [ok, shown, failing] = shellBlocks(
    ['```sh', 'echo \'{"a": 1, "b": [1], "more": {"x": 1}}\'', '# {"a":1,"b":[1]}', '```', '```sh', 'echo \'{"a":1}\'', '# {"a":2}', '```', '```sh', 'false', '```'].join('\n'),
  );
  const env = { PATH: process.env['PATH'] };
  assert.is(runBlocks([ok!], env, 8080), undefined);
  assert.match(runBlocks([ok!, shown!], env, 8080) ?? '', /^README block at line 5 shows \{"a":2\} but printed:\n\{"a":1\}/);
  const [partial] = shellBlocks(['```sh', 'echo \'{"a":1,"b":[1,2]}\'', '# {"b":[1]}', '```'].join('\n'));
  assert.match(runBlocks([partial!], env, 8080) ?? '', /shows \{"b":\[1\]\}/, 'an array shown is the whole array');
  assert.match(runBlocks([ok!, failing!, shown!], env, 8080) ?? '', /^README block at line 9 failed \(exit 1\)/);
});

test('every ```sh block of README.md runs (or says why not) against a fresh server', async () => {
  for (const b of blocks.filter((b) => b.skip !== undefined)) console.log(`  readme: skipped the block at line ${b.line}: ${b.skip}`);
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-readme-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, COMPANYOS_DATA_DIR: dataDir, PORT: String(port), COMPANYOS_URL: `http://localhost:${port}` };
  for (const name of ['DATABASE_URL', 'EVENTSTORE_URL', 'CLICKHOUSE_URL', 'NATS_URL', 'COMPANYOS_TOKEN', 'COMPANYOS_SIGNING_KEY']) delete env[name];
  const server = spawn(process.execPath, ['bin/companyos.js', 'serve'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    // The demo tenant is seeded before this line (the graph examples query it).
    await printed(server, 'companyos: listening', 300_000);
    runs(blocks.filter((b) => b.skip === undefined && !b.serverStopped), env, port);
    server.kill('SIGTERM');
    await exited(server, 60_000);
    runs(blocks.filter((b) => b.skip === undefined && b.serverStopped), env, port);
  } finally {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.run();
