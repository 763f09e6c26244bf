// bench:commands — concurrent clients sending sealed graph commands over HTTP to a server on real
// PostgreSQL (policy, sealing and append included). The server runs in its own process, as in production.
// Usage: npm run bench:commands [-- --clients 16 --seconds 20 --peer emmett --servers 2]; `--clients 16,64` runs one round per count
// on the same server and prints them side by side: p99 of the accepted commands, and how many were refused
// by backpressure (429/503 with Retry-After, which a client here honours, jittered, before its next command).
// Each round also reports the server process's CPU time per accepted command (/proc/<pid>/stat), which load
// distorts less than wall time, and the whole host's (every process, PostgreSQL's backends included: on two
// shared cores that sum is what a command costs; Emmett's side is measured the same way). `--peer emmett` then runs Emmett's bare appends with 16 writers on distinct
// streams (same PostgreSQL, its own schema, in this process) for as long as a round, and prints the ratio
// commands/s ÷ Emmett's appends/s. `--queries` loads query-census.ts into the server and prints the SQL
// statements per command by kind (log tail reads, stream reads, appends, projection writes), for counting
// only: it slows the server a little, so take timings from a run without it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { issueDevelopmentToken } from '../../adapters/auth/jwt.js';
import { commandClient, untilReady } from './command-client.js';
import { emmettWriters16, peerArg, type WriterPhase } from './emmett-peer.js';
import { cpuSeconds, hostBusySeconds, latencySummary, load, machine, memory, numberArg, processCpuSeconds, round } from './report.js';

/** `--clients 16` or `--clients 16,64`: one round per count. */
function clientsArg(): number[] {
  const i = process.argv.indexOf('--clients');
  if (i < 0) return [16];
  const counts = (process.argv[i + 1] ?? '').split(',').map(Number);
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n <= 0)) {
    console.error('--clients: expected a positive whole number or a comma-separated list of them');
    process.exit(2);
  }
  return counts;
}

const clientCounts = clientsArg();
const peer = peerArg();
const seconds = numberArg('seconds', 20);
const census = process.argv.includes('--queries') ? join(tmpdir(), `companyos-bench-queries-${randomBytes(4).toString('hex')}.json`) : undefined;
const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bench_${randomBytes(4).toString('hex')}`;
const secret = 'bench-secret-bench-secret-bench-secret';
const T0 = '2026-01-01T00:00:00Z';
// `--servers 2`: a second server process on the same log (`serve --no-projectors`, its own port and data
// directory, the same signing key), the clients split between them; server CPU is the sum of both.
const serverCount = numberArg('servers', 1);
const signingKey = randomBytes(32).toString('base64');

interface BenchServer {
  readonly proc: ChildProcess;
  readonly base: string;
  readonly dataDir: string;
}

const censusArgs = census ? ['--import', 'tsx', '--import', resolve(import.meta.dirname, 'query-census.ts')] : [];
async function startServer(n: number): Promise<BenchServer> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-bench-'));
  const args = [...(process.env['BENCH_SERVER_NODE_ARGS']?.split(' ') ?? []), ...censusArgs, resolve(import.meta.dirname, '../companyos.js'), 'serve', ...(n > 0 ? ['--no-projectors'] : [])];
  const proc = spawn(process.execPath, args, {
    env: {
      ...process.env,
      ...(census ? { BENCH_QUERY_CENSUS: n > 0 ? `${census}.${n}` : census } : {}),
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      COMPANYOS_PG_SCHEMA: schema,
      COMPANYOS_DATA_DIR: dataDir,
      COMPANYOS_JWT_SECRET: secret,
      COMPANYOS_SIGNING_KEY: signingKey,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return { proc, base: `http://127.0.0.1:${port}`, dataDir };
}

const servers: BenchServer[] = [await startServer(0)];
const serversCpu = () => servers.reduce((sum, s) => sum + processCpuSeconds(s.proc.pid!), 0);

async function cleanup(): Promise<void> {
  for (const s of servers) s.proc.kill('SIGTERM');
  await Promise.all(servers.map((s) => (s.proc.exitCode === null ? new Promise((r) => s.proc.once('exit', r)) : undefined)));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
  for (const s of servers) await rm(s.dataDir, { recursive: true, force: true });
}

