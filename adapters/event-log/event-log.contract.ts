// The EventLog port's contract: uvu suites every adapter (PostgreSQL/PGlite, EventStoreDB) must pass.
// Registers suites only; an adapter's *.test.ts calls eventLogContract with a way to open a fresh log.
// Tests share one log per suite and isolate themselves by unique stream prefixes, so a shared server works.
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventDraft,
  type EventLog,
  type ExpectedRevision,
  type ReadAllOptions,
  type RecordedEvent,
} from './event-log.js';
import type { JsonValue } from '../../schemas/json.js';

export interface EventLogHarness {
  readonly log: EventLog;
  /** Closes the log (if the test has not) and removes whatever `open` created. */
  cleanup(): Promise<void>;
  /**
   * Optional: while on, the adapter makes some appends commit after appends that started later
   * (PostgreSQL: a delay before COMMIT), so the concurrency suite also covers late commits.
   */
  readonly lateCommits?: (on: boolean) => void;
}

export type OpenEventLog = () => Promise<EventLogHarness>;

/** What a log guarantees beyond the port's common ground. */
export interface EventLogCapabilities {
  /**
   * Event ids are unique across the whole log: a stored id appended anywhere but as an idempotent repeat
   * is a DuplicateEventIdError. PostgreSQL has this (a unique index); EventStoreDB has no global id
   * index (its idempotency is per stream), so it writes such an event.
   */
  readonly globalEventIds: boolean;
  /**
   * Every append result says whether it was a repeat (`repeat: true | false`). PostgreSQL knows; EventStoreDB
   * answers a repeat at the expected revision exactly as a write, so it leaves `repeat` unset then.
   */
  readonly exactRepeats: boolean;
}

/** A hang is a failure too: bound every wait generously (this is not a performance assertion). */
const GUARD_MS = 30_000;

export function eventLogContract(name: string, open: OpenEventLog, capabilities: EventLogCapabilities = { globalEventIds: true, exactRepeats: true }): void {
  if (!capabilities.globalEventIds) console.log(`n/a for ${name}: global event-id uniqueness (the log has no global id index)`);
  appendSuite(name, open, capabilities);
  readStreamSuite(name, open);
  readAllSuite(name, open);
  subscribeSuite(name, open);
  closeSuite(name, open);
  concurrencySuite(name, open);
}

// ---- helpers ------------------------------------------------------------------------------------

/** A prefix no other test (or run) uses. */
const ns = (): string => `c${randomUUID().slice(0, 8)}`;

const ev = (data: JsonValue = {}, type = 'test.event', metadata: JsonValue = { source: 'contract' }): EventDraft => ({
  id: randomUUID(),
  type,
  data,
  metadata,
});

const evs = (n: number, tag = 'e'): EventDraft[] => Array.from({ length: n }, (_, i) => ev({ tag, i }));

const ids = (events: readonly { id: string }[]): string[] => events.map((e) => e.id);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  return assert.unreachable('expected the promise to reject');
}

async function wrongRevision(promise: Promise<unknown>): Promise<WrongExpectedRevisionError> {
  const err = await rejection(promise);
  assert.instance(err, WrongExpectedRevisionError);
  return err as WrongExpectedRevisionError;
}

