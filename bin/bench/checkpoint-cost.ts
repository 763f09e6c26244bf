// The checkpointer's cost to commands, measured so that a 5 % difference shows through a shared host's noise.
// Two servers run side by side on the same PostgreSQL (own schemas): one with the checkpointer off
// (COMPANYOS_CHECKPOINT_INTERVAL=0), one with it on (1 s, the default). bench:commands' load (16 clients: two
// node upserts and the edge between them) goes to them in short rounds, alternately (off, on, on, off, off,
// on…, so drift in the host's load falls on both sides alike), and each adjacent pair gives two ratios: on ÷ off
// commands/s, and on ÷ off server CPU per command (/proc/<pid>/stat: the server's own CPU, which others' load
// distorts less than rates). The cost is the MEDIAN of the paired ratios, with their interquartile range; the
// checkpoints the on-server signed during its rounds are counted from its log. After each round the bench waits
// for that server to go quiet, so the work a round leaves behind is counted in it and not in the next.
// Usage: node --import tsx bin/bench/checkpoint-cost.ts [--pairs 12] [--seconds 4] [--clients 16]; last line JSON.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { issueDevelopmentToken } from '../../adapters/auth/jwt.js';
import { openPostgresEventLog } from '../../adapters/event-log/postgres/index.js';
import { migrate } from '../../adapters/read-store/postgres/database.js';
import { startCheckpointer } from '../../commands/checkpointer.js';
import { Keyring, sealEvent, signingKeyFromSeed, toEventDraft } from '../../ledger/index.js';
import { readModelMigrations } from '../../projections/index.js';
import { projectUntil } from '../../projections/runtime.js';
import { treeProjection } from '../../projections/tree/tree-projection.js';
import { TreeQueries } from '../../projections/tree/tree-queries.js';
import { GENESIS_HASH } from '../../schemas/sealed-event.js';
import { makeUnsealed } from '../../test/test-events.js';
import { commandClient, untilReady, type CommandClient } from './command-client.js';
import { cpuSeconds, machine, numberArg, percentile, processCpuSeconds, round } from './report.js';

const pairs = numberArg('pairs', 12);
const seconds = numberArg('seconds', 4);
const clients = numberArg('clients', 16);
const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const secret = 'bench-secret-bench-secret-bench-secret';
const T0 = '2026-01-01T00:00:00Z';

interface Server {
  readonly name: 'off' | 'on';
  readonly proc: ChildProcess;
  readonly base: string;
  readonly client: CommandClient;
  readonly schema: string;
  readonly dataDir: string;
}

async function startServer(name: 'off' | 'on', interval: string): Promise<Server> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const schema = `bench_ckpt_${name}_${randomBytes(3).toString('hex')}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-bench-'));
  const proc = spawn(process.execPath, [resolve(import.meta.dirname, '../companyos.js'), 'serve'], {
    env: { ...process.env, PORT: String(port), DATABASE_URL: databaseUrl, COMPANYOS_PG_SCHEMA: schema, COMPANYOS_DATA_DIR: dataDir, COMPANYOS_JWT_SECRET: secret, COMPANYOS_CHECKPOINT_INTERVAL: interval },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  return { name, proc, base, client: commandClient(base, token, clients), schema, dataDir };
}

async function stopServer(s: Server): Promise<void> {
  s.client.close();
  if (s.proc.exitCode === null) {
    s.proc.kill('SIGTERM');
    await new Promise((r) => s.proc.once('exit', r));
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${s.schema} CASCADE`);
  await client.end();
  await rm(s.dataDir, { recursive: true, force: true });
}

const token = await issueDevelopmentToken(new TextEncoder().encode(secret), { issuer: 'companyos-dev', audience: 'companyos' }, { tenant: 'bench', roles: ['editor'], region: 'us-east' }, Math.floor(Date.now() / 1000));
const provenance = { sourceSystem: 'bench', observedAt: T0, reason: 'benchmark', evidenceRefs: ['bench:run'] };
// bench:commands' mix: a Build node, an Artifact node, and the BUILDS edge between them.
const commands = (c: string, i: number) => [
  ['graph.node.upsert', { id: `build:${c}-${i}`, type: 'Build', region: 'us-east', attributes: { number: i, pipeline: 'ci' }, provenance }],
  ['graph.node.upsert', { id: `artifact:${c}-${i}`, type: 'Artifact', region: 'us-east', attributes: { digest: `sha256:${c}${i}`, kind: 'image' }, provenance }],
  ['graph.edge.assert', { type: 'BUILDS', from: `build:${c}-${i}`, to: `artifact:${c}-${i}`, region: 'us-east', provenance }],
] as const;

