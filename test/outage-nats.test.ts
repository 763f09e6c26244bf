// NATS restarted under relay and ingest load, on a private nats-server and a private PostgreSQL this test
// owns, with `companyos serve` as a child process on them: HTTP writers keep committing (the relay must
// publish their events) and publishers keep sending ingest messages (each re-sent with its Nats-Msg-Id until
// JetStream acknowledges it). NATS is stopped (SIGTERM) for ~4 s and started on the same store. Afterwards,
// without touching the server: every acknowledged ingest message is in the log exactly once, and every
// event of the log is in COMPANYOS_EVENTS exactly once (the relay re-sends from its checkpoint; the
// duplicate window absorbs repeats). Times are printed for the README's figures, not asserted.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EVENTS_STREAM } from '../adapters/nats/jetstream-bus.js';
import { readStream } from './nats-support.js';
import { loudly, nodeBody, sleep, startServe, tally, tokenFor, until, writer, type ServeChild } from './outage-support.js';
import { startPrivateNats, type PrivateNats } from './private-nats.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

let cluster: PrivatePostgres;
let nats: PrivateNats;
let dataDir: string;
let server: ServeChild;
let nc: NatsConnection;

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
  const rows = await sql<{ stream: string; n: string }>(`SELECT stream, count(*) AS n FROM companyos.events WHERE stream LIKE $1 GROUP BY stream`, [`${tenant}/graph.node/%`]);
  return new Map(rows.map((r) => [r.stream.slice(`${tenant}/graph.node/`.length), Number(r.n)]));
}

/**
 * A publisher of ingest messages: node upserts for `tenant`, each re-sent with the same Nats-Msg-Id until
 * JetStream acknowledges it; ends when `done()` after an acknowledgement.
 */
async function publisher(tenant: string, name: string, acked: string[], ackedAt: number[], done: () => boolean): Promise<number> {
  let failures = 0;
  for (let i = 0; !done(); i++) {
    const id = `svc:${name}-${i}`;
    const data = new TextEncoder().encode(JSON.stringify(nodeBody(id, 'nats-outage')));
    for (;;) {
      try {
        await nc.jetstream().publish(`ingest.${tenant}.graph_node_upsert`, data, { msgID: `outage:${id}`, timeout: 2_000 });
        acked.push(id);
        ackedAt.push(performance.now());
        // A steady load the ingest keeps up with, so catching up measures the outage, not a backlog.
        await sleep(50);
        break;
      } catch {
        failures++;
        await sleep(100);
      }
    }
  }
  return failures;
}

const test = suite('outage: NATS restarted under relay and ingest load');
test.before(loudly(async () => {
  [cluster, nats] = await Promise.all([startPrivatePostgres(), startPrivateNats()]);
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-outage-nats-'));
  server = await startServe({ DATABASE_URL: cluster.url, NATS_URL: nats.url, COMPANYOS_DATA_DIR: dataDir });
  nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
}));
test.after(async () => {
  await nc?.close().catch(() => {});
  await server?.stop();
  await nats?.destroy();
  await cluster?.destroy();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

test('nothing acknowledged is lost or doubled, and relay and ingest resume by themselves', async () => {
  const token = await tokenFor('nats-relay');
  const http = tally();
  const ingested: string[] = [];
  const ingestedAt: number[] = [];
  let stop = false;
  const writers = Array.from({ length: 4 }, (_, w) => writer(() => server.base, `h${w}`, token, http, () => stop, false));
  const publishers = Array.from({ length: 4 }, (_, p) => publisher('nats-ingest', `p${p}`, ingested, ingestedAt, () => stop));

  await until('40 commands and 40 ingest messages acknowledged', () => http.acked.length >= 40 && ingested.length >= 40);
  const jsm = await nc.jetstreamManager();
  await nats.stop('SIGTERM');
  const down = performance.now();
  const [httpBefore, ingestedBefore] = [http.acked.length, ingested.length];
  await sleep(4_000);
  await nats.start();
  const up = performance.now();
  // The relay's first publish after NATS returned: the events stream grows.
  // Messages in the events stream; undefined while JetStream is still recovering (or this connection reconnecting).
  const published = () => jsm.streams.info(EVENTS_STREAM).then((i) => i.state.messages, () => undefined);
  let heldAtReturn: number | undefined;
  await until('the events stream readable again', async () => (heldAtReturn = await published()) !== undefined);
  let relayResumedMs: number | undefined;
  const relayWatch = until('the relay publishing again', async () => {
    if (((await published()) ?? 0) <= heldAtReturn!) return false;
    relayResumedMs = performance.now() - up;
    return true;
  }, 120_000);
  await until('an ingest message acknowledged after NATS returned', () => ingestedAt.some((at) => at > up));
  const publishRecoveredMs = Math.min(...ingestedAt.filter((at) => at > up)) - up;
  await until('40 more of each after NATS returned', () => http.acked.length >= httpBefore + 40 && ingested.length >= ingestedBefore + 40);
  await relayWatch;
  stop = true;
  const loadEndedMs = performance.now() - up;
  const [, failures] = await Promise.all([Promise.all(writers), Promise.all(publishers).then((f) => f.reduce((a, b) => a + b, 0))]);
  assert.is(http.transport + http.unavailable, 0, 'HTTP commands do not depend on NATS');
  assert.equal(Object.fromEntries(http.other), {});

  // Ingest resumed: every acknowledged message ran, once.
  let counts = new Map<string, number>();
  await until('every acknowledged ingest message in the log', async () => {
    counts = await nodeEventCounts('nats-ingest');
    return ingested.every((id) => counts.has(id));
  }, 120_000);
  const ingestCaughtUpMs = performance.now() - up;
  assert.equal(ingested.filter((id) => counts.get(id) !== 1), [], 'each acknowledged ingest message appended exactly once');
  assert.is(counts.size, ingested.length, 'nothing the publishers did not send');

  // The relay resumed: every event of the log is in COMPANYOS_EVENTS, once.
  let logIds: string[] = [];
  await until('COMPANYOS_EVENTS holding every event of the log', async () => {
    logIds = (await sql<{ id: string }>('SELECT id::text FROM companyos.events ORDER BY position')).map((r) => r.id);
    return ((await published()) ?? 0) >= logIds.length;
  }, 120_000);
  const relayCaughtUpMs = performance.now() - up;
  const messageIds = (await readStream(nc, EVENTS_STREAM)).map((m) => m.header('Nats-Msg-Id'));
  const seen = new Map<string | undefined, number>();
  for (const id of messageIds) seen.set(id, (seen.get(id) ?? 0) + 1);
  assert.equal([...seen].filter(([, n]) => n > 1), [], 'no event published twice');
  assert.equal(logIds.filter((id) => !seen.has(id)), [], 'every event of the log published');

  console.log(
    `  figures: NATS down ${((up - down) / 1000).toFixed(1)} s under 4 HTTP writers and 4 ingest publishers: publishes acknowledged again ${publishRecoveredMs.toFixed(0)} ms after it returned ` +
      `(${failures} publish attempts failed meanwhile); relay publishing again ${((relayResumedMs ?? NaN) / 1000).toFixed(1)} s after it returned; load ended at ${(loadEndedMs / 1000).toFixed(1)} s, ` +
      `ingest caught up at ${(ingestCaughtUpMs / 1000).toFixed(1)} s, relay at ${(relayCaughtUpMs / 1000).toFixed(1)} s; ` +
      `ingest acknowledged ${ingested.length}, in the log ${counts.size} (each once); log events ${logIds.length}, published ${messageIds.length} (no duplicate)`,
  );
});

test.run();
