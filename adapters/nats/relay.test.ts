// The relay on the in-process bus (runs without NATS): every committed event published once, in order,
// as verifiable sealed JSON; the checkpoint advances after acks; failures and lost checkpoints lose nothing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyring, publicKeyEntry, publishedKeys, verifyEvent, toEventDraft } from '../../ledger/index.js';
import { makeChain, testSigningKey } from '../../test/test-events.js';
import { SealedEvent } from '../../schemas/sealed-event.js';
import type { Bus, BusMessage, PublishAck, PublishOptions } from './bus.js';
import { POSITION_HEADER } from './event-message.js';
import { MemoryBus } from './memory-bus.js';
import { startRelay } from './relay.js';
import { openTestStore, runId, waitFor, type TestStore } from '../../test/nats-support.js';

const test = suite('nats relay (in-process bus)');
const run = runId();
let store: TestStore;

test.before(async () => {
  store = await openTestStore(`nats_relay_${run}`);
});
test.after(async () => {
  await store?.close();
});

/** Appends `streams` chains of `perStream` sealed events for `tenant`; returns their ids in append order. */
async function seed(tenant: string, streams: number, perStream: number, idBase: number): Promise<string[]> {
  const ids: string[] = [];
  for (let s = 0; s < streams; s++) {
    const chain = makeChain(`${tenant}/graph.node/n${idBase + s}`, perStream, testSigningKey(), idBase + s * perStream);
    await store.log.append(chain[0]!.stream, 'no-stream', chain.map(toEventDraft));
    ids.push(...chain.map((e) => e.id));
  }
  return ids;
}

const decode = (m: BusMessage) => JSON.parse(new TextDecoder().decode(m.data)) as unknown;
const quiet = () => {};

test('publishes every event once, in log order, on companyos.<tenant>.<category>.<type>, as signed sealed JSON', async () => {
  const tenant = `r1${run}`;
  const ids = await seed(tenant, 3, 4, 1000);
  const bus = new MemoryBus();
  const got: BusMessage[] = [];
  bus.subscribe(`companyos.${tenant}.>`, (m) => got.push(m));
  const relay = await startRelay({ log: store.log, database: store.database, bus }, { name: `r1-${run}`, filter: { streamPrefixes: [`${tenant}/`] }, onError: quiet });
  await waitFor(`${ids.length} messages`, () => got.length >= ids.length);
  await relay.close();
  assert.equal(got.map((m) => m.headers['Nats-Msg-Id']), ids);
  assert.ok(got.every((m) => m.subject === `companyos.${tenant}.graph_node.graph_node_created`));
  const positions = got.map((m) => BigInt(m.headers[POSITION_HEADER]!));
  assert.ok(positions.every((p, i) => i === 0 || p > positions[i - 1]!), 'positions increase');

  // What a consumer does: keys from GET /v1/ledger/keys (publishedKeys), then verify each message.
  const keyring = new Keyring(publishedKeys(new Keyring([], testSigningKey())).map((k) => publicKeyEntry(Buffer.from(k.publicKey, 'base64'), k.notBefore, k.notAfter)));
  for (const m of got) {
    const decoded = SealedEvent.decode(decode(m));
    assert.is(decoded._tag, 'Right');
    if (decoded._tag === 'Right') assert.is(verifyEvent(decoded.right, keyring), null);
  }
  const tampered = { ...(decode(got[0]!) as SealedEvent), data: { forged: true } };
  assert.is(verifyEvent(tampered, keyring), 'hash mismatch: payload or envelope altered');
  assert.is(relay.stats().checkpoint, positions[positions.length - 1]);
});

test('resumes after its checkpoint: a restarted relay publishes only what came after', async () => {
  const tenant = `r2${run}`;
  const bus = new MemoryBus();
  const got: BusMessage[] = [];
  bus.subscribe(`companyos.${tenant}.>`, (m) => got.push(m));
  const options = { name: `r2-${run}`, filter: { streamPrefixes: [`${tenant}/`] }, onError: quiet };
  const first = await seed(tenant, 2, 3, 2000);
  let relay = await startRelay({ log: store.log, database: store.database, bus }, options);
  await waitFor('first batch', () => got.length >= first.length);
  await relay.close();
  const second = await seed(tenant, 1, 5, 2100).then(async (a) => [...a, ...(await seed(`${tenant}x`, 1, 1, 2200))]);
  relay = await startRelay({ log: store.log, database: store.database, bus: new CountingBus(bus) }, options);
  await waitFor('second batch', () => got.length >= first.length + 5);
  await relay.close();
  assert.equal(got.map((m) => m.headers['Nats-Msg-Id']), [...first, ...second.slice(0, 5)]);
  assert.is(relay.stats().published, 5, 'nothing before the checkpoint was sent again');
});

test('a failing bus loses nothing: the relay restarts from its checkpoint and the duplicate window drops re-sends', async () => {
  const tenant = `r3${run}`;
  const ids = await seed(tenant, 10, 20, 3000);
  const inner = new MemoryBus();
  const got: BusMessage[] = [];
  inner.subscribe(`companyos.${tenant}.>`, (m) => got.push(m));
  // Fails publishes 37, 38 and 120 (after accepting everything before), as a broken connection would.
  const bus = new CountingBus(inner, (n) => n === 37 || n === 38 || n === 120);
  const errors: unknown[] = [];
  const relay = await startRelay(
    { log: store.log, database: store.database, bus },
    { name: `r3-${run}`, filter: { streamPrefixes: [`${tenant}/`] }, checkpointEvery: 25, retryDelayMs: 1, maxInFlight: 16, onError: (e) => errors.push(e) },
  );
  await waitFor(`all ${ids.length} events`, () => relay.stats().acknowledged !== undefined && got.length >= ids.length && relay.stats().failures >= 2);
  await relay.close();
  // Exactly once, but not in log order: publishes after a failed one may already be stored (as in
  // JetStream), and the failed ones arrive on the re-send. Consumers order by position or revision.
  assert.equal(got.map((m) => m.headers['Nats-Msg-Id']).sort(), [...ids].sort(), 'each event exactly once');
  assert.ok(errors.length >= 2, 'the failures were reported');
  assert.ok(relay.stats().duplicates > 0, 're-sends happened and were absorbed');
});

