// What every benchmark prints: the machine it ran on, latency percentiles and memory, and a last line
// of JSON for the README's figures table.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export function machine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model ?? 'unknown cpu'} × ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`;
}

/** Nearest-rank percentile of an ascending-sorted array, in the array's unit. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function latencySummary(samplesMs: number[]): { p50: number; p95: number; p99: number; max: number } {
  const sorted = Float64Array.from(samplesMs).sort();
  const at = (p: number) => round(percentile(sorted as unknown as number[], p));
  return { p50: at(50), p95: at(95), p99: at(99), max: round(sorted[sorted.length - 1] ?? NaN) };
}

/** CPU time (user + system) this process has used, in seconds: load distorts it less than wall time. */
export function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** CPU time (user + system) of another local process, in seconds, from /proc/<pid>/stat (ticks of 10 ms). */
export function processCpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/**
 * CPU time the whole host has been busy (every process, kernel included: /proc/stat, all but idle and
 * iowait), in seconds. On two shared cores the sum is what a side costs, PostgreSQL's share included.
 */
export function hostBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …
  const busy = f.reduce((a, b, i) => (i === 3 || i === 4 || i > 7 ? a : a + b), 0);
  return busy / 100;
}

/** The 1-minute load average against the core count: how busy the host was while a bench ran. */
export function load(): string {
  return `load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`;
}

export function memory(): string {
  const m = process.memoryUsage();
  return `rss ${(m.rss / 2 ** 20).toFixed(0)} MiB, heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB`;
}

export const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/** `--name value` from argv, as a number, with a default. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name}: expected a positive number`);
    process.exit(2);
  }
  return value;
}

/** `--name value` from argv, as a string, or undefined when absent. */
export function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}
