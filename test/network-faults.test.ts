// Network faults between the server and PostgreSQL (issue 15), made by a TCP proxy on loopback
// (test/tcp-proxy.ts) in front of the shared PostgreSQL, in a schema of this test's own: `companyos serve`
// (a child process) connects through the proxy, the database is untouched. Under 6 writers that re-send
// with the same Idempotency-Key until acknowledged:
// - 25 ms of latency each way: writes go on;
// - a partition of 10 s (nothing passes, new connections hang): every request is answered, with 503 and
//   Retry-After (a statement unanswered past COMPANYOS_PG_QUERY_TIMEOUT fails as unavailable, a command
//   past COMPANYOS_COMMAND_TIMEOUT answers 503), and writes succeed again once it heals;
// - every connection reset mid-load: writes succeed again;
// and afterwards every acknowledged write is in the log exactly once and every projection reaches the head.
// Detect and recover times and the counts are printed for the README's figures; none is asserted.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readyz, sleep, startServe, tally, tokenFor, until, writer, type ServeChild } from './outage-support.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `netfault_${randomBytes(4).toString('hex')}`;
let proxy: TcpProxy;
let dataDir: string;
let server: ServeChild | undefined;
const base = () => server!.base;

/** Straight to PostgreSQL, not through the proxy: what the log really holds. */
async function sql<R>(text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as R[];
  } finally {
    await client.end();
  }
}

const faults = suite('network faults between the server and PostgreSQL');
faults.before(async () => {
  const target = new URL(DATABASE_URL);
  proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-netfault-'));
  server = await startServe({ DATABASE_URL: proxy.url(DATABASE_URL), COMPANYOS_PG_SCHEMA: schema, COMPANYOS_DATA_DIR: dataDir, COMPANYOS_PG_QUERY_TIMEOUT: '2' });
});
faults.after(async () => {
  if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  await proxy?.close();
  await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

faults('latency, a 10 s partition and reset connections under 6 writers: 503 + Retry-After while partitioned, then every acknowledged write once and projections at the head', async () => {
  const tenant = 'netfault';
  const token = await tokenFor(tenant);
  const t = tally();
  let stopWriters = false;
  const writers = Array.from({ length: 6 }, (_, w) => writer(base, `n${w}`, token, t, () => stopWriters, false));
  await until('30 acknowledged writes', () => t.acked.length >= 30);

  proxy.latency(25);
  const slowFrom = t.acked.length;
  await until('30 writes acknowledged with 25 ms of latency', () => t.acked.length >= slowFrom + 30);
  proxy.latency(0);

  proxy.partition();
  const cut = performance.now();
  const unavailableBefore = t.unavailable;
  await until('a 503 while partitioned', () => t.unavailable > unavailableBefore, 30_000);
  const detectedMs = performance.now() - cut;
  await sleep(Math.max(0, 10_000 - (performance.now() - cut)));
  const unavailableWhileCut = t.unavailable - unavailableBefore;
  const ackedWhileCut = t.ackedAt.filter((at) => at > cut).length;
  proxy.heal();
  const healed = performance.now();
  await until('a write acknowledged after the partition healed', () => t.ackedAt.some((at) => at > healed), 60_000);
  const recoveredMs = Math.min(...t.ackedAt.filter((at) => at > healed)) - healed;

  const beforeReset = t.acked.length;
  proxy.reset();
  const reset = performance.now();
  await until('30 writes acknowledged after every connection was reset', () => t.acked.length >= beforeReset + 30, 60_000);
  const afterResetMs = Math.min(...t.ackedAt.filter((at) => at > reset)) - reset;
  stopWriters = true;
  await Promise.all(writers);

  assert.ok(unavailableWhileCut > 0, 'commands answered 503 while partitioned');
  assert.is(t.unavailableWithoutRetryAfter, 0, 'every 503 carries Retry-After');
  // 429 is backpressure: commands that timed out in the partition still hold the tenant's slots until they end.
  assert.ok([...t.other.keys()].every((s) => s === 429), `no answer other than 201, 200, 503 or 429: ${JSON.stringify(Object.fromEntries(t.other))}`);
  assert.is(t.transport, 0, 'every request was answered');

  // Every acknowledged write is in the log exactly once, whatever its attempts saw; nothing else is.
  const rows = await sql<{ stream: string; n: string }>(`SELECT stream, count(*) AS n FROM ${schema}.events WHERE stream LIKE $1 GROUP BY stream`, [`${tenant}/graph.node/%`]);
  const counts = new Map(rows.map((r) => [r.stream.slice(`${tenant}/graph.node/`.length), Number(r.n)]));
  assert.equal(t.acked.filter((id) => counts.get(id) !== 1), [], 'every acknowledged write is in the log exactly once');
  assert.is(counts.size, t.acked.length, 'the log holds no write that was not acknowledged');

  // The projectors, the executor and the relay resume by themselves: every projection reaches the head.
  let head = 0n;
  await until('every projection at the log head', async () => {
    head = BigInt((await sql<{ head: string }>(`SELECT max(position)::text AS head FROM ${schema}.events`))[0]!.head);
    const r = await readyz(base());
    const projections: { name: string; checkpoint: string | null }[] = r.body?.projections ?? [];
    return r.status === 200 && projections.length > 0 && projections.every((p) => p.checkpoint !== null && BigInt(p.checkpoint) >= head);
  }, 120_000);
  const caughtUpMs = performance.now() - healed;
  console.log(
    `  figures: partition of ${((healed - cut) / 1000).toFixed(1)} s under 6 writers: first 503 after ${detectedMs.toFixed(0)} ms; ` +
      `${unavailableWhileCut} answers 503 + Retry-After and ${ackedWhileCut} acknowledged while cut; writes again ${recoveredMs.toFixed(0)} ms after it healed; ` +
      `after a reset of every connection, writes again in ${afterResetMs.toFixed(0)} ms; projections at the head (${head}) ${(caughtUpMs / 1000).toFixed(1)} s after the heal; ` +
      `acknowledged ${t.acked.length}, in the log ${counts.size} (each once); slowest answer ${t.slowestMs.toFixed(0)} ms; proxy connections ${proxy.stats.accepted}`,
  );
  await server!.stop();
});

faults.run();
