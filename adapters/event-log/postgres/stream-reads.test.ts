// StreamReads: the reads of one turn go out as one batch, in order, each answered with its own rows.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamReads, type StreamRead } from './stream-reads.js';

const test = suite('stream reads of one turn, batched');

/** A batch runner that records each batch and answers each read with "<stream>@<revision>" rows from its revision to 2. */
function recording() {
  const batches: StreamRead[][] = [];
  const reads = new StreamReads<string>(async (batch) => {
    batches.push([...batch]);
    return batch.map((r) => [0n, 1n, 2n].filter((rev) => rev >= r.fromRevision).map((rev) => `${r.stream}@${rev}`));
  });
  return { batches, reads };
}

test('reads asked for in one turn share a batch; each gets its own rows', async () => {
  const { batches, reads } = recording();
  const answers = await Promise.all([reads.read('a', 0n), reads.read('b', 2n), reads.read('a', 1n)]);
  assert.equal(answers, [['a@0', 'a@1', 'a@2'], ['b@2'], ['a@1', 'a@2']]);
  assert.equal(batches, [[{ stream: 'a', fromRevision: 0n }, { stream: 'b', fromRevision: 2n }, { stream: 'a', fromRevision: 1n }]]);
});

test('a read asked for after the batch went out goes in the next one', async () => {
  const { batches, reads } = recording();
  const first = reads.read('a', 0n);
  await new Promise((r) => setImmediate(r));
  const second = reads.read('b', 0n);
  assert.equal(await Promise.all([first, second]), [['a@0', 'a@1', 'a@2'], ['b@0', 'b@1', 'b@2']]);
  assert.is(batches.length, 2);
});

test('a failed batch rejects each of its reads with the error; the next batch is unaffected', async () => {
  let fail = true;
  const reads = new StreamReads<string>(async (batch) => {
    if (fail) throw new Error('connection reset');
    return batch.map((r) => [r.stream]);
  });
  const failed = await Promise.allSettled([reads.read('a', 0n), reads.read('b', 0n)]);
  assert.equal(failed.map((f) => (f.status === 'rejected' ? (f.reason as Error).message : 'fulfilled')), ['connection reset', 'connection reset']);
  fail = false;
  assert.equal(await reads.read('c', 0n), ['c']);
});

test.run();