async function duplicateId(promise: Promise<unknown>): Promise<DuplicateEventIdError> {
  const err = await rejection(promise);
  assert.instance(err, DuplicateEventIdError);
  return err as DuplicateEventIdError;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function guard<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no progress within ${GUARD_MS} ms`)), GUARD_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * readAll until at least `count` events are returned. A log may show a committed event to $all
 * readers a moment after the append returns (PostgreSQL holds it back while older transactions run).
 */
async function readAllAtLeast(log: EventLog, options: ReadAllOptions, count: number): Promise<readonly RecordedEvent[]> {
  const deadline = Date.now() + GUARD_MS;
  for (;;) {
    const events = await log.readAll(options);
    if (events.length >= count || Date.now() > deadline) return events;
    await sleep(10);
  }
}

/** Pull `count` events from an iterator, bounded by the guard. */
async function take(it: AsyncIterator<RecordedEvent>, count: number, what = 'subscription'): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  while (out.length < count) {
    const next = await guard(it.next(), `${what} (${out.length}/${count})`);
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

function withHarness(title: string, open: OpenEventLog) {
  const test = suite<{ h: EventLogHarness }>(title, {} as { h: EventLogHarness });
  test.before(async (ctx) => {
    ctx.h = await open();
  });
  test.after(async (ctx) => {
    await ctx.h?.cleanup();
  });
  return test;
}

// ---- append -------------------------------------------------------------------------------------

function appendSuite(name: string, open: OpenEventLog, capabilities: EventLogCapabilities): void {
  const test = withHarness(`${name}: append`, open);

  test("'no-stream' creates the stream at revision 0; a batch returns its last revision and position", async ({ h }) => {
    const s = `${ns()}/a`;
    const one = await h.log.append(s, 'no-stream', [ev()]);
    assert.is(typeof one.revision, 'bigint');
    assert.is(typeof one.position, 'bigint');
    assert.is(one.revision, 0n);
    const three = await h.log.append(`${s}-b`, 'no-stream', evs(3));
    assert.is(three.revision, 2n);
    const stored = await h.log.readStream(`${s}-b`);
    assert.is(stored.length, 3);
    assert.is(stored[2]!.position, three.position);
    assert.ok(three.position > one.position);
  });

  test('an exact expected revision appends the next revisions', async ({ h }) => {
    const s = `${ns()}/a`;
    await h.log.append(s, 'no-stream', evs(2));
    const r = await h.log.append(s, 1n, evs(3));
    assert.is(r.revision, 4n);
    const r2 = await h.log.append(s, 4n, [ev()]);
    assert.is(r2.revision, 5n);
    assert.equal(
      (await h.log.readStream(s)).map((e) => e.revision),
      [0n, 1n, 2n, 3n, 4n, 5n],
    );
  });

  test("'any' appends to an absent and to an existing stream", async ({ h }) => {
    const s = `${ns()}/a`;
    assert.is((await h.log.append(s, 'any', [ev()])).revision, 0n);
    assert.is((await h.log.append(s, 'any', evs(2))).revision, 2n);
  });

  test("'no-stream' on an existing stream fails with the actual revision and writes nothing", async ({ h }) => {
    const s = `${ns()}/a`;
    await h.log.append(s, 'no-stream', evs(2));
    const err = await wrongRevision(h.log.append(s, 'no-stream', [ev()]));
    assert.is(err.stream, s);
    assert.is(err.expected, 'no-stream');
    assert.is(err.actual, 1n);
    assert.is((await h.log.readStream(s)).length, 2);
  });

  test("an exact revision on an absent stream fails with actual 'no-stream' and creates nothing", async ({ h }) => {
    const s = `${ns()}/a`;
    const err = await wrongRevision(h.log.append(s, 0n, [ev()]));
    assert.is(err.expected, 0n);
    assert.is(err.actual, 'no-stream');
    assert.equal(await h.log.readStream(s), []);
    assert.is((await h.log.append(s, 'no-stream', [ev()])).revision, 0n);
  });

  test('a stale or future exact revision fails with the actual revision and writes nothing', async ({ h }) => {
    const s = `${ns()}/a`;
    await h.log.append(s, 'no-stream', evs(3));
    const stale = await wrongRevision(h.log.append(s, 0n, [ev()]));
    assert.is(stale.expected, 0n);
    assert.is(stale.actual, 2n);
    const future = await wrongRevision(h.log.append(s, 7n, [ev()]));
    assert.is(future.actual, 2n);
    assert.is((await h.log.readStream(s)).length, 3);
  });

  test('re-appending the same batch returns the earlier result and writes nothing, whatever is expected', async ({ h }) => {
    const s = `${ns()}/a`;
    await h.log.append(s, 'no-stream', evs(2));
    const batch = evs(3, 'retry');
    const first = await h.log.append(s, 1n, batch);
    await h.log.append(s, 4n, evs(1));
    const expectations: ExpectedRevision[] = [1n, 4n, 'no-stream', 'any', 99n];
    // A write is never called a repeat; a repeat is never called a write (and, where the log knows, is called one).
    assert.is(first.repeat ?? false, false);
    for (const expected of expectations) {
      const again = await h.log.append(s, expected, batch);
      assert.equal([again.revision, again.position], [first.revision, first.position], `expected ${String(expected)}`);
      assert.is(again.repeat ?? !capabilities.exactRepeats, true, `expected ${String(expected)}: repeat`);
    }
    const stored = await h.log.readStream(s);
    assert.is(stored.length, 6);
    assert.equal(ids(stored.slice(2, 5)), ids(batch));
  });

  test('a single-event append repeated concurrently is written once', async ({ h }) => {
    const s = `${ns()}/a`;
    const e = ev();
    const results = await Promise.all([1, 2, 3, 4].map(() => h.log.append(s, 'any', [e])));
    for (const r of results) assert.equal([r.revision, r.position], [results[0]!.revision, results[0]!.position]);
    if (capabilities.exactRepeats) assert.is(results.filter((r) => r.repeat === false).length, 1, 'one write, three repeats');
    assert.is((await h.log.readStream(s)).length, 1);
  });

  if (capabilities.globalEventIds) test('reusing a stored id any other way is a DuplicateEventIdError', async ({ h }) => {
    const s = `${ns()}/a`;
    const [a, b] = evs(2);
    await h.log.append(s, 'no-stream', [a!, b!]);
    const other = await duplicateId(h.log.append(`${s}-other`, 'any', [a!]));
    assert.is(other.eventId, a!.id);
    const mixed = await duplicateId(h.log.append(s, 'any', [ev(), b!]));
    assert.is(mixed.eventId, b!.id);
    await duplicateId(h.log.append(s, 'any', [b!, a!])); // other order
    await duplicateId(h.log.append(s, 'any', [a!, b!, ev()])); // more than that append
    const fresh = ev();
    const twice = await duplicateId(h.log.append(`${s}-twice`, 'no-stream', [fresh, fresh]));
    assert.is(twice.eventId, fresh.id);
    assert.is((await h.log.readStream(s)).length, 2);
    assert.equal(await h.log.readStream(`${s}-other`), []);
    assert.equal(await h.log.readStream(`${s}-twice`), []);
  });

  test('an empty append writes nothing (an adapter may reject it)', async ({ h }) => {
    const s = `${ns()}/a`;
    try {
      await h.log.append(s, 'no-stream', []);
    } catch {
      // rejecting is allowed; writing is not
    }
    assert.equal(await h.log.readStream(s), []);
    assert.is((await h.log.append(s, 'no-stream', [ev()])).revision, 0n);
  });

  test('concurrent appends: a failing append does not fail the others', async ({ h }) => {
    const p = ns();
    await h.log.append(`${p}/taken`, 'no-stream', [ev()]);
    const used = ev();
    await h.log.append(`${p}/used`, 'no-stream', [used]);
    // Without a global id index, a stored id in another stream is not a failure; the case is left out.
    const dup = capabilities.globalEventIds ? [h.log.append(`${p}/dup`, 'any', [used])] : [];
    const settled = await Promise.allSettled([
      h.log.append(`${p}/ok1`, 'no-stream', [ev()]),
      h.log.append(`${p}/taken`, 'no-stream', [ev()]),
      h.log.append(`${p}/ok2`, 'any', evs(3)),
      h.log.append(`${p}/ok3`, 'no-stream', [ev()]),
      h.log.append(`${p}/taken`, 5n, [ev()]),
      ...dup,
    ]);
    assert.equal(
      settled.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected', ...dup.map(() => 'rejected')],
    );
    assert.instance((settled[1] as PromiseRejectedResult).reason, WrongExpectedRevisionError);
    assert.instance((settled[4] as PromiseRejectedResult).reason, WrongExpectedRevisionError);
    if (dup.length > 0) assert.instance((settled[5] as PromiseRejectedResult).reason, DuplicateEventIdError);
    assert.is((await h.log.readStream(`${p}/ok2`)).length, 3);
    assert.is((await h.log.readStream(`${p}/taken`)).length, 1);
  });

  test('concurrent appends with the same expected revision: exactly one wins', async ({ h }) => {
    const s = `${ns()}/a`;
    await h.log.append(s, 'no-stream', [ev()]);
    const settled = await Promise.allSettled([1, 2, 3, 4, 5, 6].map((i) => h.log.append(s, 0n, [ev({ i })])));
    const won = settled.filter((r): r is PromiseFulfilledResult<AppendResult> => r.status === 'fulfilled');
    assert.is(won.length, 1);
    assert.is(won[0]!.value.revision, 1n);
    for (const r of settled) {
      if (r.status === 'rejected') {
        assert.instance(r.reason, WrongExpectedRevisionError);
        assert.is((r.reason as WrongExpectedRevisionError).actual, 1n);
      }
    }
    assert.is((await h.log.readStream(s)).length, 2);
  });

  test('data and metadata round-trip as the same JSON values', async ({ h }) => {
    const s = `${ns()}/json`;
    const values: JsonValue[] = [
      { b: 1, a: [1, 2, { z: null, y: true, x: false }], nested: { deep: { deeper: ['s', 0, -1] } } },
      { numbers: [0, -0.5, 0.1 + 0.2, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER, -Number.MAX_VALUE, 123456.789] },
      { text: 'quotes " and \\ backslash, tab\t, newline\n, unicode é 日本 🎉, percent % underscore _' },
      { '': 'empty key', 'key with spaces': 1, 'ключ': 'юникод' },
      [],
      {},
      'a plain string',
      42.5,
      true,
      null,
    ];
    const drafts = values.map((v, i) => ev(v, `json.t${i}`, values[values.length - 1 - i]!));
    await h.log.append(s, 'no-stream', drafts);
    const stored = await h.log.readStream(s);
    stored.forEach((e, i) => {
      assert.equal(e.data, drafts[i]!.data, `data ${i}`);
      assert.equal(e.metadata, drafts[i]!.metadata, `metadata ${i}`);
      assert.is(e.type, drafts[i]!.type);
      assert.is(e.id, drafts[i]!.id);
    });
  });

  test('positions grow with every append and follow revision order within an append', async ({ h }) => {
    const p = ns();
    const a = await h.log.append(`${p}/a`, 'no-stream', evs(3));
    const b = await h.log.append(`${p}/b`, 'no-stream', evs(2));
    const c = await h.log.append(`${p}/a`, 2n, evs(1));
    assert.ok(a.position < b.position && b.position < c.position);
    const stream = await h.log.readStream(`${p}/a`);
    for (let i = 1; i < stream.length; i++) assert.ok(stream[i - 1]!.position < stream[i]!.position);
  });

  test.run();
}

// ---- readStream ---------------------------------------------------------------------------------

function readStreamSuite(name: string, open: OpenEventLog): void {
  const test = withHarness(`${name}: readStream`, open);

  test('an absent stream reads as empty, in both directions', async ({ h }) => {
    const s = `${ns()}/none`;
    assert.equal(await h.log.readStream(s), []);
    assert.equal(await h.log.readStream(s, { direction: 'backwards' }), []);
  });

  test('forwards: from revision 0 by default, fromRevision inclusive, maxCount', async ({ h }) => {
    const s = `${ns()}/a`;
    const drafts = evs(6);
    await h.log.append(s, 'no-stream', drafts.slice(0, 4));
    await h.log.append(s, 3n, drafts.slice(4));
    await h.log.append(`${s}x`, 'no-stream', evs(2)); // a stream sharing the prefix is not read
    const all = await h.log.readStream(s);
    assert.equal(ids(all), ids(drafts));
    assert.equal(all.map((e) => e.revision), [0n, 1n, 2n, 3n, 4n, 5n]);
    assert.equal((await h.log.readStream(s, { fromRevision: 2n })).map((e) => e.revision), [2n, 3n, 4n, 5n]);
    assert.equal((await h.log.readStream(s, { fromRevision: 1n, maxCount: 2 })).map((e) => e.revision), [1n, 2n]);
    assert.equal(await h.log.readStream(s, { fromRevision: 6n }), []);
    assert.equal(await h.log.readStream(s, { maxCount: 0 }), []);
  });

  test('backwards: from the last revision by default, fromRevision inclusive, maxCount', async ({ h }) => {
    const s = `${ns()}/a`;
    await h.log.append(s, 'no-stream', evs(5));
    const rev = async (o: Parameters<EventLog['readStream']>[1]) => (await h.log.readStream(s, o)).map((e) => e.revision);
    assert.equal(await rev({ direction: 'backwards' }), [4n, 3n, 2n, 1n, 0n]);
    assert.equal(await rev({ direction: 'backwards', maxCount: 1 }), [4n]);
    assert.equal(await rev({ direction: 'backwards', fromRevision: 2n }), [2n, 1n, 0n]);
    assert.equal(await rev({ direction: 'backwards', fromRevision: 3n, maxCount: 2 }), [3n, 2n]);
  });

  test('recorded events carry what was appended and where it was stored', async ({ h }) => {
    const s = `${ns()}/a`;
    const drafts = [ev({ n: 1 }, 'thing.created', { who: 'x' }), ev({ n: 2 }, 'thing.renamed', { who: 'y' })];
    const r = await h.log.append(s, 'no-stream', drafts);
    const [a, b] = await h.log.readStream(s);
    assert.equal({ id: b!.id, type: b!.type, data: b!.data, metadata: b!.metadata }, drafts[1]);
    assert.is(a!.stream, s);
    assert.is(b!.stream, s);
    assert.is(b!.revision, r.revision);
    assert.is(b!.position, r.position);
    assert.is(typeof a!.position, 'bigint');
    assert.is(typeof a!.revision, 'bigint');
  });

  test('reads asked for together each get their own stream, whole or from their revision (a store may answer them in one round trip)', async ({ h }) => {
    const p = ns();
    const names = [`${p}/a`, `${p}/b`, `${p}/"quoted" \\ \u00e9`, `${p}/a_b%`];
    for (const [i, name] of names.entries()) await h.log.append(name, 'no-stream', evs(i + 1));
    const reads = await Promise.all([
      ...names.map((name) => h.log.readStream(name)),
      h.log.readStream(names[2]!, { fromRevision: 1n }),
      h.log.readStream(`${p}/none`),
      h.log.readStream(names[0]!),
      h.log.readStream(names[3]!, { fromRevision: 9n }),
    ]);
    assert.equal(reads.map((r) => r.map((e) => `${e.stream}@${e.revision}`)), [
      [`${names[0]}@0`],
      [`${names[1]}@0`, `${names[1]}@1`],
      [`${names[2]}@0`, `${names[2]}@1`, `${names[2]}@2`],
      [`${names[3]}@0`, `${names[3]}@1`, `${names[3]}@2`, `${names[3]}@3`],
      [`${names[2]}@1`, `${names[2]}@2`],
      [],
      [`${names[0]}@0`],
      [],
    ]);
    // A read that fails (a name no store can hold) fails alone; the reads beside it are answered.
    const [bad, good] = await Promise.allSettled([h.log.readStream(`${p}/nul\0name`), h.log.readStream(names[1]!)]);
    assert.ok(good.status === 'fulfilled' && good.value.length === 2);
    assert.ok(bad.status === 'rejected' || bad.value.length === 0);
  });

  test('stream names are matched exactly, wildcard characters included', async ({ h }) => {
    const p = ns();
    await h.log.append(`${p}/a_b%`, 'no-stream', [ev()]);
    await h.log.append(`${p}/axbz`, 'no-stream', evs(2));
    assert.is((await h.log.readStream(`${p}/a_b%`)).length, 1);
    assert.equal(await h.log.readStream(`${p}/a_b`), []);
  });

  test.run();
}

// ---- readAll ------------------------------------------------------------------------------------

function readAllSuite(name: string, open: OpenEventLog): void {
  const test = withHarness(`${name}: readAll`, open);

  /** Appends a marker first, so reads `after` it see only this test's events and later ones. */
  async function scenario(log: EventLog) {
    const p = ns();
    const marker = await log.append(`${p}/marker`, 'no-stream', [ev({}, 'marker')]);
    const appended: EventDraft[] = [];
    const plan: [string, EventDraft[]][] = [
      [`${p}/orders/1`, [ev({ n: 0 }, 'order.placed'), ev({ n: 1 }, 'order.paid')]],
      [`${p}/users/1`, [ev({ n: 2 }, 'user.joined')]],
      [`${p}/orders/2`, [ev({ n: 3 }, 'order.placed')]],
      [`${p}/orders_x/1`, [ev({ n: 4 }, 'order_x.placed')]],
      [`${p}/users/1`, [ev({ n: 5 }, 'user.left')]],
    ];
    for (const [stream, events] of plan) {
      await log.append(stream, 'any', events);
      appended.push(...events);
    }
    return { p, after: marker.position, appended };
  }

  test('returns every event after the position, of all streams, in position order, each once', async ({ h }) => {
    const { p, after, appended } = await scenario(h.log);
    const all = await readAllAtLeast(h.log, { after }, appended.length);
    const mine = all.filter((e) => e.stream.startsWith(`${p}/`));
    assert.equal(ids(mine), ids(appended));
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.position < all[i]!.position, 'position order');
    assert.ok(all.every((e) => e.position > after), 'after is exclusive');
    const back = await h.log.readStream(`${p}/orders/1`);
    assert.equal(mine.slice(0, 2), back, 'same records as readStream');
  });

  test('after is exclusive and maxCount bounds a page; pages concatenate to the whole', async ({ h }) => {
    const { p, after, appended } = await scenario(h.log);
    const filter = { streamPrefixes: [`${p}/`] };
    const all = await readAllAtLeast(h.log, { after, filter }, appended.length);
    assert.is(all.length, appended.length);
    const page = await h.log.readAll({ after, maxCount: 2, filter });
    assert.equal(ids(page), ids(appended.slice(0, 2)));
    const next = await h.log.readAll({ after: page[1]!.position, maxCount: 2, filter });
    assert.equal(ids(next), ids(appended.slice(2, 4)));
    const paged: RecordedEvent[] = [];
    let cursor = after;
    for (;;) {
      const chunk = await h.log.readAll({ after: cursor, maxCount: 4, filter });
      if (chunk.length === 0) break;
      paged.push(...chunk);
      cursor = chunk[chunk.length - 1]!.position;
    }
    assert.equal(paged, all);
    assert.equal(await h.log.readAll({ after: all[all.length - 1]!.position, filter }), []);
    assert.equal(await h.log.readAll({ after, maxCount: 0, filter }), []);
  });

  test('headPosition is the position of the last committed event; readAll after it is empty', async ({ h }) => {
    const r = await h.log.append(`${ns()}/a`, 'no-stream', evs(2));
    const deadline = Date.now() + GUARD_MS;
    let head = await h.log.headPosition();
    while ((head === undefined || head < r.position) && Date.now() < deadline) {
      await sleep(10);
      head = await h.log.headPosition();
    }
    assert.is(typeof head, 'bigint');
    assert.is(head, r.position);
    assert.equal(await h.log.readAll({ after: head! }), []);
  });

  test('lastPosition counts an append as soon as it is acknowledged, and is never below headPosition', async ({ h }) => {
    const r = await h.log.append(`${ns()}/a`, 'no-stream', evs(1));
    const last = await h.log.lastPosition();
    assert.ok(last !== undefined && last >= r.position, `lastPosition ${String(last)} after an append at ${r.position}`);
    const head = await h.log.headPosition();
    assert.ok(head === undefined || (await h.log.lastPosition())! >= head);
  });

  test('streamPrefixes: any of several prefixes, matched literally', async ({ h }) => {
    const { p, after, appended } = await scenario(h.log);
    const orders = await readAllAtLeast(h.log, { after, filter: { streamPrefixes: [`${p}/orders/`] } }, 3);
    assert.equal(ids(orders), ids([appended[0]!, appended[1]!, appended[3]!]));
    const two = await readAllAtLeast(h.log, { after, filter: { streamPrefixes: [`${p}/users/`, `${p}/orders_`] } }, 3);
    assert.equal(ids(two), ids([appended[2]!, appended[4]!, appended[5]!]));
    // '_' and '%' are characters here, not wildcards
    const literal = await h.log.readAll({ after, filter: { streamPrefixes: [`${p}/orders_x`] } });
    assert.equal(ids(literal), ids([appended[4]!]));
    assert.equal(await h.log.readAll({ after, filter: { streamPrefixes: [`${p}/orders%`] } }), []);
    assert.equal(await h.log.readAll({ after, filter: { streamPrefixes: [`${p}/o_ders/`] } }), []);
  });

  test('eventTypePrefixes: any of several prefixes', async ({ h }) => {
    const { p, after, appended } = await scenario(h.log);
    const mine = (events: readonly RecordedEvent[]) => events.filter((e) => e.stream.startsWith(`${p}/`));
    const placed = mine(await readAllAtLeast(h.log, { after, filter: { eventTypePrefixes: ['order.'] } }, 3));
    assert.equal(ids(placed), ids([appended[0]!, appended[1]!, appended[3]!]));
    const users = mine(
      await readAllAtLeast(h.log, { after, filter: { eventTypePrefixes: ['user.', 'order_x.'] } }, 3),
    );
    assert.equal(ids(users), ids([appended[2]!, appended[4]!, appended[5]!]));
  });

  test.run();
}

// ---- subscribe ----------------------------------------------------------------------------------

function subscribeSuite(name: string, open: OpenEventLog): void {
  const test = withHarness(`${name}: subscribe`, open);

  test('catches up, then delivers live events in order, then close() ends iteration', async ({ h }) => {
    const p = ns();
    const marker = await h.log.append(`${p}/marker`, 'no-stream', [ev()]);
    const before = evs(3, 'before');
    await h.log.append(`${p}/a`, 'no-stream', before);
    const sub = h.log.subscribe({ after: marker.position, filter: { streamPrefixes: [`${p}/`] } });
    const it = sub[Symbol.asyncIterator]();
    assert.equal(ids(await take(it, 3)), ids(before));
    const live = evs(2, 'live');
    const pending = take(it, 3);
    await h.log.append(`${p}/b`, 'no-stream', live.slice(0, 1));
    await h.log.append(`${p}/a`, 2n, live.slice(1));
    const more = ev({ last: true });
    await h.log.append(`${p}/c`, 'any', [more]);
    const got = await pending;
    assert.equal(ids(got), ids([...live, more]));
    assert.ok(got[0]!.position < got[1]!.position && got[1]!.position < got[2]!.position);
    const waiting = it.next();
    await sub.close();
    const end = await guard(waiting, 'close');
    assert.is(end.done, true);
  });

  test('resumes after a stored position', async ({ h }) => {
    const s = `${ns()}/a`;
    const drafts = evs(5);
    await h.log.append(s, 'no-stream', drafts);
    const stored = await h.log.readStream(s);
    const sub = h.log.subscribe({ after: stored[1]!.position, filter: { streamPrefixes: [s] } });
    const got = await take(sub[Symbol.asyncIterator](), 3);
    await sub.close();
    assert.equal(ids(got), ids(drafts.slice(2)));
  });

  test('filters by event type, live too', async ({ h }) => {
    const p = ns();
    const marker = await h.log.append(`${p}/marker`, 'no-stream', [ev()]);
    const type = `${p}.wanted`;
    await h.log.append(`${p}/a`, 'no-stream', [ev({}, 'other'), ev({ n: 1 }, type), ev({}, 'other')]);
    const sub = h.log.subscribe({ after: marker.position, filter: { eventTypePrefixes: [type] } });
    const it = sub[Symbol.asyncIterator]();
    const first = await take(it, 1);
    assert.equal(first[0]!.data, { n: 1 });
    const pending = take(it, 1);
    await h.log.append(`${p}/b`, 'no-stream', [ev({}, 'other'), ev({ n: 2 }, `${type}.sub`)]);
    assert.equal((await pending)[0]!.data, { n: 2 });
    await sub.close();
  });

  test('two subscribers see the same events; breaking out of for-await ends one', async ({ h }) => {
    const p = ns();
    const marker = await h.log.append(`${p}/marker`, 'no-stream', [ev()]);
    const filter = { streamPrefixes: [`${p}/x`] };
    const drafts = evs(4);
    const one = h.log.subscribe({ after: marker.position, filter });
    const two = h.log.subscribe({ after: marker.position, filter });
    const seen: string[] = [];
    const consumer = (async () => {
      for await (const e of one) {
        seen.push(e.id);
        if (seen.length === 2) break;
      }
    })();
    await h.log.append(`${p}/x`, 'no-stream', drafts);
    await guard(consumer, 'for-await');
    assert.equal(seen, ids(drafts.slice(0, 2)));
    assert.equal(ids(await take(two[Symbol.asyncIterator](), 4)), ids(drafts));
    await two.close();
    await one.close(); // already ended: closing again is harmless
  });

  test('two subscriptions at different positions: each starts at its own, then both follow live', async ({ h }) => {
    const p = ns();
    const filter = { streamPrefixes: [`${p}/`] };
    const marker = await h.log.append(`${p}/marker`, 'no-stream', [ev()]);
    const first = evs(3, 'first');
    const written = await h.log.append(`${p}/a`, 'no-stream', first);
    const early = h.log.subscribe({ after: marker.position, filter });
    const late = h.log.subscribe({ after: written.position, filter });
    const e = early[Symbol.asyncIterator]();
    const l = late[Symbol.asyncIterator]();
    assert.equal(ids(await take(e, 3, 'early')), ids(first));
    const live = evs(2, 'live');
    const [fromEarly, fromLate] = [take(e, 2, 'early'), take(l, 2, 'late')];
    await h.log.append(`${p}/b`, 'no-stream', live.slice(0, 1));
    await h.log.append(`${p}/a`, 2n, live.slice(1));
    assert.equal(ids(await fromEarly), ids(live));
    assert.equal(ids(await fromLate), ids(live), 'the later one starts after its own position');
    await Promise.all([early.close(), late.close()]);
  });

  test('a slow subscriber misses nothing and does not hold back a fast one', async ({ h }) => {
    const p = ns();
    const filter = { streamPrefixes: [`${p}/`] };
    const marker = await h.log.append(`${p}/marker`, 'no-stream', [ev()]);
    const slow = h.log.subscribe({ after: marker.position, filter });
    const fast = h.log.subscribe({ after: marker.position, filter });
    const slowIt = slow[Symbol.asyncIterator]();
    const fastIt = fast[Symbol.asyncIterator]();
    const opening = ev({ opening: true });
    const both = [take(slowIt, 1, 'slow'), take(fastIt, 1, 'fast')];
    await h.log.append(`${p}/s`, 'no-stream', [opening]);
    for (const got of await Promise.all(both)) assert.equal(ids(got), [opening.id]);
    // The slow consumer stops pulling while more arrives than a subscription buffers (PostgreSQL: a batch, 500).
    const burst: EventDraft[] = [];
    const fastGot = take(fastIt, 1200, 'fast');
    for (let i = 0; i < 12; i++) {
      const drafts = evs(100, `burst${i}`);
      burst.push(...drafts);
      await h.log.append(`${p}/b${i}`, 'no-stream', drafts);
    }
    assert.equal(ids(await fastGot), ids(burst), 'the fast one got every event while the slow one stood still');
    assert.equal(ids(await take(slowIt, 1200, 'slow')), ids(burst), 'the slow one: every event once, in order');
    const last = ev({ last: true });
    const [slowLast, fastLast] = [take(slowIt, 1, 'slow live'), take(fastIt, 1, 'fast live')];
    await h.log.append(`${p}/s`, 0n, [last]);
    assert.equal(ids(await slowLast), [last.id], 'and then follows live again');
    assert.equal(ids(await fastLast), [last.id]);
    await Promise.all([slow.close(), fast.close()]);
  });

  test('a subscriber closing leaves the others following, whatever their filters', async ({ h }) => {
    const p = ns();
    const marker = await h.log.append(`${p}/marker`, 'no-stream', [ev()]);
    const byStream = { streamPrefixes: [`${p}/`] };
    const subs = {
      stays: h.log.subscribe({ after: marker.position, filter: byStream }),
      closes: h.log.subscribe({ after: marker.position, filter: byStream }),
      one: h.log.subscribe({ after: marker.position, filter: { eventTypePrefixes: [`${p}.one`] } }),
      two: h.log.subscribe({ after: marker.position, filter: { eventTypePrefixes: [`${p}.two`] } }),
    };
    const it = Object.fromEntries(Object.entries(subs).map(([k, s]) => [k, s[Symbol.asyncIterator]()])) as Record<keyof typeof subs, AsyncIterator<RecordedEvent>>;
    const one = ev({ n: 1 }, `${p}.one`);
    const two = ev({ n: 2 }, `${p}.two`);
    const pending = [take(it.stays, 2), take(it.closes, 2), take(it.one, 1), take(it.two, 1)];
    await h.log.append(`${p}/x`, 'no-stream', [one, two]);
    const [stays, closes, ones, twos] = await Promise.all(pending);
    assert.equal(ids(stays!), [one.id, two.id]);
    assert.equal(ids(closes!), [one.id, two.id]);
    assert.equal(ids(ones!), [one.id]);
    assert.equal(ids(twos!), [two.id]);
    const waiting = it.closes.next();
    await subs.closes.close();
    assert.is((await guard(waiting, 'closed subscriber')).done, true);
    const more = [ev({ n: 3 }, `${p}.two`), ev({ n: 4 }, `${p}.one`)];
    const after = [take(it.stays, 2), take(it.one, 1), take(it.two, 1)];
    await h.log.append(`${p}/y`, 'no-stream', more);
    const [stays2, ones2, twos2] = await Promise.all(after);
    assert.equal(ids(stays2!), ids(more));
    assert.equal(ids(ones2!), [more[1]!.id]);
    assert.equal(ids(twos2!), [more[0]!.id]);
    assert.is((await guard(it.closes.next(), 'closed subscriber')).done, true);
    await Promise.all([subs.stays.close(), subs.one.close(), subs.two.close()]);
  });

  test('close() before iterating: iteration ends at once', async ({ h }) => {
    const sub = h.log.subscribe({ filter: { streamPrefixes: [`${ns()}/`] } });
    await sub.close();
    const next = await guard(sub[Symbol.asyncIterator]().next(), 'closed subscription');
    assert.is(next.done, true);
  });

  test.run();
}

// ---- close --------------------------------------------------------------------------------------

function closeSuite(name: string, open: OpenEventLog): void {
  const test = withHarness(`${name}: close`, open);

  test('closing the log ends its subscriptions', async ({ h }) => {
    const p = ns();
    const marker = await h.log.append(`${p}/a`, 'no-stream', [ev()]);
    const sub = h.log.subscribe({ after: marker.position, filter: { streamPrefixes: [`${p}/`] } });
    const it = sub[Symbol.asyncIterator]();
    const waiting = it.next();
    await h.log.close();
    assert.is((await guard(waiting, 'log close')).done, true);
  });

  test.run();
}

// ---- concurrency --------------------------------------------------------------------------------

function concurrencySuite(name: string, open: OpenEventLog): void {
  const test = withHarness(`${name}: concurrency`, open);

  test('20 writers racing on one stream: one success per revision, a linear chain, no gaps', async ({ h }) => {
    const s = `${ns()}/contended`;
    const WRITERS = 20;
    const EACH = 5;
    const conflicts: WrongExpectedRevisionError[] = [];
    const writer = async (w: number) => {
      let done = 0;
      while (done < EACH) {
        const tail = await h.log.readStream(s, { direction: 'backwards', maxCount: 1 });
        const expected: ExpectedRevision = tail.length === 0 ? 'no-stream' : tail[0]!.revision;
        try {
          const r = await h.log.append(s, expected, [ev({ writer: w, expected: String(expected) }, 'race')]);
          assert.is(r.revision, expected === 'no-stream' ? 0n : (expected as bigint) + 1n);
          done++;
        } catch (err) {
          if (!(err instanceof WrongExpectedRevisionError)) throw err;
          conflicts.push(err);
        }
      }
    };
    await guard(Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w))), 'writers');
    const stored = await h.log.readStream(s);
    assert.is(stored.length, WRITERS * EACH);
    stored.forEach((e, i) => {
      assert.is(e.revision, BigInt(i), 'no gaps');
      const expected = (e.data as { expected: string }).expected;
      assert.is(expected, i === 0 ? 'no-stream' : String(i - 1), `revision ${i} was appended expecting ${i - 1}`);
    });
    const perWriter = new Map<number, number>();
    for (const e of stored) {
      const w = (e.data as { writer: number }).writer;
      perWriter.set(w, (perWriter.get(w) ?? 0) + 1);
    }
    assert.equal([...perWriter.values()], Array(WRITERS).fill(EACH));
    for (const c of conflicts) {
      assert.is(c.stream, s);
      assert.is(typeof c.actual, 'bigint', 'a conflict reports the revision that won');
      if (typeof c.expected === 'bigint') assert.ok((c.actual as bigint) > c.expected);
    }
  });

  test('8 writers x 50 appends over 20 streams: a readAll follower and a subscriber see every event once, in one order', async ({ h }) => {
    const p = ns();
    const filter = { streamPrefixes: [`${p}/`] };
    const marker = await h.log.append(`${p}/marker`, 'no-stream', [ev({}, 'marker')]);
    const WRITERS = 8;
    const APPENDS = 50;
    const STREAMS = 20;
    const sentinel = ev({}, 'sentinel');
    h.lateCommits?.(true);

    // Follower 1: readAll in a loop from its last position, small pages.
    const polled: RecordedEvent[] = [];
    const poller = (async () => {
      let after = marker.position;
      for (;;) {
        const page = await h.log.readAll({ after, maxCount: 17, filter });
        for (const e of page) {
          polled.push(e);
          after = e.position;
          if (e.id === sentinel.id) return;
        }
        if (page.length === 0) await sleep(2);
      }
    })();
    // Follower 2: a subscription.
    const subscribed: RecordedEvent[] = [];
    const sub = h.log.subscribe({ after: marker.position, filter });
    const subscriber = (async () => {
      for await (const e of sub) {
        subscribed.push(e);
        if (e.id === sentinel.id) return;
      }
    })();

    let written = 0;
    const writer = async (w: number) => {
      for (let i = 0; i < APPENDS; i++) {
        const size = 1 + ((w + i) % 3);
        const stream = `${p}/s${(w * 7 + i * 3) % STREAMS}`;
        await h.log.append(
          stream,
          'any',
          Array.from({ length: size }, (_, j) => ev({ w, i, j }, `load.w${w}`)),
        );
        written += size;
      }
    };
    try {
      await guard(Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w))), 'writers');
    } finally {
      h.lateCommits?.(false);
    }
    await h.log.append(`${p}/sentinel`, 'no-stream', [sentinel]);
    await guard(Promise.all([poller, subscriber]), 'followers');
    await sub.close();

    const final = await readAllAtLeast(h.log, { after: marker.position, filter }, written + 1);
    assert.is(final.length, written + 1);
    assert.is(final[final.length - 1]!.id, sentinel.id);
    assert.equal(ids(polled), ids(final), 'readAll follower saw exactly the log');
    assert.equal(ids(subscribed), ids(final), 'subscriber saw exactly the log');
    assert.is(new Set(ids(final)).size, final.length, 'no duplicates');
    for (let i = 1; i < final.length; i++) assert.ok(final[i - 1]!.position < final[i]!.position);
    const next = new Map<string, bigint>();
    for (const e of final) {
      assert.is(e.revision, next.get(e.stream) ?? 0n, `${e.stream} in revision order`);
      next.set(e.stream, e.revision + 1n);
    }
  });

  test.run();
}
