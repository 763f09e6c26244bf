// PostgreSQL outages, on a private cluster this test owns (test/private-postgres.ts), with `companyos serve`
// as a child process on it, as an operator would see them:
// - PostgreSQL stopped (a crash: immediate mode) for ~8 s under 8 writers, then started: while it is down
//   commands answer 503 with Retry-After and /readyz names the event log; afterwards every acknowledged
//   write is in the log exactly once (writers retry with the same Idempotency-Key), writes succeed again
//   and every projection catches up to the log's head by itself.
// - The server killed with SIGKILL under 16 writers, then started again: every acknowledged write is in
//   the log, once.
// Detect and recover times and the counts are printed for the README's figures; none is asserted.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { issueDevelopmentToken } from '../adapters/auth/jwt.js';
import { exited, printed } from './child-process.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

const root = resolve(import.meta.dirname, '..');
const SECRET = 'outage-secret-outage-secret-outage-secret';
const T0 = '2026-01-01T00:00:00Z';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cluster: PrivatePostgres;
let dataDir: string;
let server: ChildProcess | undefined;
let base: string;

async function startServer(): Promise<void> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DATABASE_URL: cluster.url,
    COMPANYOS_DATA_DIR: dataDir,
    COMPANYOS_JWT_SECRET: SECRET,
    COMPANYOS_COMMAND_TIMEOUT: '5',
  };
  for (const name of ['EVENTSTORE_URL', 'CLICKHOUSE_URL', 'NATS_URL', 'COMPANYOS_PG_SCHEMA']) delete env[name];
  server = spawn(process.execPath, ['bin/companyos.js', 'serve'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stderr!.resume();
  await printed(server, 'companyos: listening', 180_000);
  server.stdout!.resume();
  base = `http://127.0.0.1:${port}`;
}

async function stopServer(): Promise<void> {
  if (server === undefined || server.exitCode !== null || server.signalCode !== null) return;
  server.kill('SIGTERM');
  await exited(server, 60_000).catch(() => undefined);
}

const tokenFor = (tenant: string) =>
  issueDevelopmentToken(new TextEncoder().encode(SECRET), { issuer: 'companyos-dev', audience: 'companyos' }, { tenant, roles: ['editor'], region: 'us-east', subject: 'writer' }, Math.floor(Date.now() / 1000));

/** What the writers saw. */
interface Tally {
  readonly acked: string[];
  /** When each acknowledgement arrived (performance.now()). */
  readonly ackedAt: number[];
  unavailable: number;
  unavailableWithoutRetryAfter: number;
  transport: number;
  slowestMs: number;
  readonly other: Map<number, number>;
}
const tally = (): Tally => ({ acked: [], ackedAt: [], unavailable: 0, unavailableWithoutRetryAfter: 0, transport: 0, slowestMs: 0, other: new Map() });

/**
 * A writer: node upserts with fresh ids, each re-sent with the same Idempotency-Key until acknowledged
 * (201 or 200), as a client honouring 503 does (here after 50 ms, to see many answers during an outage).
 * Ends when `done()` says so after an acknowledgement, or at a transport error when `endAtTransportError`.
 */
async function writer(name: string, token: string, t: Tally, done: () => boolean, endAtTransportError: boolean): Promise<void> {
  for (let i = 0; !done(); i++) {
    const id = `svc:${name}-${i}`;
    const body = JSON.stringify({ id, type: 'Service', region: 'us-east', attributes: { name: id }, provenance: { sourceSystem: 'outage-test', observedAt: T0 } });
    for (;;) {
      const started = performance.now();
      let status: number | 'transport';
      let retryAfter: string | null = null;
      try {
        const res = await fetch(`${base}/v1/commands/graph.node.upsert`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `outage:${id}` },
          body,
        });
        await res.arrayBuffer();
        status = res.status;
        retryAfter = res.headers.get('retry-after');
      } catch {
        status = 'transport';
      }
      t.slowestMs = Math.max(t.slowestMs, performance.now() - started);
      if (status === 201 || status === 200) {
        t.acked.push(id);
        t.ackedAt.push(performance.now());
        break;
      }
      if (status === 'transport') {
        t.transport++;
        if (endAtTransportError) return;
      } else if (status === 503) {
        t.unavailable++;
        if (retryAfter === null) t.unavailableWithoutRetryAfter++;
      } else t.other.set(status, (t.other.get(status) ?? 0) + 1);
      await sleep(50);
    }
  }
}

/** Polls `condition` every 50 ms; fails the test after `limitMs` saying `what` never happened. */
async function until(what: string, condition: () => boolean | Promise<boolean>, limitMs = 60_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!(await condition())) {
    if (performance.now() > deadline) assert.unreachable(`${what} did not happen within ${limitMs / 1000} s`);
    await sleep(50);
  }
}

async function sql<R>(text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as R[];
  } finally {
    await client.end();
  }
}

/** Events of each of `tenant`'s node streams, by node id. */
async function nodeEventCounts(tenant: string): Promise<Map<string, number>> {
  const rows = await sql<{ stream: string; n: string }>(
    `SELECT stream, count(*) AS n FROM companyos.events WHERE stream LIKE $1 GROUP BY stream`,
    [`${tenant}/graph.node/%`],
  );
  return new Map(rows.map((r) => [r.stream.slice(`${tenant}/graph.node/`.length), Number(r.n)]));
}

