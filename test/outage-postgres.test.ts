// PostgreSQL outages, on a private cluster this test owns (test/private-postgres.ts), with `companyos serve`
// as a child process on it, as an operator would see them:
// - PostgreSQL stopped (a crash: immediate mode) for ~8 s under 8 writers, then started: while it is down
//   commands answer 503 with Retry-After and /readyz names the event log; afterwards every acknowledged
//   write is in the log exactly once (writers retry with the same Idempotency-Key), writes succeed again,
//   and every projection, the relay and the checkpointer catch up by themselves.
// - The server killed with SIGKILL under 16 writers, then started again: every acknowledged write is in
//   the log, once.
// Detect and recover times and the counts are printed for the README's figures; none is asserted.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exited } from './child-process.js';
import { loudly, readyz, sleep, startServe, tally, tokenFor, until, writer, type ServeChild } from './outage-support.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

let cluster: PrivatePostgres;
let dataDir: string;
let server: ServeChild | undefined;
const base = () => server!.base;
const serve = async () => void (server = await startServe({ DATABASE_URL: cluster.url, COMPANYOS_DATA_DIR: dataDir }));

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

const outage = suite('outage: PostgreSQL and the server process');
outage.before(loudly(async () => {
  cluster = await startPrivatePostgres();
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-outage-'));
  await serve();
}));
outage.after(async () => {
  if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  await cluster?.destroy();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

outage('PostgreSQL down for ~8 s under 8 writers: 503 with Retry-After and /readyz naming the log; afterwards every acknowledged write once, writes succeed, projections catch up', async () => {
  const tenant = 'outage-pg';
  const token = await tokenFor(tenant);
  const t = tally();
  let stopWriters = false;
  const writers = Array.from({ length: 8 }, (_, w) => writer(base, `w${w}`, token, t, () => stopWriters, false));

  await until('80 acknowledged writes before the outage', () => t.acked.length >= 80);
  await cluster.stop('immediate');
  const down = performance.now();
  const ackedBefore = t.acked.length;
  // Detected: /readyz names the event log, and commands answer 503 with Retry-After.
  await until('/readyz naming the event log', async () => {
    const r = await readyz(base());
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
    const r = await readyz(base());
    const projections: { name: string; checkpoint: string | null }[] = r.body?.projections ?? [];
    return r.status === 200 && projections.length > 0 && projections.every((p) => p.checkpoint !== null && BigInt(p.checkpoint) >= head);
  }, 120_000);
  const caughtUpMs = performance.now() - up;
  // So do the relay (its checkpoint at the head) and the checkpointer (a signed checkpoint of the tenant's
  // tree covering every acknowledged write; the tree's leaves are the tenant's events, checkpoints too).
  await until('the relay at the head and a checkpoint covering every acknowledged write', async () => {
    const [relay] = await sql<{ position: string | null }>(`SELECT position::text FROM companyos.projection_checkpoints WHERE name LIKE 'relay:%'`);
    const [signed] = await sql<{ size: string | null }>(
      `SELECT max((data->>'treeSize')::bigint)::text AS size FROM companyos.events WHERE stream = $1 AND type = 'ledger.checkpoint.signed'`,
      [`${tenant}/ledger`],
    );
    return relay?.position != null && BigInt(relay.position) >= head && signed?.size != null && Number(signed.size) >= t.acked.length;
  }, 120_000);
  const followersMs = performance.now() - up;
  console.log(
    `  figures: PostgreSQL down ${((up - down) / 1000).toFixed(1)} s under 8 writers: detected (/readyz) in ${detectedMs.toFixed(0)} ms; ` +
      `${unavailableWhileDown} answers 503 + Retry-After; writes again ${recoveredMs.toFixed(0)} ms after it returned; projections at the head (${head}) after ${(caughtUpMs / 1000).toFixed(1)} s, relay and checkpointer after ${(followersMs / 1000).toFixed(1)} s; ` +
      `acknowledged ${t.acked.length}, in the log ${counts.size} (each once); slowest answer ${t.slowestMs.toFixed(0)} ms`,
  );
});

outage('the server killed with SIGKILL under 16 writers: after a restart every acknowledged write is in the log, once', async () => {
  // Two tenants of eight writers: each within its share of the command slots, so all sixteen are in flight.
  const tenants = ['outage-kill-a', 'outage-kill-b'] as const;
  const tokens = await Promise.all(tenants.map(tokenFor));
  const tallies = tenants.map(() => tally());
  const acked = () => tallies.reduce((n, t) => n + t.acked.length, 0);
  const writers = Array.from({ length: 16 }, (_, w) => writer(base, `k${w}`, tokens[w % 2]!, tallies[w % 2]!, () => false, true));
  await until('100 acknowledged writes', () => acked() >= 100);
  server!.child.kill('SIGKILL');
  await exited(server!.child, 30_000);
  await Promise.all(writers);
  await serve();

  let found = 0;
  let extra = 0;
  for (const [i, tenant] of tenants.entries()) {
    const counts = await nodeEventCounts(tenant);
    const t = tallies[i]!;
    assert.equal(t.acked.filter((id) => counts.get(id) !== 1), [], `every acknowledged write of ${tenant} is in the log exactly once`);
    // At most one write per writer was in flight at the kill: committed or not, never more.
    assert.ok(counts.size <= t.acked.length + 8, `${counts.size} in the log, ${t.acked.length} acknowledged`);
    found += t.acked.length;
    extra += counts.size - t.acked.length;
  }
  // And the restarted server takes writes again.
  const after = tally();
  await writer(base, 'after', tokens[0]!, after, () => after.acked.length >= 1, true);
  assert.is(after.acked.length, 1);
  console.log(`  figures: SIGKILL under 16 writers: acknowledged ${acked()}, in the log ${found} (+${extra} unacknowledged that committed)`);
  await server!.stop();
});

outage.run();