const send = (s: Server, type: string, body: unknown) => s.client.send(type, body);

/**
 * Waits until the server has gone quiet (at most one 10 ms CPU tick in half a second, or 15 s): the work a
 * round left behind (projections catching up, the checkpoint after it) is counted in that round, and does
 * not run during the other server's round.
 */
async function settle(s: Server): Promise<void> {
  const deadline = performance.now() + 15_000;
  let before = processCpuSeconds(s.proc.pid!);
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const now = processCpuSeconds(s.proc.pid!);
    if (now - before <= 0.01) return;
    before = now;
  }
}

/** One round on one server: commands/s accepted, and the server's CPU ms per accepted command, the work left after it included. */
async function round_(s: Server, r: number): Promise<{ perS: number; cpuMsPerCommand: number }> {
  let ok = 0;
  const cpu0 = processCpuSeconds(s.proc.pid!);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < deadline; i++) {
        for (const [type, body] of commands(`${r}-${c}`, i)) {
          const { status, retryAfter } = await send(s, type, body);
          if (status === 201) ok++;
          if (retryAfter !== undefined) {
            await new Promise((res) => setTimeout(res, retryAfter * 1000 * (1 + Math.random())));
            break;
          }
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await settle(s);
  const cpu = processCpuSeconds(s.proc.pid!) - cpu0;
  return { perS: ok / elapsed, cpuMsPerCommand: (cpu * 1000) / Math.max(1, ok) };
}

async function checkpointsSigned(s: Server): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${s.schema}.events WHERE type = 'ledger.checkpoint.signed'`);
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

const quartiles = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { q1: percentile(sorted, 25), median: percentile(sorted, 50), q3: percentile(sorted, 75) };
};

/**
 * The checkpointer's own CPU per checkpoint, in this process, which nothing else shares: one event appended
 * and projected into the tree, then one pass (read the due tenants, the root, the tail; sign; seal; append),
 * timed by process.cpuUsage around the pass alone. PostgreSQL's share is not counted.
 */
async function cpuPerCheckpoint(passes = 40): Promise<{ cpuMs: number; wallMs: number }> {
  const schema = `bench_ckpt_direct_${randomBytes(3).toString('hex')}`;
  const log = await openPostgresEventLog({ url: databaseUrl, schema });
  try {
    await migrate(log.database, readModelMigrations);
    const key = signingKeyFromSeed(new Uint8Array(32).fill(9), '2020-01-01T00:00:00Z');
    const checkpointer = startCheckpointer(
      { log, trees: new TreeQueries(log.database), keyring: new Keyring([], key), lock: log.database, clock: () => new Date(), logOrigin: 'bench.local' },
      { intervalMs: 3_600_000, lockRetryMs: 10 },
    );
    while (!checkpointer.status().active) await new Promise((r) => setTimeout(r, 5));
    const cpu: number[] = [];
    const wall: number[] = [];
    let prevHash = GENESIS_HASH;
    for (let i = 0; i < passes + 5; i++) {
      const e = sealEvent(makeUnsealed({ id: crypto.randomUUID(), stream: 'bench/graph.node/n', tenant: 'bench', revision: i, prevHash }), key);
      prevHash = e.hash;
      await log.append(e.stream, i === 0 ? 'no-stream' : BigInt(i - 1), [toEventDraft(e)]);
      await projectUntil({ log, store: log.database }, treeProjection, { schema: log.database.schema });
      const cpu0 = cpuSeconds();
      const t0 = performance.now();
      const signed = await checkpointer.checkpointNow();
      if (signed.length !== 1) continue; // the tree had not shown the event yet
      if (i >= 5) {
        cpu.push((cpuSeconds() - cpu0) * 1000);
        wall.push(performance.now() - t0);
      }
    }
    await checkpointer.close();
    return { cpuMs: round(quartiles(cpu).median, 2), wallMs: round(quartiles(wall).median, 2) };
  } finally {
    await log.close();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}

console.log(`checkpoint cost on ${machine()}; ${pairs} pairs of ${seconds} s rounds, ${clients} clients; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const direct = await cpuPerCheckpoint();
console.log(`checkpointer alone: ${direct.cpuMs} ms CPU (${direct.wallMs} ms wall) per checkpoint, median of 40 passes (PostgreSQL's share not counted)`);
const off = await startServer('off', '0');
const on = await startServer('on', '1');
try {
  await Promise.all([untilReady(off.base, 60), untilReady(on.base, 60)]);
  // Warm-up: JIT, pools, Cedar, on both.
  for (const s of [off, on]) for (let i = 0; i < 50; i++) for (const [type, body] of commands('warm', i)) await send(s, type, body);
  await Promise.all([settle(off), settle(on)]);
  const checkpoints0 = await checkpointsSigned(on);
  const results: { off: { perS: number; cpuMsPerCommand: number }; on: { perS: number; cpuMsPerCommand: number } }[] = [];
  let onSeconds = 0;
  for (let p = 0; p < pairs; p++) {
    // ABBA: the order flips every pair, so a host getting busier or quieter weighs on both sides alike.
    const order = p % 2 === 0 ? [off, on] : [on, off];
    const pair: Partial<(typeof results)[number]> = {};
    for (const s of order) {
      const t0 = performance.now();
      pair[s.name] = await round_(s, p);
      if (s === on) onSeconds += (performance.now() - t0) / 1000;
    }
    results.push(pair as (typeof results)[number]);
    const last = results[results.length - 1]!;
    console.log(
      `pair ${p + 1}: off ${round(last.off.perS, 0)}/s ${round(last.off.cpuMsPerCommand)} ms CPU/command, on ${round(last.on.perS, 0)}/s ${round(last.on.cpuMsPerCommand)} ms; ` +
        `on ÷ off: rate ${round(last.on.perS / last.off.perS, 3)}, CPU ${round(last.on.cpuMsPerCommand / last.off.cpuMsPerCommand, 3)}; load ${loadavg()[0]!.toFixed(1)}`,
    );
  }
  const checkpoints = (await checkpointsSigned(on)) - checkpoints0;
  // The direct estimate: the checkpointer's CPU for the checkpoints it signed during the on-rounds, per
  // command accepted in them, against the off-server's CPU per command.
  const onCommands = results.reduce((n, r) => n + r.on.perS * seconds, 0);
  const offCpuMs = quartiles(results.map((r) => r.off.cpuMsPerCommand)).median;
  const directPct = round(((direct.cpuMs * checkpoints) / onCommands / offCpuMs) * 100, 2);
  const rate = quartiles(results.map((r) => r.on.perS / r.off.perS));
  const cpu = quartiles(results.map((r) => r.on.cpuMsPerCommand / r.off.cpuMsPerCommand));
  const pct = (ratio: number) => round((ratio - 1) * 100, 1);
  const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
  console.log(
    `checkpointer on vs off, median of ${pairs} paired ratios (interquartile range): commands/s ${signed(pct(rate.median))} % (${signed(pct(rate.q1))} … ${signed(pct(rate.q3))} %), ` +
      `server CPU per command ${signed(pct(cpu.median))} % (${signed(pct(cpu.q1))} … ${signed(pct(cpu.q3))} %); ` +
      `${checkpoints} checkpoints signed in ${round(onSeconds, 1)} s of on-rounds; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  );
  console.log(
    `direct: ${checkpoints} checkpoints × ${direct.cpuMs} ms CPU over ${Math.round(onCommands)} commands = ${round((direct.cpuMs * checkpoints) / onCommands, 3)} ms per command, ` +
      `${directPct} % of the ${round(offCpuMs)} ms CPU a command costs with the checkpointer off (the checkpoint events' own projection not counted)`,
  );
  console.log(
    JSON.stringify({
      bench: 'checkpoint-cost',
      pairs,
      round_seconds: seconds,
      clients,
      commands_per_s_off_median: round(quartiles(results.map((r) => r.off.perS)).median, 0),
      commands_per_s_on_median: round(quartiles(results.map((r) => r.on.perS)).median, 0),
      throughput_cost_pct: -pct(rate.median),
      throughput_cost_pct_iqr: [-pct(rate.q3), -pct(rate.q1)],
      server_cpu_cost_pct: pct(cpu.median),
      server_cpu_cost_pct_iqr: [pct(cpu.q1), pct(cpu.q3)],
      checkpoints_signed: checkpoints,
      checkpointer_cpu_ms_per_checkpoint: direct.cpuMs,
      checkpointer_cpu_cost_pct_direct: directPct,
      load_average_1m: round(loadavg()[0]!, 1),
    }),
  );
} finally {
  await Promise.all([stopServer(off), stopServer(on)]);
}
