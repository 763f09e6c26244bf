// bench:cli — how long a `companyos` call takes as a user runs it: `--help`, `token`, and `verify` of a small
// embedded store (the demo tenant a first `serve` seeds), each the median wall time of N fresh processes,
// through the compiled build and, for comparison, from the TypeScript source (COMPANYOS_FROM_SOURCE=1).
// `node -e 0` is the floor: what starting Node alone costs on this machine at this moment. Wall time grows with
// whatever else the machine runs; the CPU time a call used (user + system, all its threads; Linux only, in
// 10 ms ticks) hardly does, so both are printed.
// Usage: npm run bench:cli [-- --runs N]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from '../build.js';
import { machine, numberArg, percentile, round } from './report.js';

const CLI = resolve(import.meta.dirname, '..', 'companyos.js');
const runs = numberArg('runs', 7);
const dataDir = await mkdtemp(join(tmpdir(), 'companyos-bench-cli-'));

/** A user's environment with no servers configured: the embedded store in dataDir. */
const { DATABASE_URL: _pg, EVENTSTORE_URL: _es, NATS_URL: _nats, CLICKHOUSE_URL: _ch, COMPANYOS_SIGNING_KEY: _k, ...userEnv } = process.env;
const env = (extra: Record<string, string> = {}) => ({ ...userEnv, COMPANYOS_DATA_DIR: dataDir, ...extra });

/** A first `serve` creates and seeds the store (the demo tenant's sealed events); then it is stopped. */
async function seedStore(): Promise<void> {
  const port = 30000 + Math.floor(Math.random() * 20000);
  const server = spawn(process.execPath, [CLI, 'serve'], { env: env({ PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout.on('data', (d) => (output += d));
  server.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
  // The last thing a first start prints; serve stops on SIGTERM from then on.
  while (!output.includes('seeded demo tenant')) {
    if (server.exitCode !== null) throw new Error(`serve did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  server.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`serve did not stop cleanly (exit ${code}): ${output}`);
}

/** CPU seconds used by this process's waited-for children so far (cutime + cstime of /proc/self/stat). */
function childrenCpu(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
}

interface Timing {
  /** Median wall time of one call, seconds. */
  readonly wall: number;
  /** Median CPU time of one call (user + system), seconds. */
  readonly cpu: number;
}

/** Medians over `runs` fresh processes; each must exit 0. */
function median(args: readonly string[], extra: Record<string, string> = {}): Timing {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpu = childrenCpu();
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { env: env(extra), encoding: 'utf8' });
    walls.push((performance.now() - started) / 1000);
    cpus.push(childrenCpu() - cpu);
    if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  const mid = (xs: number[]) => round(percentile(xs.sort((a, b) => a - b), 50), 3);
  return { wall: mid(walls), cpu: mid(cpus) };
}

const shown = (t: Timing) => `${t.wall.toFixed(3)} s (cpu ${t.cpu.toFixed(2)} s)`;

try {
  const target = await build();
  await seedStore();
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  const calls: [string, string[]][] = [
    ['help', ['--help']],
    ['token', ['token', '--tenant', 'acme', '--roles', 'viewer']],
    ['verify', ['verify', '--tenant', 'demo']],
  ];
  const node = median(['-e', '0']);
  const compiled = Object.fromEntries(calls.map(([name, args]) => [name, median([CLI, ...args])]));
  const source = Object.fromEntries(calls.map(([name, args]) => [name, median([CLI, ...args], { COMPANYOS_FROM_SOURCE: '1' })]));
  console.log(`machine: ${machine()}; load average before: ${load}, after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`build: ${target}`);
  console.log(`median of ${runs} runs: wall time per process (CPU time it used)`);
  console.log(`  node -e 0  ${shown(node)}`);
  for (const [name] of calls) console.log(`  ${name.padEnd(9)}  compiled ${shown(compiled[name]!)}   from source (tsx) ${shown(source[name]!)}`);
  console.log(JSON.stringify({ bench: 'cli', runs, cpu: machine(), loadAverage: load, node, compiled, source }));
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