test('a checkpoint lost in a crash means re-sends, not losses or duplicates', async () => {
  const tenant = `r4${run}`;
  const ids = await seed(tenant, 4, 10, 4000);
  const bus = new MemoryBus();
  const got: BusMessage[] = [];
  bus.subscribe(`companyos.${tenant}.>`, (m) => got.push(m));
  const options = { name: `r4-${run}`, filter: { streamPrefixes: [`${tenant}/`] }, onError: quiet };
  let relay = await startRelay({ log: store.log, database: store.database, bus }, options);
  await waitFor('all events', () => got.length >= ids.length);
  await relay.close();
  // As if the process died after publishing but before its checkpoint save.
  await store.database.withSession((s) => s.query(`DELETE FROM projection_checkpoints WHERE name = 'relay:' || $1`, [options.name]));
  relay = await startRelay({ log: store.log, database: store.database, bus }, options);
  await waitFor('re-sends acknowledged', () => relay.stats().published >= ids.length);
  await relay.close();
  assert.is(got.length, ids.length);
  assert.is(relay.stats().duplicates, ids.length);
});

test('only one relay of a name is active: a standby waits for the followers\' lock relay:<name>', async () => {
  const name = `r5-${run}`;
  // Another relay of the name (PostgreSQL: another connection; PGlite: the process's one lock table).
  const other = await store.database.tryLock(`relay:${name}`);
  assert.ok(other);
  const tenant = `r5${run}`;
  const ids = await seed(tenant, 1, 3, 5000);
  const bus = new MemoryBus();
  const got: BusMessage[] = [];
  bus.subscribe(`companyos.${tenant}.>`, (m) => got.push(m));
  const relay = await startRelay({ log: store.log, database: store.database, bus }, { name, filter: { streamPrefixes: [`${tenant}/`] }, lockRetryMs: 20, onError: quiet });
  await new Promise((r) => setTimeout(r, 100)); // several lock attempts (every 20 ms)
  assert.is(relay.stats().active, false, 'standby while another holds the lock');
  assert.is(got.length, 0);
  await other!.release();
  await waitFor('standby takes over and publishes', () => got.length >= ids.length);
  assert.is(relay.stats().active, true);
  await relay.close();
  const again = await store.database.tryLock(`relay:${name}`);
  assert.ok(again, 'released on close');
  await again!.release();
});

test('a relay whose checkpoint another relay moved writes nothing over it, and resumes from there', async () => {
  const tenant = `r6${run}`;
  const name = `r6-${run}`;
  const bus = new MemoryBus();
  const got: BusMessage[] = [];
  bus.subscribe(`companyos.${tenant}.>`, (m) => got.push(m));
  const errors: unknown[] = [];
  const relay = await startRelay(
    { log: store.log, database: store.database, bus },
    { name, filter: { streamPrefixes: [`${tenant}/`] }, checkpointIntervalMs: 10, retryDelayMs: 1, lockRetryMs: 20, onError: (e) => errors.push(e) },
  );
  const first = await seed(tenant, 1, 3, 6000);
  await waitFor('first events published and checkpointed', () => got.length >= first.length && relay.stats().checkpoint !== undefined && relay.stats().checkpoint === relay.stats().acknowledged);
  const before = relay.stats().checkpoint!;
  // As a successor would after this relay lost its lock unnoticed (a long pause): it published further.
  const ahead = before + 1_000_000n;
  await store.database.withSession((s) => s.query(`UPDATE projection_checkpoints SET position = $2::bigint WHERE name = $1`, [`relay:${name}`, ahead.toString()]));
  await seed(tenant, 1, 2, 6100);
  await waitFor('the stale save refused, the relay active again from the moved checkpoint', () => relay.stats().failures >= 1 && relay.stats().activations >= 2 && relay.stats().checkpoint === ahead);
  await relay.close();
  assert.ok(errors.some((e) => e instanceof Error && e.name === 'FencedError'), 'the refusal was reported');
  const stored = await store.database.withSession((s) => s.query<{ position: bigint | string }>(`SELECT position FROM projection_checkpoints WHERE name = $1`, [`relay:${name}`]));
  assert.is(BigInt(stored[0]!.position), ahead, "the successor's checkpoint stands");
});

/** Wraps a bus: counts publishes and fails the ones `fail` picks. */
class CountingBus implements Bus {
  readonly kind = 'memory' as const;
  count = 0;
  constructor(
    private readonly inner: Bus,
    private readonly fail: (n: number) => boolean = () => false,
  ) {}
  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<PublishAck> {
    const n = ++this.count;
    if (this.fail(n)) return Promise.reject(new Error(`publish ${n} failed (test)`));
    return this.inner.publish(subject, data, options);
  }
  subscribe(pattern: string, onMessage: (m: BusMessage) => void) {
    return this.inner.subscribe(pattern, onMessage);
  }
}

test.run();
