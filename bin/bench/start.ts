// bench:start — how long `npm start` takes to answer /healthz: a first start (empty data directory: the
// embedded PGlite created, migrated, the demo tenant seeded) and a restart on the store it left, each the median
// of N fresh data directories. It runs what `npm start` runs (`node bin/companyos.js serve`). Wall time grows
// with whatever else the machine runs; the CPU time the server had used when /healthz answered (user + system,
// all its threads, from /proc; Linux only, 10 ms ticks) hardly does, so both are printed, with the load average.
// Usage: npm run bench:start [-- --runs N]
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from '../build.js';
import { machine, numberArg, percentile, round } from './report.js';

const CLI = resolve(import.meta.dirname, '..', 'companyos.js');
const runs = numberArg('runs', 3);

const { DATABASE_URL: _pg, EVENTSTORE_URL: _es, NATS_URL: _nats, CLICKHOUSE_URL: _ch, COMPANYOS_SIGNING_KEY: _k, ...userEnv } = process.env;

/** CPU seconds a running process has used (utime + stime of /proc/PID/stat). */
function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const probe = createServer().once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

interface Start {
  readonly wall: number;
  readonly cpu: number;
}

/** What a first start said it made its store from ("a copy of the migrated template", "PGlite's initdb; …"). */
let template = 'none seen';

/** Starts serve on dataDir, times it to the first 200 from /healthz, waits for `until` in its output, stops it. */
async function start(dataDir: string, until: string): Promise<Start> {
  const port = await freePort();
  const started = performance.now();
  const server: ChildProcess = spawn(process.execPath, [CLI, 'serve'], {
    env: { ...userEnv, COMPANYOS_DATA_DIR: dataDir, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout!.on('data', (d) => (output += d));
  server.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
  try {
    while (!(await healthy(port))) {
      if (server.exitCode !== null) throw new Error(`serve did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const result = { wall: (performance.now() - started) / 1000, cpu: cpuOf(server.pid!) };
    template = /\(new: ([^)]*)\)/.exec(output)?.[1] ?? template;
    while (!output.includes(until)) {
      if (server.exitCode !== null) throw new Error(`serve stopped before "${until}": ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    server.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) throw new Error(`serve did not stop cleanly (exit ${code}): ${output}`);
    return result;
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
  }
}

const mid = (xs: number[]) => round(percentile([...xs].sort((a, b) => a - b), 50), 2);
const shown = (s: Start) => `${s.wall.toFixed(2)} s (cpu ${s.cpu.toFixed(2)} s)`;

const target = await build();
const load = loadavg().map((l) => l.toFixed(2)).join(' ');
const first: Start[] = [];
const restart: Start[] = [];
for (let i = 0; i < runs; i++) {
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-bench-start-'));
  try {
    first.push(await start(dataDir, 'seeded demo tenant'));
    restart.push(await start(dataDir, 'companyos: listening'));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
const median = (xs: Start[]): Start => ({ wall: mid(xs.map((x) => x.wall)), cpu: mid(xs.map((x) => x.cpu)) });
const summary = { first: median(first), restart: median(restart) };
console.log(`machine: ${machine()}; load average before: ${load}, after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`build: ${target}; PGlite template: ${template}`);
console.log(`median of ${runs} runs: wall time to the first 200 from /healthz (CPU time the server had used by then)`);
console.log(`  first start  ${shown(summary.first)}   runs: ${first.map(shown).join(', ')}`);
console.log(`  restart      ${shown(summary.restart)}   runs: ${restart.map(shown).join(', ')}`);
console.log(JSON.stringify({ bench: 'start', runs, cpu: machine(), loadAverage: load, template, ...summary, firstRuns: first, restartRuns: restart }));
