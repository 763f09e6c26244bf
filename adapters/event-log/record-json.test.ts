// Records read with `jsonText` (PostgreSQL adapter, on PGlite): equal to the records read without it, their
// `[metadata,data]` text is the store's, given only while neither field has been read, and never by a copy.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { toEventDraft } from '../../ledger/index.js';
import { makeChain } from '../../test/test-events.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';
import { recordJsonText } from './record-json.js';
import type { RecordedEvent } from './event-log.js';

const test = suite('adapters/event-log/record-json');
let l: TestLog;
test.before(async () => {
  l = await openMemoryLog();
  for (const [i, stream] of ['acme/graph.node/a', 'beta/graph.node/b'].entries()) {
    await l.log.append(stream, 'no-stream', makeChain(stream, 3, undefined, i * 10).map(toEventDraft));
  }
});
test.after(() => l.close());

const plainOf = (r: RecordedEvent) => ({ id: r.id, stream: r.stream, revision: r.revision, position: r.position, type: r.type, metadata: r.metadata, data: r.data });

test('the same records as without it, whole log and filtered; the text is the store\'s [metadata,data]', async () => {
  for (const filter of [undefined, { streamPrefixes: ['beta/'] }]) {
    const plain = await l.log.readAll({ maxCount: 100, ...(filter === undefined ? {} : { filter }) });
    const text = await l.log.readAll({ maxCount: 100, jsonText: true, ...(filter === undefined ? {} : { filter }) });
    assert.is(text.length, filter === undefined ? 6 : 3);
    assert.equal(plain.map((r) => recordJsonText(r)), plain.map(() => undefined), 'not asked: no text');
    const texts = text.map((r) => recordJsonText(r));
    assert.equal(texts.map((t) => JSON.parse(t!) as unknown), plain.map((r) => [r.metadata, r.data]));
    assert.equal(text.map(plainOf), plain.map(plainOf));
  }
});

test('no text once metadata or data was read here, nor on a copy', async () => {
  const [a, b, c] = await l.log.readAll({ maxCount: 3, jsonText: true });
  assert.ok(recordJsonText(a!) !== undefined);
  void a!.metadata;
  assert.is(recordJsonText(a!), undefined, 'metadata read');
  void b!.data;
  assert.is(recordJsonText(b!), undefined, 'data read');
  const copy = { ...c!, metadata: { altered: true } } as RecordedEvent;
  assert.is(recordJsonText(copy), undefined, 'a copy carries no text');
  assert.is(recordJsonText(structuredClone(c!) as RecordedEvent), undefined);
});

test.run();
