// The EventStoreDB event-log adapter under test: through the real @eventstore/db-client over loopback gRPC to the
// EventStoreTestDouble (both append paths the client has), and to a real server when EVENTSTORE_URL is set.
// Adapter-specific checks: position mapping, system events, idempotent retries, resubscription without loss.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Channel } from '@grpc/grpc-js';
import {
  LogUnavailableError,
  WrongExpectedRevisionError,
  type EventDraft,
  type LogSubscription,
  type RecordedEvent,
} from '../event-log.js';
import type { JsonValue } from '../../../schemas/json.js';
import { eventLogContract } from '../event-log.contract.js';
import { EventStoreTestDouble } from '../../../test/eventstore-double/eventstore-test-double.js';
import { EventStoreEventLog, openEventStoreLog, toClientConnectionString } from './event-log.js';

const fast = { resubscribeDelayMs: { initial: 5, max: 50 } };

const draft = (type = 'Tested', data: JsonValue = { n: 1 }, metadata: JsonValue = { by: 'test' }): EventDraft => ({
  id: randomUUID(),
  type,
  data,
  metadata,
});

async function expectError<E>(p: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, type, String(err));
    return err as E;
  }
  assert.unreachable(`expected ${type.name}`);
  throw new Error('unreachable');
}

/** Read n events from a subscription without ending it. */
async function take(sub: LogSubscription, n: number): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  const it = sub[Symbol.asyncIterator]();
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