let sent = 0;
try {
  await untilReady(servers[0]!.base);
  // The others once the first has migrated the schema.
  for (let n = 1; n < serverCount; n++) servers.push(await startServer(n));
  for (const s of servers.slice(1)) await untilReady(s.base);
  const base = servers[0]!.base;
  const token = await issueDevelopmentToken(new TextEncoder().encode(secret), { issuer: 'companyos-dev', audience: 'companyos' }, { tenant: 'bench', roles: ['editor'], region: 'us-east' }, Math.floor(Date.now() / 1000));
  const provenance = { sourceSystem: 'bench', observedAt: T0, reason: 'benchmark', evidenceRefs: ['bench:run'] };

  // Each iteration of a client: a Build node, an Artifact node, and the BUILDS edge between them (which
  // reads both node streams): two thirds new-stream appends, one third cross-aggregate commands.
  const commands = (c: number, i: number) => [
    ['graph.node.upsert', { id: `build:${c}-${i}`, type: 'Build', region: 'us-east', attributes: { number: i, pipeline: 'ci' }, provenance }],
    ['graph.node.upsert', { id: `artifact:${c}-${i}`, type: 'Artifact', region: 'us-east', attributes: { digest: `sha256:${c}${i}`, kind: 'image' }, provenance }],
    ['graph.edge.assert', { type: 'BUILDS', from: `build:${c}-${i}`, to: `artifact:${c}-${i}`, region: 'us-east', provenance }],
  ] as const;

  const clients = servers.map((s) => commandClient(s.base, token, Math.max(...clientCounts)));
  /** Client `c` sends to server `c mod servers`. */
  const send = (type: string, body: unknown, c = 0) => {
    sent++;
    return clients[c % clients.length]!.send(type, body);
  };

  // Warm-up: JIT, connection pool, Cedar.
  for (let i = 0; i < 50; i++) for (const [type, body] of commands(9999, i)) await send(type, body);

  // One round: `clients` clients for `seconds`; latency of the accepted (201) commands only, since a
  // refused one answers at once; a refused client waits its Retry-After, as a well-behaved client does.
  const round_ = async (clients: number, r: number) => {
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const deadline = performance.now() + seconds * 1000;
    const serverCpu0 = serversCpu();
    const clientCpu0 = cpuSeconds();
    const host0 = hostBusySeconds();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = 0; performance.now() < deadline; i++) {
          for (const [type, body] of commands(r * 10_000 + c, i)) {
            const t0 = performance.now();
            const { status, retryAfter } = await send(type, body, c);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (status === 201) latencies.push(performance.now() - t0);
            if (retryAfter !== undefined) {
              // Jittered (1–2× Retry-After), as clients should: refused clients must not return in one burst.
              await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 * (1 + Math.random())));
              break;
            }
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const serverCpu = serversCpu() - serverCpu0;
    const clientCpu = cpuSeconds() - clientCpu0;
    const hostCpu = hostBusySeconds() - host0;
    const ok = statuses.get(201) ?? 0;
    const refused = (statuses.get(429) ?? 0) + (statuses.get(503) ?? 0);
    const errors = [...statuses].reduce((n, [status, count]) => n + (status === 201 ? 0 : count), 0);
    const serverCpuMsPerCommand = round((serverCpu * 1000) / Math.max(1, ok));
    const clientCpuMsPerCommand = round((clientCpu * 1000) / Math.max(1, ok));
    const hostCpuMsPerCommand = round((hostCpu * 1000) / Math.max(1, ok));
    return { hostCpuMsPerCommand, clients, elapsed, ok, refused, errors, statuses, latency: latencySummary(latencies), perSecond: round(ok / elapsed, 0), serverCpu, serverCpuMsPerCommand, clientCpuMsPerCommand };
  };

  const rounds = [];
  for (const [r, clients] of clientCounts.entries()) rounds.push(await round_(clients, r));
  for (const c of clients) c.close();
  const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
  // The peer, in the same run with the server idle: Emmett's bare appends, 16 writers on distinct streams.
  const emmett: WriterPhase | undefined = peer === 'emmett' ? await emmettWriters16(databaseUrl, seconds) : undefined;
  const serverRss = Number(/companyos_process_resident_memory_bytes (\d+)/.exec(metrics)?.[1] ?? NaN);
  const shed = (reason: string) => Number(new RegExp(`companyos_commands_shed_total\\{reason="${reason}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);

  console.log(`machine: ${machine()}`);
  console.log(`log: PostgreSQL ${new URL(databaseUrl).host} schema ${schema}; ${seconds} s per round`);
  for (const x of rounds) {
    const l = x.latency;
    console.log(
      `${String(x.clients).padStart(4)} clients: ${x.ok} appended (${x.perSecond}/s), ${x.refused} refused (429/503), ${x.errors - x.refused} other errors ${JSON.stringify(Object.fromEntries(x.statuses))}; ` +
        `accepted latency ms: p50 ${l.p50}  p95 ${l.p95}  p99 ${l.p99}  max ${l.max}; ` +
        `server CPU ${x.serverCpuMsPerCommand} ms/command (${round(x.serverCpu, 1)} s), load generator ${x.clientCpuMsPerCommand} ms/command, ` +
        `whole host ${x.hostCpuMsPerCommand} ms/command`,
    );
  }
  if (emmett) {
    console.log(
      `emmett: 16 writers, bare appends on distinct streams: ${emmett.eventsPerS} events/s, latency ms p50 ${emmett.p50} p95 ${emmett.p95} p99 ${emmett.p99}, ` +
        `client CPU ${round(emmett.cpuMsPer1000 / 1000, 3)} ms/append, whole host ${round(emmett.hostCpuMsPer1000 / 1000, 3)} ms/append`,
    );
    const emmettCpuMs = emmett.cpuMsPer1000 / 1000;
    for (const x of rounds) {
      console.log(
        `${String(x.clients).padStart(4)} clients: commands/s ÷ Emmett's 16-writer appends/s = ${round(x.perSecond / emmett.eventsPerS)} (target ≥ 0.75); ` +
          `CPU: server ${x.serverCpuMsPerCommand} ms/command ÷ Emmett ${round(emmettCpuMs, 3)} ms/append = ${round(x.serverCpuMsPerCommand / emmettCpuMs, 1)}× (PostgreSQL's share not counted on either side); ` +
          `whole host ${round(x.hostCpuMsPerCommand / (emmett.hostCpuMsPer1000 / 1000), 1)}×`,
      );
    }
  }
  console.log(load());
  if (rounds.length > 1) {
    const [first, last] = [rounds[0]!, rounds[rounds.length - 1]!];
    console.log(`p99 at ${last.clients} clients / p99 at ${first.clients}: ${round(last.latency.p99 / first.latency.p99)}× (target ≤ 2×)`);
  }
  console.log(`server: shed process ${shed('process')}, tenant ${shed('tenant')}, timeout ${shed('timeout')}`);
  console.log(`memory: server rss ${(serverRss / 2 ** 20).toFixed(0)} MiB; load generator ${memory()}`);
  for (const x of rounds) {
    const l = x.latency;
    const vsPeer = emmett ? { peer: 'emmett', emmett_writers16_events_per_s: emmett.eventsPerS, emmett_cpu_ms_per_append: round(emmett.cpuMsPer1000 / 1000, 3), emmett_host_cpu_ms_per_append: round(emmett.hostCpuMsPer1000 / 1000, 3), ratio: round(x.perSecond / emmett.eventsPerS) } : {};
    console.log(JSON.stringify({ bench: 'commands', commands_per_s: x.perSecond, p50_ms: l.p50, p95_ms: l.p95, p99_ms: l.p99, clients: x.clients, refused: x.refused, errors: x.errors - x.refused, server_cpu_ms_per_command: x.serverCpuMsPerCommand, host_cpu_ms_per_command: x.hostCpuMsPerCommand, ...vsPeer }));
  }
} finally {
  await cleanup();
}
if (census) {
  // Written by the server as it exited; every command sent counts (warm-up and refused ones too).
  const summed = new Map<string, number>();
  for (const file of Array.from({ length: serverCount }, (_, n) => (n > 0 ? `${census}.${n}` : census))) {
    for (const [statement, n] of Object.entries(JSON.parse(await readFile(file, 'utf8')) as Record<string, number>)) summed.set(statement, (summed.get(statement) ?? 0) + n);
    await rm(file, { force: true });
  }
  const counts = [...summed];
  const kinds: [string, string, RegExp][] = [
    ['tail_reads', 'log tail reads (subscriptions, followers)', /FROM events WHERE position > /],
    ['stream_reads', "stream reads (the command's own and related streams)", /FROM events WHERE stream = /],
    ['appends', 'appends (append_batch)', /append_batch\(/],
    // A projector's batch opens (BEGIN, checkpoint) in the round trip of its first statement and commits in its last:
    // they count as the read model's. A batch with no writes of its own (ClickHouse read models) counts as a checkpoint.
    ['graph', 'graph read model', /graph_(node|edge|apply)/],
    ['tree', 'tree (Merkle) read model', /tree_/],
    ['projection_checkpoints', 'projection checkpoints', /projection_checkpoints|advance_checkpoint\(/],
    ['transactions', 'transactions (BEGIN/COMMIT/ROLLBACK)', /^(BEGIN|COMMIT|ROLLBACK)$/i],
  ];
  const byKind = new Map<string, number>();
  let total = 0;
  for (const [text, n] of counts) {
    total += n;
    const id = kinds.find(([, , re]) => re.test(text))?.[0] ?? 'other';
    byKind.set(id, (byKind.get(id) ?? 0) + n);
  }
  const label = (id: string) => kinds.find(([k]) => k === id)?.[1] ?? 'other';
  console.log(`queries: ${total} round trips (SQL statements, or pipelines of several) for ${sent} commands sent (warm-up and refused included): ${round(total / sent)} per command`);
  for (const [id, n] of [...byKind].sort((a, b) => b[1] - a[1])) console.log(`  ${String(round(n / sent)).padStart(6)} per command  ${label(id)}`);
  console.log(JSON.stringify({ bench: 'commands-queries', statements_per_command: round(total / sent), ...Object.fromEntries([...byKind].map(([id, n]) => [`${id}_per_command`, round(n / sent)])) }));
}
