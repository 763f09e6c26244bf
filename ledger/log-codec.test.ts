// Sealed event <-> log draft/record mapping, and the field paths reported for malformed records.
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RecordedEvent } from '../schemas/log-record.js';
import { fromRecordedEvent, sealEvent, toEventDraft } from './index.js';
import { makeUnsealed, testSigningKey, toRecorded } from '../test/test-events.js';

const test = suite('ledger/log-codec');
const sealed = sealEvent(makeUnsealed({ revision: 0 }), testSigningKey());

function leftOf<T>(r: Either<string, T>): string {
  if (!isLeft(r)) throw new Error('expected Left');
  return r.left;
}

test('toEventDraft: id, type, data on the draft; the rest of the envelope in metadata', () => {
  const draft = toEventDraft(sealed);
  assert.is(draft.id, sealed.id);
  assert.is(draft.type, sealed.type);
  assert.equal(draft.data, sealed.data);
  const metadata = draft.metadata as Record<string, unknown>;
  assert.equal(
    Object.keys(metadata).sort(),
    ['hash', 'keyId', 'meta', 'prevHash', 'region', 'revision', 'schemaVersion', 'sealedAt', 'signature', 'stream', 'tenant'],
  );
  assert.is(metadata['stream'], sealed.stream);
  assert.is(metadata['revision'], sealed.revision);
});

test('fromRecordedEvent inverts toEventDraft', () => {
  const r = toRecorded(sealed, 42n);
  const back = fromRecordedEvent(JSON.parse(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))) as RecordedEvent);
  assert.equal(back, { _tag: 'Right', right: sealed });
});

test('fromRecordedEvent takes stream and revision as sealed, id/type/data as stored', () => {
  const r: RecordedEvent = {
    ...toRecorded(sealed),
    stream: 'acme/graph.node/other',
    revision: 7n,
    id: '00000000-0000-4000-8000-0000000000ff',
    data: { changed: true },
  };
  const back = fromRecordedEvent(r);
  if (isLeft(back)) throw new Error(back.left);
  assert.is(back.right.stream, sealed.stream);
  assert.is(back.right.revision, 0);
  assert.is(back.right.id, r.id);
  assert.equal(back.right.data, { changed: true });
});

test('data read lazily stays unread until the event\'s data is; data already a value is the same value', () => {
  let reads = 0;
  const base = toRecorded(sealed);
  const lazy = { ...base, get data() {
    reads++;
    return sealed.data;
  } } as RecordedEvent;
  reads = 0; // the spread above read it once
  const back = fromRecordedEvent(lazy);
  if (isLeft(back)) throw new Error(back.left);
  assert.is(reads, 0, 'decoding does not read data');
  assert.equal(back.right.data, sealed.data);
  assert.is(reads, 1);
  const plain = fromRecordedEvent(base);
  if (isLeft(plain)) throw new Error(plain.left);
  assert.is(plain.right.data, base.data);
  assert.equal(Object.keys(plain.right).sort(), Object.keys(back.right).sort());
});

test('malformed records name the failing field', () => {
  const r = toRecorded(sealed);
  const meta = r.metadata as Record<string, unknown>;
  assert.is(leftOf(fromRecordedEvent({ ...r, metadata: null })), 'malformed: metadata (expected an object)');
  assert.is(leftOf(fromRecordedEvent({ ...r, metadata: [1] })), 'malformed: metadata (expected an object)');
  const { prevHash: _p, ...noPrev } = meta;
  assert.match(leftOf(fromRecordedEvent({ ...r, metadata: noPrev as never })), /^malformed: prevHash \(expected Sha256Hex\)$/);
  const badActor = { ...meta, meta: { ...(meta['meta'] as object), actor: { id: 'u', type: 'robot', authn: 'jwt' } } };
  assert.match(leftOf(fromRecordedEvent({ ...r, metadata: badActor as never })), /^malformed: meta\.actor\.type /);
  const badFlag = { ...meta, meta: { ...(meta['meta'] as object), piiFlags: ['ok', 3] } };
  assert.match(leftOf(fromRecordedEvent({ ...r, metadata: badFlag as never })), /^malformed: meta\.piiFlags\[1\] /);
  assert.match(leftOf(fromRecordedEvent({ ...r, id: 'not-a-uuid' })), /^malformed: id \(expected Uuid\)$/);
});

test('an own "__proto__" key in metadata stays a plain field: the event keeps its prototype', () => {
  const r = toRecorded(sealed);
  const metadata = JSON.parse(`{"__proto__":{"polluted":true},${JSON.stringify(r.metadata).slice(1)}`) as RecordedEvent['metadata'];
  const back = fromRecordedEvent({ ...r, metadata });
  if (isLeft(back)) throw new Error(back.left);
  assert.is(Object.getPrototypeOf(back.right), Object.prototype);
  assert.is((back.right as unknown as { polluted?: unknown }).polluted, undefined);
  assert.equal(Object.getOwnPropertyDescriptor(back.right, '__proto__')?.value, { polluted: true });
});

test.run();