/** Fail instead of hanging when a test waits for something that never comes (not a timing assertion). */
function watchdog<T>(p: Promise<T>, what: string, ms = 60_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const fail = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`watchdog: ${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, fail]).finally(() => clearTimeout(timer));
}

interface Ctx {
  double: EventStoreTestDouble;
  log: EventStoreEventLog;
}

for (const batchAppend of [true, false]) {
  const mode = batchAppend ? 'BatchAppend' : 'Append';
  const test = suite<Ctx>(`eventstore adapter via test double (${mode})`, {} as Ctx);

  test.before.each(async (ctx) => {
    ctx.double = await EventStoreTestDouble.start({ batchAppend });
    ctx.log = await openEventStoreLog(ctx.double.url, fast);
  });

  test.after.each(async (ctx) => {
    await ctx.log.close();
    await ctx.double.stop();
  });

  test('round-trips data, metadata (falsy values too), ids, revisions and positions', async ({ log }) => {
    const values: JsonValue[] = [null, 0, false, '', [], {}, 'text', { nested: ['ü', 1.5, null] }];
    const drafts = values.map((v) => draft('Value', v, v));
    const r = await log.append('acme/roundtrip', 'no-stream', drafts);
    const read = await log.readStream('acme/roundtrip');
    assert.equal(
      read.map((e) => [e.id, e.type, e.stream, e.revision, e.data, e.metadata]),
      drafts.map((d, i) => [d.id, d.type, 'acme/roundtrip', BigInt(i), d.data, d.metadata]),
    );
    assert.is(r.revision, BigInt(values.length - 1));
    assert.is(r.position, read.at(-1)!.position);
    const all = await log.readAll({ filter: { streamPrefixes: ['acme/roundtrip'] } });
    assert.equal(all, read);
  });

  test('positions are $all commit positions: increasing, not consecutive, equal in every read', async ({ log }) => {
    const a = await log.append('acme/p1', 'no-stream', [draft()]);
    const b = await log.append('acme/p2', 'no-stream', [draft(), draft()]);
    assert.ok(b.position > a.position);
    const all = await log.readAll();
    assert.is(all.length, 3);
    assert.is(all[0]!.position, a.position);
    assert.is(all[2]!.position, b.position);
    assert.ok(all[0]!.position < all[1]!.position && all[1]!.position < all[2]!.position);
    assert.ok(all[1]!.position - all[0]!.position > 1n);
    const [stream] = await log.readStream('acme/p2');
    assert.is(stream!.position, all[1]!.position);
  });

  test('expected revisions map to EventStoreDB and conflicts to WrongExpectedRevisionError', async ({ log }) => {
    const absent = await expectError(log.append('acme/e', 0n, [draft()]), WrongExpectedRevisionError);
    assert.is(absent.actual, 'no-stream');
    assert.is(absent.expected, 0n);
    await log.append('acme/e', 'no-stream', [draft(), draft()]);
    const exists = await expectError(log.append('acme/e', 'no-stream', [draft()]), WrongExpectedRevisionError);
    assert.is(exists.actual, 1n);
    const stale = await expectError(log.append('acme/e', 0n, [draft()]), WrongExpectedRevisionError);
    assert.is(stale.actual, 1n);
    assert.is((await log.append('acme/e', 1n, [draft()])).revision, 2n);
    assert.is((await log.append('acme/e', 'any', [draft()])).revision, 3n);
  });

  test('a repeated append (same ids, same expected revision) returns the first result and writes nothing', async ({
    log,
    double,
  }) => {
    const drafts = [draft(), draft()];
    const first = await log.append('acme/idem', 'no-stream', drafts);
    const size = double.events().length;
    assert.equal(await log.append('acme/idem', 'no-stream', drafts), first);
    assert.equal(await log.append('acme/idem', 'any', drafts), first);
    assert.is(double.events().length, size);
  });

  test('a lost ack surfaces as LogUnavailableError; the retry is idempotent', async ({ log, double }) => {
    await log.append('acme/ack', 'no-stream', [draft()]);
    const drafts = [draft(), draft()];
    double.loseNextAppendAcks(1);
    await expectError(log.append('acme/ack', 0n, drafts), LogUnavailableError);
    const retry = await log.append('acme/ack', 0n, drafts);
    assert.is(retry.revision, 2n);
    const read = await log.readStream('acme/ack');
    assert.equal(
      read.map((e) => e.id),
      [read[0]!.id, drafts[0]!.id, drafts[1]!.id],
    );
  });

  test('readStream: absent is empty; from, backwards and maxCount', async ({ log }) => {
    assert.equal(await log.readStream('acme/none'), []);
    const drafts = [draft(), draft(), draft(), draft()];
    await log.append('acme/rs', 'no-stream', drafts);
    const ids = (es: readonly RecordedEvent[]) => es.map((e) => e.id);
    assert.equal(ids(await log.readStream('acme/rs', { fromRevision: 2n })), ids(drafts.slice(2) as never));
    assert.equal(
      ids(await log.readStream('acme/rs', { direction: 'backwards', maxCount: 2 })),
      [drafts[3]!.id, drafts[2]!.id],
    );
    assert.equal(ids(await log.readStream('acme/rs', { direction: 'backwards', fromRevision: 1n })), [
      drafts[1]!.id,
      drafts[0]!.id,
    ]);
    assert.equal(await log.readStream('acme/rs', { maxCount: 0 }), []);
    assert.equal(await log.readStream('acme/rs', { fromRevision: 9n }), []);
  });

  test('readAll: after is exclusive (also between events), pages, maxCount, filters, no system events', async ({
    double,
  }) => {
    const log = await openEventStoreLog(double.url, { ...fast, readPageSize: 3 });
    try {
      const written: string[] = [];
      for (let i = 0; i < 7; i++) {
        const d = draft(i % 2 ? 'odd.Happened' : 'even.Happened');
        written.push(d.id);
        await log.append(`acme/${i % 3}`, 'any', [d]);
        if (i % 2) double.appendSystemEvent();
      }
      const all = await log.readAll();
      assert.equal(
        all.map((e) => e.id),
        written,
      );
      const after = await log.readAll({ after: all[2]!.position });
      assert.equal(after, all.slice(3));
      // A position no event sits at still excludes exactly the events at or before it.
      assert.equal(await log.readAll({ after: all[2]!.position + 1n }), all.slice(3));
      assert.equal(await log.readAll({ after: all[2]!.position, maxCount: 2 }), all.slice(3, 5));
      assert.equal(await log.readAll({ after: all.at(-1)!.position }), []);
      assert.equal(
        await log.readAll({ filter: { streamPrefixes: ['acme/1'] } }),
        all.filter((e) => e.stream === 'acme/1'),
      );
      assert.equal(
        await log.readAll({ filter: { eventTypePrefixes: ['odd.'] }, maxCount: 2 }),
        all.filter((e) => e.type.startsWith('odd.')).slice(0, 2),
      );
    } finally {
      await log.close();
    }
  });

  test('subscribe: catch-up then live, after is exclusive, filters, no system events', async ({ log, double }) => {
    const a = [draft('a.One'), draft('b.Two'), draft('a.Three')];
    await log.append('acme/s', 'no-stream', a);
    double.appendSystemEvent();
    const [first] = await log.readAll();
    const sub = log.subscribe({ after: first!.position, filter: { eventTypePrefixes: ['a.'] } });
    const caughtUp = await take(sub, 1);
    assert.equal(
      caughtUp.map((e) => e.id),
      [a[2]!.id],
    );
    const live = [draft('a.Four'), draft('b.Five'), draft('a.Six')];
    await log.append('acme/s', 2n, live);
    double.appendSystemEvent();
    const more = await take(sub, 2);
    assert.equal(
      more.map((e) => e.id),
      [live[0]!.id, live[2]!.id],
    );
    await sub.close();
    assert.equal(await take(sub, 1), [], 'closed subscriptions end');
  });

  test('subscribe after a position no event sits at skips nothing', async ({ log }) => {
    const drafts = [draft(), draft(), draft()];
    await log.append('acme/gap', 'no-stream', drafts);
    const all = await log.readAll();
    const sub = log.subscribe({ after: all[0]!.position + 1n });
    const got = await take(sub, 2);
    await sub.close();
    assert.equal(got, all.slice(1));
  });

  test('close() ends a pending iteration and closes the log', async ({ double }) => {
    const log = await openEventStoreLog(double.url, fast);
    const sub = log.subscribe();
    const pending = sub[Symbol.asyncIterator]().next();
    await delay(20); // let it reach the live phase; the assertion does not depend on it
    await log.close();
    assert.equal(await pending, { done: true, value: undefined });
    await expectError(log.readAll(), Error);
  });

  test('an unavailable server surfaces as LogUnavailableError, and the log recovers', async ({ log, double }) => {
    await log.append('acme/u', 'no-stream', [draft()]);
    double.setUnavailable(true);
    await expectError(log.append('acme/u', 0n, [draft()]), LogUnavailableError);
    await expectError(log.append('acme/u', 0n, [draft()]), LogUnavailableError);
    await expectError(log.readStream('acme/u'), LogUnavailableError);
    await expectError(log.readAll(), LogUnavailableError);
    double.setUnavailable(false);
    assert.is((await log.append('acme/u', 0n, [draft()])).revision, 1n);
    assert.is((await log.readStream('acme/u')).length, 2);
  });

  test('a call on a channel the client just closed fails fast instead of hanging', async ({ log }) => {
    await log.append('acme/ch', 'no-stream', [draft()]);
    // What the client does to a channel after an UNAVAILABLE elsewhere, minus the cache reset it does next.
    const channel = await (log.client as unknown as { getChannel(): Promise<Channel> }).getChannel();
    channel.close();
    const attempt = log.append('acme/ch', 0n, [draft()]).then(
      (r) => r,
      (err: unknown) => err,
    );
    const outcome = await watchdog(attempt, 'append on a closed channel', 10_000);
    if (outcome instanceof Error) assert.instance(outcome, LogUnavailableError);
    const read = await watchdog(log.readStream('acme/ch').catch((e: unknown) => e), 'read', 10_000);
    if (read instanceof Error) assert.instance(read, LogUnavailableError);
    const next = await log.append('acme/ch', 'any', [draft()]);
    assert.ok(next.revision >= 1n);
  });

  test('a subscriber sees every event exactly once, in order, through drops, outages and lost acks', async ({
    log,
    double,
  }) => {
    const prefix = `acme/chaos-${randomUUID()}/`;
    const writers = 4;
    let chaosDone = false;
    const retries = { unavailable: 0 };

    async function appendWithRetry(stream: string, expected: bigint | 'no-stream', drafts: EventDraft[]) {
      for (;;) {
        try {
          return await log.append(stream, expected, drafts);
        } catch (err) {
          if (!(err instanceof LogUnavailableError)) throw err;
          retries.unavailable++;
          await delay(2);
        }
      }
    }

    async function writer(w: number): Promise<number> {
      const stream = `${prefix}${w}`;
      let expected: bigint | 'no-stream' = 'no-stream';
      let written = 0;
      while (!chaosDone || written < 30) {
        const batch = Array.from({ length: 1 + (written % 3) }, () => draft(`Chaos.W${w}`, { w, n: written }));
        expected = (await appendWithRetry(stream, expected, batch)).revision;
        written += batch.length;
        await delay(0);
      }
      return written;
    }

    // Chaos follows the subscriber's progress, so it lands mid-stream whatever the machine's speed.
    const chaos = new Map<number, () => void>([
      [5, () => double.dropSubscriptions()],
      [15, () => double.loseNextAppendAcks(2)],
      [25, () => double.unavailableFor(40)],
      [45, () => double.dropSubscriptions()],
      [60, () => (double.dropSubscriptions(), double.unavailableFor(10))],
      [80, () => double.dropSubscriptions()],
      [100, () => (chaosDone = true)],
    ]);
    const sentinel = draft('Chaos.End');
    const sub = log.subscribe({ filter: { streamPrefixes: [prefix] } });
    const received: RecordedEvent[] = [];
    const consume = (async () => {
      for await (const e of sub) {
        received.push(e);
        chaos.get(received.length)?.();
        if (e.id === sentinel.id) break;
      }
    })();
    const totals = await watchdog(Promise.all(Array.from({ length: writers }, (_, w) => writer(w))), 'writers');
    await appendWithRetry(`${prefix}end`, 'no-stream', [sentinel]);
    await watchdog(consume, 'subscriber');

    const expected = await log.readAll({ filter: { streamPrefixes: [prefix] } });
    assert.is(expected.length, totals.reduce((a, b) => a + b, 0) + 1);
    assert.is(new Set(received.map((e) => e.id)).size, received.length, 'no duplicates');
    assert.equal(
      received.map((e) => e.id),
      expected.map((e) => e.id),
      'every event once, in $all order',
    );
    assert.equal(received, expected);
    assert.ok(retries.unavailable > 0, 'writers went through an outage');
  });

  test.run();
}

const conversions = suite('eventstore adapter: connection strings');

conversions('kurrentdb:// and kdb:// become the esdb:// this client parses', () => {
  assert.is(toClientConnectionString('kurrentdb://h:2113?tls=false'), 'esdb://h:2113?tls=false');
  assert.is(toClientConnectionString('kdb+discover://h:2113'), 'esdb+discover://h:2113');
  assert.is(toClientConnectionString('esdb://h:2113'), 'esdb://h:2113');
});

conversions.run();

// ---- the shared contract ----------------------------------------------------------------------------------

/** EventStoreDB's idempotency is per stream: it has no global event-id index. */
const EVENTSTORE_CAPABILITIES = { globalEventIds: false, exactRepeats: false } as const;

// Through the real client over loopback gRPC to the double, on both append paths: BatchAppend (what a real
// server advertises, so production uses it) and Append (the client's fallback).
for (const batchAppend of [true, false]) {
  eventLogContract(`eventstore via test double (${batchAppend ? 'BatchAppend' : 'Append'})`, async () => {
    const double = await EventStoreTestDouble.start({ batchAppend });
    const log = await openEventStoreLog(double.url, fast);
    return {
      log,
      async cleanup() {
        await log.close();
        await double.stop();
      },
    };
  }, EVENTSTORE_CAPABILITIES);
}

// A real server, when one is configured (streams are namespaced per test, so a shared server is fine).
const url = process.env['EVENTSTORE_URL'];
if (!url) {
  console.log('skipped: EventStoreDB server contract suite (EVENTSTORE_URL not set)');
} else {
  eventLogContract('eventstore via EVENTSTORE_URL', async () => {
    const log = await openEventStoreLog(url, fast);
    return { log, cleanup: () => log.close() };
  }, EVENTSTORE_CAPABILITIES);
}
