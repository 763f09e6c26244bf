// Relay and ingest against a real NATS JetStream (NATS_URL): events out as verifiable sealed JSON, commands
// in through the pipeline, rejects dead-lettered with their reason, transient failures retried with backoff.
import { connect, headers, type NatsConnection } from 'nats';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Metrics } from '../http/metrics.js';
import { systemRoutes } from '../http/routes/system.js';
import type { CommandPipeline } from '../../commands/pipeline.js';
import { failure } from '../../commands/failure.js';
import { left } from 'fp-ts/lib/Either.js';
import { Keyring, publicKeyEntry, verifyEvent, type PublishedKey } from '../../ledger/index.js';
import { testSigningKey } from '../../test/test-events.js';
import { SealedEvent } from '../../schemas/sealed-event.js';
import type { Disposition, IngestDelivery } from './ingest-delivery.js';
import { startIngest, type IngestOptions } from './ingest.js';
import { JetStreamBus } from './jetstream-bus.js';
import { startRelay } from './relay.js';
import { ingestSubject } from './subjects.js';
import { deleteStreams, natsUrl, nodeUpsert, openTestStore, readStream, runId, testPipeline, waitFor, type TestStore } from '../../test/nats-support.js';

const test = suite('nats jetstream');
const url = natsUrl();
const run = runId();
const encode = (x: unknown) => new TextEncoder().encode(typeof x === 'string' ? x : JSON.stringify(x));
const quiet = () => {};

let nc: NatsConnection;
let store: TestStore;
let pipeline: CommandPipeline;
const keyring = new Keyring([], testSigningKey());

test.before(async () => {
  if (!url) return;
  nc = await connect({ servers: url });
  store = await openTestStore(`nats_js_${run}`);
  pipeline = await testPipeline(store.log, keyring);
});
test.after(async () => {
  if (!url) return;
  await nc?.close();
  await store?.close();
});

/** Unique streams, subjects and durable for one test; `drop` deletes the streams. */
function names(tag: string) {
  const t = `t${run}${tag}`;
  return {
    ingest: { stream: `T${run}_${tag}_INGEST`, subjectPrefix: `${t}.ingest`, durable: `${t}-ingest`, deadLetterStream: `T${run}_${tag}_DL`, deadLetterPrefix: `${t}.deadletter.ingest` },
    events: { stream: `T${run}_${tag}_EVENTS`, prefix: `${t}.companyos` },
    drop: () => deleteStreams(nc, `T${run}_${tag}_INGEST`, `T${run}_${tag}_DL`, `T${run}_${tag}_EVENTS`),
  };
}

async function publish(subject: string, body: unknown, hdrs: Record<string, string> = {}, msgID?: string) {
  const h = headers();
  for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
  await nc.jetstream().publish(subject, encode(body), { headers: h, ...(msgID ? { msgID } : {}) });
}