const readyz = async (): Promise<{ status: number; body: any }> => {
  try {
    const res = await fetch(`${base}/readyz`);
    return { status: res.status, body: await res.json() };
  } catch {
    return { status: 0, body: undefined };
  }
};

const outage = suite('outage: PostgreSQL and the server process');
outage.before(async () => {
  cluster = await startPrivatePostgres();
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-outage-'));
  await startServer();
});
outage.after(async () => {
  if (server !== undefined && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  await cluster?.destroy();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

outage('PostgreSQL down for ~8 s under 8 writers: 503 with Retry-After and /readyz naming the log; afterwards every acknowledged write once, writes succeed, projections catch up', async () => {
  const tenant = 'outage-pg';
  const token = await tokenFor(tenant);
  const t = tally();
  let stopWriters = false;
  const writers = Array.from({ length: 8 }, (_, w) => writer(`w${w}`, token, t, () => stopWriters, false));

  await until('80 acknowledged writes before the outage', () => t.acked.length >= 80);
  await cluster.stop('immediate');
  const down = performance.now();
  const ackedBefore = t.acked.length;
  // Detected: /readyz names the event log, and commands answer 503 with Retry-After.
  await until('/readyz naming the event log', async () => {
    const r = await readyz();
    return r.status === 503 && Array.isArray(r.body?.waiting) && r.body.waiting.includes('event log');
  });
  const detectedMs = performance.now() - down;
  await until('commands answering 503', () => t.unavailable >= 8);
  await sleep(Math.max(0, 8_000 - (performance.now() - down)));
  const unavailableWhileDown = t.unavailable;
  await cluster.start();
  const up = performance.now();
  await until('a write acknowledged after PostgreSQL returned', () => t.ackedAt.some((at) => at > up));
  const recoveredMs = Math.min(...t.ackedAt.filter((at) => at > up)) - up;
  await until('80 more writes after PostgreSQL returned', () => t.acked.length >= ackedBefore + 80);
  stopWriters = true;
  await Promise.all(writers);

  assert.ok(unavailableWhileDown >= 8, 'commands answered 503 while PostgreSQL was down');
  assert.is(t.unavailableWithoutRetryAfter, 0, 'every 503 carries Retry-After');
  assert.equal(Object.fromEntries(t.other), {}, 'no answer other than 201, 200 or 503');
  assert.is(t.transport, 0, 'every request was answered');

  // Every acknowledged write is in the log, exactly once; nothing else of these writers is.
  const counts = await nodeEventCounts(tenant);
  const missing = t.acked.filter((id) => counts.get(id) !== 1);
  assert.equal(missing, [], 'every acknowledged write is in the log exactly once');
  assert.is(counts.size, t.acked.length, 'the log holds no write that was not acknowledged');

  // The projectors resume by themselves: every one reaches the log's head.
  let head = 0n;
  await until('every projection at the log head', async () => {
    head = BigInt((await sql<{ head: string }>('SELECT max(position)::text AS head FROM companyos.events'))[0]!.head);
    const r = await readyz();
    const projections: { name: string; checkpoint: string | null }[] = r.body?.projections ?? [];
    return r.status === 200 && projections.length > 0 && projections.every((p) => p.checkpoint !== null && BigInt(p.checkpoint) >= head);
  }, 120_000);
  const caughtUpMs = performance.now() - up;
  console.log(
    `  figures: PostgreSQL down ${((up - down) / 1000).toFixed(1)} s under 8 writers: detected (/readyz) in ${detectedMs.toFixed(0)} ms; ` +
      `${unavailableWhileDown} answers 503 + Retry-After; writes again ${recoveredMs.toFixed(0)} ms after it returned; projections at the head (${head}) after ${(caughtUpMs / 1000).toFixed(1)} s; ` +
      `acknowledged ${t.acked.length}, in the log ${counts.size} (each once); slowest answer ${t.slowestMs.toFixed(0)} ms`,
  );
});

outage('the server killed with SIGKILL under 16 writers: after a restart every acknowledged write is in the log, once', async () => {
  const tenant = 'outage-kill';
  const token = await tokenFor(tenant);
  const t = tally();
  const writers = Array.from({ length: 16 }, (_, w) => writer(`k${w}`, token, t, () => false, true));
  await until('100 acknowledged writes', () => t.acked.length >= 100);
  server!.kill('SIGKILL');
  await exited(server!, 30_000);
  await Promise.all(writers);
  await startServer();

  const counts = await nodeEventCounts(tenant);
  const missing = t.acked.filter((id) => counts.get(id) !== 1);
  assert.equal(missing, [], 'every acknowledged write is in the log exactly once');
  // At most one write per writer was in flight at the kill: committed or not, never more.
  assert.ok(counts.size <= t.acked.length + 16, `${counts.size} in the log, ${t.acked.length} acknowledged`);
  // And the restarted server takes writes again.
  const after = tally();
  await writer('after', token, after, () => after.acked.length >= 1, true);
  assert.is(after.acked.length, 1);
  console.log(`  figures: SIGKILL under 16 writers: acknowledged ${t.acked.length}, in the log ${t.acked.filter((id) => counts.get(id) === 1).length} (+${counts.size - t.acked.length} unacknowledged that committed)`);
  await stopServer();
});

outage.run();
