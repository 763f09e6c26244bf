// Wire-level checks of the EventStoreDB test double through the real @eventstore/db-client: the double must
// answer the way EventStoreDB does (idempotency, expected revisions, inclusive reads, exclusive subscriptions).
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ANY,
  EventStoreDBClient,
  NO_STREAM,
  START,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type Position,
} from '@eventstore/db-client';
import { EventStoreTestDouble } from './eventstore-test-double.js';

interface Ctx {
  double: EventStoreTestDouble;
  client: EventStoreDBClient;
}

const ev = (type = 'Tested', data: Record<string, unknown> = { n: 1 }, id: string = randomUUID()) =>
  jsonEvent({ id, type, data });

async function collect<T>(read: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of read) out.push(x);
  return out;
}

/** Receive the subscription's next n events (listening, not iterating: leaving a for-await destroys it). */
function take(sub: AllStreamSubscription, n: number): Promise<AllStreamResolvedEvent[]> {
  const out: AllStreamResolvedEvent[] = [];
  return new Promise((resolve, reject) => {
    const onData = (e: AllStreamResolvedEvent) => {
      out.push(e);
      if (out.length < n) return;
      sub.off('data', onData).off('error', reject);
      sub.pause();
      resolve(out);
    };
    sub.on('data', onData).on('error', reject);
    sub.resume();
  });
}

async function expectError<E>(p: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, type);
    return err as E;
  }
  assert.unreachable(`expected ${type.name}`);
  throw new Error('unreachable');
}

/** UNAVAILABLE, converted or not: the client passes a failed server-features call through as a raw gRPC error. */
async function expectUnavailable(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof UnavailableError || (err as { code?: unknown }).code === 14, String(err));
    return;
  }
  assert.unreachable('expected UNAVAILABLE');
}