async function consumerIdle(stream: string, durable: string): Promise<boolean> {
  const info = await (await nc.jetstreamManager()).consumers.info(stream, durable);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

const eventsOf = async (tenant: string) => store.log.readAll({ filter: { streamPrefixes: [`${tenant}/`] } });

if (!url) {
  console.log('skipped: nats jetstream (NATS_URL not set)');
} else {
  test('relay: every event once on JetStream, verifiable with the keys GET /v1/ledger/keys serves; re-sends deduplicated', async () => {
    const n = names('rel');
    const tenant = `rel${run}`;
    try {
      for (let i = 0; i < 5; i++) {
        const r = await pipeline.execute('graph.node.upsert', nodeUpsert(`svc:${i}`, { i }), { id: 'u1', tenant, roles: ['editor'], region: 'us-east', authTime: undefined, authn: 'jwt' }, { requestId: `r${i}`, context: {} });
        assert.is(r._tag, 'Right');
      }
      const bus = await JetStreamBus.open(nc, { stream: n.events.stream, subjects: [`${n.events.prefix}.>`] });
      const options = { name: `rel-${run}`, subjectPrefix: n.events.prefix, filter: { streamPrefixes: [`${tenant}/`] }, onError: quiet };
      let relay = await startRelay({ log: store.log, database: store.database, bus }, options);
      const jsm = await nc.jetstreamManager();
      await waitFor('5 messages in the events stream', async () => (await jsm.streams.info(n.events.stream)).state.messages >= 5);
      await relay.close();
      const info = await jsm.streams.info(n.events.stream);
      assert.is(info.config.duplicate_window, 120_000_000_000);

      const keysResponse = await systemRoutes({ keyring, metrics: new Metrics(), notReady: async () => [] }).request('/v1/ledger/keys');
      const { keys } = (await keysResponse.json()) as { keys: PublishedKey[] };
      const consumerKeys = new Keyring(keys.map((k) => publicKeyEntry(Buffer.from(k.publicKey, 'base64'), k.notBefore, k.notAfter)));

      const logged = await eventsOf(tenant);
      const messages = await readStream(nc, n.events.stream);
      assert.equal(messages.map((m) => m.header('Nats-Msg-Id')), logged.map((e) => e.id));
      for (const m of messages) {
        assert.is(m.subject, `${n.events.prefix}.${tenant}.graph_node.graph_node_upserted`);
        const sealed = SealedEvent.decode(JSON.parse(new TextDecoder().decode(m.data)));
        if (sealed._tag === 'Left') assert.unreachable('payload is a sealed event');
        else assert.is(verifyEvent(sealed.right, consumerKeys), null);
      }

      // A crash before the checkpoint save: everything is sent again, JetStream keeps one copy.
      await store.database.withSession((s) => s.query("DELETE FROM projection_checkpoints WHERE name = 'relay:' || $1", [options.name]));
      relay = await startRelay({ log: store.log, database: store.database, bus }, options);
      await waitFor('re-sends acknowledged', () => relay.stats().published >= 5);
      await relay.close();
      assert.is(relay.stats().duplicates, 5);
      assert.is((await jsm.streams.info(n.events.stream)).state.messages, 5);
    } finally {
      await n.drop();
    }
  });

  test('ingest: valid commands appended as the service, rejects dead-lettered with reason and code, all acked', async () => {
    const n = names('ing');
    const tenant = `ing${run}`;
    const seen: [IngestDelivery, Disposition][] = [];
    const ingest = await startIngest({ pipeline, nats: nc }, { ...n.ingest, concurrency: 8, onDisposition: (d, x) => seen.push([d, x]), onError: quiet });
    try {
      const upsert = ingestSubject(n.ingest.subjectPrefix, tenant, 'graph.node.upsert');
      await publish(upsert, nodeUpsert('svc:ok', { v: 1 }), { 'Companyos-Correlation-Id': 'corr-1' }, 'ok-1');
      await publish(upsert, nodeUpsert('svc:ok', { v: 1 }), {}, 'ok-2'); // same facts, new key: unchanged
      await publish(upsert, { ...nodeUpsert('svc:bad'), type: 'Bogus' }, {}, 'bad-validation');
      await publish(upsert, '{"id": ', {}, 'bad-json');
      await publish(`${n.ingest.subjectPrefix}.${tenant}.graph.node.upsert`, nodeUpsert('svc:x'), {}, 'bad-subject');
      await publish(upsert, nodeUpsert('svc:eu'), { 'Companyos-Region': 'eu-west' }, 'bad-region');
      await publish(ingestSubject(n.ingest.subjectPrefix, tenant, 'graph.node.frobnicate'), {}, {}, 'bad-command');
      await waitFor('7 messages handled', () => seen.length >= 7);
      await waitFor('consumer idle', () => consumerIdle(n.ingest.stream, n.ingest.durable));

      // Visibility follows the log's xmin horizon, which other sessions on the server can hold back briefly.
      const events = await waitFor('2 events in the log', async () => {
        const e = await eventsOf(tenant);
        return e.length >= 2 ? e : undefined;
      });
      assert.equal(events.map((e) => e.type), ['graph.node.upserted', 'access.denied']);
      const meta = events[0]!.metadata as { meta: { actor: unknown; idempotencyKey: string; correlationId: string } };
      assert.equal(meta.meta.actor, { id: 'service:nats-ingest', type: 'service', authn: 'system' });
      assert.is(meta.meta.idempotencyKey, 'key:ok-1');
      assert.is(meta.meta.correlationId, 'corr-1');

      const dead = await readStream(nc, n.ingest.deadLetterStream);
      const byId = new Map(dead.map((m) => [m.header('Nats-Msg-Id'), m]));
      const expected: Record<string, string> = {
        'bad-validation': 'validation',
        'bad-json': 'malformed-json',
        'bad-subject': 'bad-subject',
        'bad-region': 'forbidden',
        'bad-command': 'unknown-command',
      };
      assert.equal([...byId.keys()].sort(), Object.keys(expected).sort());
      for (const [id, code] of Object.entries(expected)) {
        const m = byId.get(id)!;
        assert.is(m.header('Companyos-Code'), code, id);
        assert.ok((m.header('Companyos-Reason') ?? '').length > 3, `${id} has a reason`);
        assert.ok(m.subject.startsWith(`${n.ingest.deadLetterPrefix}.${tenant}.`), m.subject);
      }
      assert.is(byId.get('bad-validation')!.header('Companyos-Status'), '400');
      assert.is(byId.get('bad-region')!.header('Companyos-Status'), '403');
      assert.is(byId.get('bad-validation')!.subject, `${n.ingest.deadLetterPrefix}.${tenant}.graph_node_upsert`);
      assert.equal(ingest.stats().acked + ingest.stats().deadLettered, 7);
    } finally {
      await ingest.close();
      await n.drop();
    }
  });

  test('ingest: many messages for one node are applied one after another, none lost', async () => {
    const n = names('ser');
    const tenant = `ser${run}`;
    const ingest = await startIngest({ pipeline, nats: nc }, { ...n.ingest, concurrency: 16, onError: quiet });
    try {
      const subject = ingestSubject(n.ingest.subjectPrefix, tenant, 'graph.node.upsert');
      for (let i = 0; i < 30; i++) await publish(subject, nodeUpsert('svc:hot', { i }), {}, `hot-${i}`);
      await waitFor('consumer idle with 30 events', async () => (await consumerIdle(n.ingest.stream, n.ingest.durable)) && (await eventsOf(tenant)).length >= 30);
      const events = await eventsOf(tenant);
      assert.equal(events.map((e) => Number(e.revision)), Array.from({ length: 30 }, (_, i) => i));
      assert.is(ingest.stats().retried, 0, 'no revision conflicts to retry');
    } finally {
      await ingest.close();
      await n.drop();
    }
  });

  test('ingest: a transient failure is nak-ed with a growing delay, then acked once it succeeds', async () => {
    const n = names('tra');
    const tenant = `tra${run}`;
    let calls = 0;
    const flaky = {
      execute: async (...args: Parameters<CommandPipeline['execute']>) => {
        calls++;
        if (calls === 1) throw new Error('connection refused (test)');
        if (calls === 2) return left(failure('unavailable', 'log unavailable (test)'));
        return pipeline.execute(...args);
      },
    } as unknown as CommandPipeline;
    const seen: [number, Disposition][] = [];
    const options: IngestOptions = { ...n.ingest, backoffBaseMs: 50, onDisposition: (d, x) => seen.push([d.deliveryCount, x]), onError: quiet };
    const ingest = await startIngest({ pipeline: flaky, nats: nc }, options);
    try {
      await publish(ingestSubject(n.ingest.subjectPrefix, tenant, 'graph.node.upsert'), nodeUpsert('svc:flaky'), {}, 'flaky-1');
      await waitFor('three deliveries', () => seen.length >= 3);
      assert.equal(seen.map(([count, d]) => [count, d.kind]), [[1, 'retry'], [2, 'retry'], [3, 'ack']]);
      const [, first] = seen[0]!;
      const [, second] = seen[1]!;
      if (first.kind !== 'retry' || second.kind !== 'retry') throw new Error('unreachable');
      assert.ok(first.delayMs >= 40 && first.delayMs <= 60 && second.delayMs >= 80 && second.delayMs <= 120, `delays ${first.delayMs}, ${second.delayMs}`);
      await waitFor('the event in the log', async () => (await eventsOf(tenant)).length === 1);
    } finally {
      await ingest.close();
      await n.drop();
    }
  });

  test('ingest: a message still failing after maxDeliveries is dead-lettered as retries-exhausted', async () => {
    const n = names('exh');
    const tenant = `exh${run}`;
    const down = { execute: async () => left(failure('revision-conflict', 'always (test)')) } as unknown as CommandPipeline;
    const ingest = await startIngest({ pipeline: down, nats: nc }, { ...n.ingest, maxDeliveries: 3, backoffBaseMs: 10, onError: quiet });
    try {
      await publish(ingestSubject(n.ingest.subjectPrefix, tenant, 'graph.node.upsert'), nodeUpsert('svc:stuck'), {}, 'stuck-1');
      await waitFor('dead letter', async () => (await (await nc.jetstreamManager()).streams.info(n.ingest.deadLetterStream)).state.messages >= 1);
      await waitFor('consumer idle', () => consumerIdle(n.ingest.stream, n.ingest.durable));
      const [dead] = await readStream(nc, n.ingest.deadLetterStream);
      assert.is(dead!.header('Companyos-Code'), 'retries-exhausted');
      assert.is(dead!.header('Companyos-Deliveries'), '3');
      assert.match(dead!.header('Companyos-Reason') ?? '', /revision-conflict/);
    } finally {
      await ingest.close();
      await n.drop();
    }
  });
}

test.run();
