// FoldedStreams: a stream is folded once and then only from its tail, whoever appended; records under an
// idempotency key are found after later reads; a stream folded by another fold, or forgotten, is folded afresh.
import { right } from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Fold } from '../domain/index.js';
import { testUuid } from '../ledger/test-events.js';
import type { EventDraft } from '../schemas/event-log.js';
import type { JsonValue } from '../schemas/json.js';
import { openMemoryLog, type TestLog } from '../test/logs.js';
import { FoldedStreams } from './folded-streams.js';

const test = suite<{ t: TestLog }>('folded streams', {} as { t: TestLog });
test.before.each(async (ctx) => {
  ctx.t = await openMemoryLog();
});
test.after.each(async (ctx) => {
  await ctx.t.close();
});

let ids = 0;
/** Appends events n.. with the envelope fields the pipeline reads (hash, schemaVersion, idempotency key). */
async function append(t: TestLog, stream: string, ns: readonly number[], idempotencyKey?: string) {
  const current = await t.log.readStream(stream);
  const drafts = ns.map((n): EventDraft => ({
    id: testUuid(++ids),
    type: 'counted',
    data: { n },
    metadata: { hash: `h${n}`, schemaVersion: 1, meta: idempotencyKey === undefined ? {} : { idempotencyKey } } as JsonValue,
  }));
  await t.log.append(stream, current.length === 0 ? 'no-stream' : BigInt(current.length - 1), drafts);
}

/** A fold that keeps every n it saw, and records what each call was given. */
function countingFold(): { fold: Fold<readonly number[]>; calls: number[][] } {
  const calls: number[][] = [];
  const fold: Fold<readonly number[]> = (events, from) => {
    const ns = events.map((e) => (e as { data: { n: number } }).data.n);
    calls.push(ns);
    return right([...(from ?? []), ...ns]);
  };
  return { fold, calls };
}

test('the second read folds only what was appended since, onto the remembered state', async ({ t }) => {
  const streams = new FoldedStreams(10);
  const { fold, calls } = countingFold();
  await append(t, 'acme/x/1', [1, 2, 3]);
  assert.equal((await streams.read(t.log, 'acme/x/1', fold as Fold<unknown>)).state, [1, 2, 3]);
  await append(t, 'acme/x/1', [4]); // another writer, as far as the cache knows
  const again = await streams.read(t.log, 'acme/x/1', fold as Fold<unknown>);
  assert.equal(again.state, [1, 2, 3, 4]);
  assert.equal(calls, [[1, 2, 3], [4]]);
  assert.equal([again.tail?.revision, again.tail?.hash], [3n, 'h4']);
  const unchanged = await streams.read(t.log, 'acme/x/1', fold as Fold<unknown>);
  assert.equal([unchanged.state, calls.at(-1)], [[1, 2, 3, 4], []]);
});

test('records under an idempotency key are found whether they came in the first read or a later one', async ({ t }) => {
  const streams = new FoldedStreams(10);
  const { fold } = countingFold();
  await append(t, 'acme/x/2', [1], 'key:a');
  await streams.read(t.log, 'acme/x/2', fold as Fold<unknown>);
  await append(t, 'acme/x/2', [2, 3], 'key:b');
  const read = await streams.read(t.log, 'acme/x/2', fold as Fold<unknown>);
  assert.equal(read.recordsWithKey('key:a').map((r) => r.revision), [0n]);
  assert.equal(read.recordsWithKey('key:b').map((r) => r.revision), [1n, 2n]);
  assert.equal(read.recordsWithKey('key:c'), []);
});

test('another fold, a forgotten stream, or no memory at all: folded from the start', async ({ t }) => {
  await append(t, 'acme/x/3', [1, 2]);
  await append(t, 'acme/x/4', [7]);
  const one = new FoldedStreams(1);
  const first = countingFold();
  const second = countingFold();
  await one.read(t.log, 'acme/x/3', first.fold as Fold<unknown>);
  await one.read(t.log, 'acme/x/3', second.fold as Fold<unknown>);
  assert.equal(second.calls, [[1, 2]], 'a different fold starts over');
  await one.read(t.log, 'acme/x/4', first.fold as Fold<unknown>); // evicts acme/x/3 (capacity 1)
  await one.read(t.log, 'acme/x/3', second.fold as Fold<unknown>);
  assert.equal(second.calls, [[1, 2], [1, 2]], 'an evicted stream starts over');
  const none = new FoldedStreams(0);
  const third = countingFold();
  await none.read(t.log, 'acme/x/3', third.fold as Fold<unknown>);
  await none.read(t.log, 'acme/x/3', third.fold as Fold<unknown>);
  assert.equal(third.calls, [[1, 2], [1, 2]]);
});

test('an empty stream folds to the initial state and has no tail', async ({ t }) => {
  const read = await new FoldedStreams(10).read(t.log, 'acme/x/none', countingFold().fold as Fold<unknown>);
  assert.equal([read.state, read.tail], [[], undefined]);
});

test.run();