for (const batchAppend of [true, false]) {
  const test = suite<Ctx>(`eventstore test double (${batchAppend ? 'BatchAppend' : 'Append'})`, {} as Ctx);

  test.before(async (ctx) => {
    ctx.double = await EventStoreTestDouble.start({ batchAppend });
    ctx.client = EventStoreDBClient.connectionString(ctx.double.url);
  });

  test.after(async (ctx) => {
    await ctx.client.dispose();
    await ctx.double.stop();
  });

  test('the client appends through the advertised method', async ({ client, double }) => {
    await client.appendToStream(`s-${randomUUID()}`, [ev()]);
    assert.ok((double.calls['ServerFeatures.GetSupportedMethods'] ?? 0) >= 1);
    if (batchAppend) {
      assert.ok((double.calls['Streams.BatchAppend'] ?? 0) >= 1);
      assert.is(double.calls['Streams.Append'], undefined);
    } else {
      assert.ok((double.calls['Streams.Append'] ?? 0) >= 1);
      assert.is(double.calls['Streams.BatchAppend'], undefined);
    }
  });

  test('append returns the revision and the $all position of the last event', async ({ client }) => {
    const stream = `s-${randomUUID()}`;
    const r1 = await client.appendToStream(stream, [ev(), ev()], { expectedRevision: NO_STREAM });
    assert.is(r1.nextExpectedRevision, 1n);
    const r2 = await client.appendToStream(stream, ev(), { expectedRevision: 1n });
    assert.is(r2.nextExpectedRevision, 2n);
    const read = await collect(client.readStream(stream));
    assert.equal(
      read.map((e) => e.event!.revision),
      [0n, 1n, 2n],
    );
    assert.equal(r1.position, read[1]!.event!.position);
    assert.equal(r2.position, read[2]!.event!.position);
    // Positions are byte offsets: they grow, but not by one.
    assert.ok(read[1]!.event!.position!.commit - read[0]!.event!.position!.commit > 1n);
  });

  test('wrong expected revision reports the current revision or no stream', async ({ client }) => {
    const stream = `s-${randomUUID()}`;
    const absent = await expectError(
      client.appendToStream(stream, ev(), { expectedRevision: 0n }),
      WrongExpectedVersionError,
    );
    assert.is(absent.actualVersion, 'no_stream');
    await client.appendToStream(stream, [ev(), ev()]);
    const stale = await expectError(
      client.appendToStream(stream, ev(), { expectedRevision: 0n }),
      WrongExpectedVersionError,
    );
    assert.is(stale.actualVersion, 1n);
    const exists = await expectError(
      client.appendToStream(stream, ev(), { expectedRevision: NO_STREAM }),
      WrongExpectedVersionError,
    );
    assert.is(exists.actualVersion, 1n);
  });

  test('idempotency: the same ids after the same expected revision write nothing', async ({ client, double }) => {
    const stream = `s-${randomUUID()}`;
    const batch = [ev('A'), ev('B')];
    const first = await client.appendToStream(stream, batch, { expectedRevision: NO_STREAM });
    const size = double.events().length;
    const again = await client.appendToStream(stream, batch, { expectedRevision: NO_STREAM });
    assert.equal(again, first);
    const anyAgain = await client.appendToStream(stream, batch, { expectedRevision: ANY });
    assert.equal(anyAgain, first);
    assert.is(double.events().length, size);
    // Only part of an earlier append: corrupted idempotency, answered as a wrong expected revision.
    await expectError(
      client.appendToStream(stream, [batch[0]!, ev('C')], { expectedRevision: NO_STREAM }),
      WrongExpectedVersionError,
    );
    await expectError(client.appendToStream(stream, [batch[1]!, ev('C')], { expectedRevision: ANY }), WrongExpectedVersionError);
    // A known id at the stream's current revision is a new write: EventStoreDB keeps no global id index.
    await client.appendToStream(stream, [batch[0]!], { expectedRevision: 1n });
    assert.is(double.events().length, size + 1);
  });

  test('reading an absent stream reports StreamNotFound', async ({ client }) => {
    await expectError(collect(client.readStream(`absent-${randomUUID()}`)), StreamNotFoundError);
  });

  test('$all reads from a position include the event there; subscriptions exclude it', async ({ client }) => {
    const stream = `s-${randomUUID()}`;
    await client.appendToStream(stream, [ev(), ev(), ev()]);
    const mine = (await collect(client.readAll({ fromPosition: START }))).filter((e) => e.event?.streamId === stream);
    const second = mine[1]!.event!.position as Position;
    const read = await collect(client.readAll({ fromPosition: second, maxCount: 2 }));
    assert.equal(
      read.map((e) => e.event!.revision),
      [1n, 2n],
    );
    const sub = client.subscribeToAll({ fromPosition: second, filter: streamNameFilter({ prefixes: [stream] }) });
    const got = await take(sub, 1);
    await sub.unsubscribe();
    assert.is(got[0]!.event!.revision, 2n);
  });

  test('a filtered subscription catches up, then follows appends, with checkpoints', async ({ client }) => {
    const prefix = `f-${randomUUID()}/`;
    await client.appendToStream(`${prefix}a`, [ev()]);
    await client.appendToStream(`other-${randomUUID()}`, [ev()]);
    const checkpoints: Position[] = [];
    let caughtUp = false;
    const sub = client.subscribeToAll({
      fromPosition: START,
      filter: streamNameFilter({ prefixes: [prefix], maxSearchWindow: 1, checkpointInterval: 1, checkpointReached: (_, p) => void checkpoints.push(p) }),
    });
    sub.on('caughtUp', () => (caughtUp = true));
    const first = await take(sub, 1);
    assert.is(first[0]!.event!.streamId, `${prefix}a`);
    await client.appendToStream(`${prefix}b`, [ev()]);
    const second = await take(sub, 1);
    await sub.unsubscribe();
    assert.is(second[0]!.event!.streamId, `${prefix}b`);
    assert.ok(caughtUp, 'caught-up message sent');
    assert.ok(checkpoints.length > 0, 'checkpoints for filtered-out events');
  });

  test('controls: dropped subscriptions end with UNAVAILABLE; unavailable fails calls', async ({ client, double }) => {
    const sub = client.subscribeToAll({ fromPosition: START });
    const dropped = new Promise<Error>((resolve) => sub.on('error', resolve));
    await new Promise((resolve) => sub.once('confirmation', resolve));
    assert.is(double.dropSubscriptions(), 1);
    assert.instance(await dropped, UnavailableError);
    await sub.unsubscribe();
    double.setUnavailable(true);
    await expectUnavailable(client.appendToStream(`s-${randomUUID()}`, ev()));
    await expectUnavailable(client.appendToStream(`s-${randomUUID()}`, ev()));
    double.setUnavailable(false);
    const ok = await client.appendToStream(`s-${randomUUID()}`, ev());
    assert.is(ok.nextExpectedRevision, 0n);
  });

  test('a lost ack leaves the write in place; the repeat is idempotent', async ({ client, double }) => {
    const stream = `s-${randomUUID()}`;
    const batch = [ev(), ev()];
    double.loseNextAppendAcks(1);
    await expectUnavailable(client.appendToStream(stream, batch, { expectedRevision: NO_STREAM }));
    const retry = await client.appendToStream(stream, batch, { expectedRevision: NO_STREAM });
    assert.is(retry.nextExpectedRevision, 1n);
    assert.is((await collect(client.readStream(stream))).length, 2);
  });

  test.run();
}
