// The proof, on real NATS and PostgreSQL: 10,000 ingest messages (1 in 100 invalid); the process
// running ingest and relay is SIGKILLed mid-way and restarted; at the end the log holds each valid command
// once, the dead-letter stream each invalid one, and the events stream one message per committed event.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from 'nats';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exited, printed } from '../../test/child-process.js';
import { ChainVerifier, Keyring } from '../../ledger/index.js';
import { testSigningKey } from '../../test/test-events.js';
import { ensureIngestTopology, type IngestOptions } from './ingest.js';
import type { RelayOptions } from './relay.js';
import { ingestSubject } from './subjects.js';
import { databaseUrl, deleteStreams, natsUrl, nodeUpsert, openTestStore, readStream, runId, waitFor, type TestStore } from '../../test/nats-support.js';

const test = suite('nats proof');
const TOTAL = 10_000;
const WORKER = fileURLToPath(new URL('../../test/nats-proof-worker.ts', import.meta.url));

const run = runId();
const tenant = `proof${run}`;
const schema = `nats_proof_${run}`;
const ingest: IngestOptions = {
  stream: `P${run}_INGEST`,
  subjectPrefix: `p${run}.ingest`,
  durable: `p${run}-ingest`,
  deadLetterStream: `P${run}_DL`,
  deadLetterPrefix: `p${run}.deadletter.ingest`,
  concurrency: 64,
  // Messages the killed process held come back after this; short, so the test does not idle.
  ackWaitMs: 3000,
};
const events = { stream: `P${run}_EVENTS`, subjects: [`p${run}.companyos.>`] };
// The killed worker's relay lock frees when its connection closes; the restarted worker's relay retries often.
const relay: RelayOptions = { name: `proof-${run}`, subjectPrefix: `p${run}.companyos`, lockRetryMs: 500 };

const isInvalid = (i: number) => i % 100 === 99;
const msgId = (i: number) => `m-${i}`;

function startWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, PROOF_SETTINGS: JSON.stringify({ natsUrl: natsUrl(), databaseUrl: databaseUrl(), schema, ingest, relay, events }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return printed(child, 'ready').then(() => child);
}


if (!natsUrl() || !databaseUrl()) {
  console.log(`skipped: nats proof (${!natsUrl() ? 'NATS_URL' : 'DATABASE_URL'} not set)`);
} else {
  let nc: NatsConnection;
  let store: TestStore;
  const workers: ChildProcess[] = [];

  test.before(async () => {
    nc = await connect({ servers: natsUrl()! });
    store = await openTestStore(schema);
  });
  test.after(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => exited(w)));
    await deleteStreams(nc, ingest.stream!, ingest.deadLetterStream!, events.stream);
    await nc.close();
    await store.close();
  });

  const loggedCount = async () =>
    Number((await store.database.withSession((s) => s.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${schema}.events`)))[0]!.n);

  test('10,000 messages, 1 % invalid, worker SIGKILLed mid-way: each valid once in the log and out, each invalid dead-lettered', async () => {
    await ensureIngestTopology(nc, ingest);
    const js = nc.jetstream();
    const subject = ingestSubject(ingest.subjectPrefix!, tenant, 'graph.node.upsert');
    for (let from = 0; from < TOTAL; from += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, k) => {
          const i = from + k;
          // 1,000 nodes, ten upserts each: streams see several writers; every upsert changes the node.
          const body = isInvalid(i) ? { ...nodeUpsert(`svc:${i % 1000}`), type: 'Bogus' } : nodeUpsert(`svc:${i % 1000}`, { i });
          return js.publish(subject, new TextEncoder().encode(JSON.stringify(body)), { msgID: msgId(i) });
        }),
      );
    }
    const valid = Array.from({ length: TOTAL }, (_, i) => i).filter((i) => !isInvalid(i));

    const first = await startWorker();
    workers.push(first);
    const atKill = await waitFor('the first worker to append 2,500 events', async () => {
      const n = await loggedCount();
      return n >= 2500 ? n : undefined;
    }, 60_000);
    first.kill('SIGKILL'); // no drain: appends, acks and publishes in flight are cut off
    await exited(first);
    assert.ok(atKill < valid.length, `the kill came mid-way (${atKill} of ${valid.length} appended)`);

    workers.push(await startWorker());
    const jsm = await nc.jetstreamManager();
    await waitFor('every ingest message handled and every event relayed', async () => {
      const consumer = await jsm.consumers.info(ingest.stream!, ingest.durable!);
      if (consumer.num_pending > 0 || consumer.num_ack_pending > 0) return undefined;
      const logged = await loggedCount();
      const out = (await jsm.streams.info(events.stream)).state.messages;
      const dead = (await jsm.streams.info(ingest.deadLetterStream!)).state.messages;
      return logged >= valid.length && out >= logged && dead >= TOTAL - valid.length;
    }, 90_000);

    // The log: exactly the valid commands, each once, chains intact.
    const log = await store.log.readAll();
    const keys = new Map<string, number>();
    const verifier = new ChainVerifier(new Keyring([], testSigningKey()));
    for (const e of log) {
      assert.is(e.type, 'graph.node.upserted');
      const key = (e.metadata as { meta: { idempotencyKey: string } }).meta.idempotencyKey;
      keys.set(key, (keys.get(key) ?? 0) + 1);
      verifier.add(e);
    }
    assert.is(log.length, valid.length);
    assert.equal([...keys.keys()].sort(), valid.map((i) => `key:${msgId(i)}`).sort());
    assert.ok([...keys.values()].every((n) => n === 1), 'no command appended twice');
    assert.equal(verifier.finish().failures, []);

    // Dead letters: exactly the invalid messages, each once, with the reason.
    const dead = await readStream(nc, ingest.deadLetterStream!);
    assert.equal(dead.map((m) => m.header('Nats-Msg-Id')).sort(), Array.from({ length: TOTAL }, (_, i) => i).filter(isInvalid).map(msgId).sort());
    assert.ok(dead.every((m) => m.header('Companyos-Code') === 'validation' && (m.header('Companyos-Reason') ?? '').includes('Bogus')));

    // Out: one message per committed event.
    const out = await readStream(nc, events.stream);
    assert.is(out.length, log.length);
    assert.equal(out.map((m) => m.header('Nats-Msg-Id')).sort(), log.map((e) => e.id).sort());

    assert.is((await jsm.streams.info(ingest.stream!)).state.messages, 0, 'the work queue is empty');
  });
}

test.run();
