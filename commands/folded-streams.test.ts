// FoldedStreams: a stream is folded once and then only from its tail, whoever appended; records under an
// idempotency key are found after later reads; a stream folded by another fold, or forgotten, is folded afresh.
import { right } from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Fold } from '../domain/index.js';
import { testUuid } from '../test/test-events.js';
import type { EventDraft } from '../adapters/event-log/index.js';
import type { JsonValue } from '../schemas/json.js';
import type { SealedEvent } from '../schemas/sealed-event.js';
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
  assert.equal(read.recorded('key:a')?.events.map((e) => [e.revision, e.hash]), [[0, 'h1']]);
  assert.equal(read.recorded('key:b')?.events.map((e) => [e.revision, e.hash]), [[1, 'h2'], [2, 'h3']]);
  assert.is(read.recorded('key:b')?.position, (await t.log.readStream('acme/x/2')).at(-1)!.position);
  assert.is(read.recorded('key:c'), undefined);
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

/** Sealed-looking events n.. after `revision`, as the pipeline hands them over after its append. */
const sealedAfter = (revision: number, ns: readonly number[], digest = 'd'.repeat(64)) =>
  ns.map((n, i) => ({ id: testUuid(++ids), type: 'counted', schemaVersion: 1, data: { n }, revision: revision + 1 + i, hash: `h${n}`, meta: { requestDigest: digest, decision: { id: 'dec', policyVersion: 'pv', determiningPolicies: [] } } }) as unknown as SealedEvent);

test('what this process appended is remembered without a read; a stream not remembered is not', async ({ t }) => {
  const streams = new FoldedStreams(10);
  const { fold, calls } = countingFold();
  assert.is(streams.remembered('acme/x/5', fold as Fold<unknown>), undefined);
  await append(t, 'acme/x/5', [1]);
  await streams.read(t.log, 'acme/x/5', fold as Fold<unknown>);
  streams.appended('acme/x/5', fold as Fold<unknown>, sealedAfter(0, [2, 3]), { revision: 2n, position: 99n }, 'key:z');
  const known = streams.remembered('acme/x/5', fold as Fold<unknown>)!;
  assert.equal([known.state, known.tail, known.verified], [[1, 2, 3], { revision: 2n, hash: 'h3' }, false]);
  assert.equal(known.recorded('key:z'), {
    requestDigest: 'd'.repeat(64),
    events: [{ id: testUuid(ids - 1), type: 'counted', revision: 1, hash: 'h2' }, { id: testUuid(ids), type: 'counted', revision: 2, hash: 'h3' }],
    position: 99n,
    decision: { id: 'dec', policyVersion: 'pv', determiningPolicies: [] },
  });
  assert.equal(calls, [[1], [2, 3]]);
  assert.is(streams.remembered('acme/x/5', countingFold().fold as Fold<unknown>), undefined, 'another fold');
});

test('an append that does not follow the remembered tail makes the stream forgotten', async ({ t }) => {
  const streams = new FoldedStreams(10);
  const { fold } = countingFold();
  await append(t, 'acme/x/6', [1, 2]);
  await streams.read(t.log, 'acme/x/6', fold as Fold<unknown>);
  streams.appended('acme/x/6', fold as Fold<unknown>, sealedAfter(4, [6]), { revision: 5n, position: 7n }, undefined);
  assert.is(streams.remembered('acme/x/6', fold as Fold<unknown>), undefined);
  // A brand-new stream written from revision 0 is remembered from nothing.
  streams.appended('acme/x/7', fold as Fold<unknown>, sealedAfter(-1, [5]), { revision: 0n, position: 8n }, undefined);
  assert.equal(streams.remembered('acme/x/7', fold as Fold<unknown>)?.state, [5]);
});

test('an empty stream folds to the initial state and has no tail', async ({ t }) => {
  const read = await new FoldedStreams(10).read(t.log, 'acme/x/none', countingFold().fold as Fold<unknown>);
  assert.equal([read.state, read.tail], [[], undefined]);
});

test.run();
