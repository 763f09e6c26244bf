// bench:commands — concurrent clients sending sealed graph commands over HTTP to a server on real
// PostgreSQL (policy, sealing and append included). The server runs in its own process, as in production.
// Usage: npm run bench:commands [-- --clients 16 --seconds 20]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { issueDevelopmentToken } from '../../adapters/auth/jwt.js';
import { latencySummary, machine, memory, numberArg, round } from './report.js';

const clients = numberArg('clients', 16);
const seconds = numberArg('seconds', 20);
const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const port = 20000 + Math.floor(Math.random() * 20000);
const schema = `bench_${randomBytes(4).toString('hex')}`;
const secret = 'bench-secret-bench-secret-bench-secret';
const base = `http://127.0.0.1:${port}`;
const T0 = '2026-01-01T00:00:00Z';

const dataDir = await mkdtemp(join(tmpdir(), 'companyos-bench-'));
const server = spawn(process.execPath, [...(process.env['BENCH_SERVER_NODE_ARGS']?.split(' ') ?? []), resolve(import.meta.dirname, '../companyos.js'), 'serve'], {
  env: { ...process.env, PORT: String(port), DATABASE_URL: databaseUrl, COMPANYOS_PG_SCHEMA: schema, COMPANYOS_DATA_DIR: dataDir, COMPANYOS_JWT_SECRET: secret },
  stdio: ['ignore', 'inherit', 'inherit'],
});

async function cleanup(): Promise<void> {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
  await rm(dataDir, { recursive: true, force: true });
}

try {
  for (let i = 0; ; i++) {
    if (i > 300) throw new Error('server did not become ready');
    const ready = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = await issueDevelopmentToken(new TextEncoder().encode(secret), { issuer: 'companyos-dev', audience: 'companyos' }, { tenant: 'bench', roles: ['editor'], region: 'us-east' }, Math.floor(Date.now() / 1000));
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const provenance = { sourceSystem: 'bench', observedAt: T0, reason: 'benchmark', evidenceRefs: ['bench:run'] };

  // Each iteration of a client: a Build node, an Artifact node, and the BUILDS edge between them (which
  // reads both node streams): two thirds new-stream appends, one third cross-aggregate commands.
  const commands = (c: number, i: number) => [
    ['graph.node.upsert', { id: `build:${c}-${i}`, type: 'Build', region: 'us-east', attributes: { number: i, pipeline: 'ci' }, provenance }],
    ['graph.node.upsert', { id: `artifact:${c}-${i}`, type: 'Artifact', region: 'us-east', attributes: { digest: `sha256:${c}${i}`, kind: 'image' }, provenance }],
    ['graph.edge.assert', { type: 'BUILDS', from: `build:${c}-${i}`, to: `artifact:${c}-${i}`, region: 'us-east', provenance }],
  ] as const;

  const send = async (type: string, body: unknown) => {
    const res = await fetch(`${base}/v1/commands/${type}`, { method: 'POST', headers, body: JSON.stringify(body) });
    await res.arrayBuffer();
    return res.status;
  };

  // Warm-up: JIT, connection pool, Cedar.
  for (let i = 0; i < 50; i++) for (const [type, body] of commands(9999, i)) await send(type, body);

  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < deadline; i++) {
        for (const [type, body] of commands(c, i)) {
          const t0 = performance.now();
          const status = await send(type, body);
          latencies.push(performance.now() - t0);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const ok = statuses.get(201) ?? 0;
  const errors = latencies.length - ok;
  const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
  const serverRss = Number(/companyos_process_resident_memory_bytes (\d+)/.exec(metrics)?.[1] ?? NaN);
  const l = latencySummary(latencies);
  const perSecond = round(ok / elapsed, 0);

  console.log(`machine: ${machine()}`);
  console.log(`log: PostgreSQL ${new URL(databaseUrl).host} schema ${schema}; ${clients} clients for ${round(elapsed, 1)} s`);
  console.log(`commands: ${ok} appended (${perSecond}/s), ${errors} not 201 ${JSON.stringify(Object.fromEntries(statuses))}`);
  console.log(`latency ms: p50 ${l.p50}  p95 ${l.p95}  p99 ${l.p99}  max ${l.max}`);
  console.log(`memory: server rss ${(serverRss / 2 ** 20).toFixed(0)} MiB; load generator ${memory()}`);
  console.log(JSON.stringify({ bench: 'commands', commands_per_s: perSecond, p50_ms: l.p50, p95_ms: l.p95, p99_ms: l.p99, clients, errors }));
} finally {
  await cleanup();
}
