// Verification on worker threads reports exactly what one thread reports: on a log with several tenants and
// streams, a key rotation, and stored rows altered the ways an attacker with database access would (a payload
// edited, a link broken, a signature swapped, an event signed by a key the chain does not reach), the report
// of verifyLog with 2 and 3 workers equals the single-threaded one: counts, and every failure in order.
import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyring, publicKeyEntry, signingKeyFromSeed, type SigningKey } from '../ledger/index.js';
import { makeUnsealed } from '../test/test-events.js';
import { openMemoryLog, type TestLog } from '../test/logs.js';
import { appendKeyRotation } from './rotate-key.js';
import { appendSealed, readTail, sealOntoTail } from './stream-writer.js';
import { verifyLog } from './verify-log.js';

const key = (n: number): SigningKey => signingKeyFromSeed(Uint8Array.from({ length: 32 }, (_, i) => (i * 5 + n) & 0xff), '2020-01-01T00:00:00Z');
const K1 = key(1);
const K2 = key(2);
const STRANGER = key(50);
const pub = (k: SigningKey) => publicKeyEntry(k.publicKey, k.notBefore);

async function write(l: TestLog, stream: string, signer: SigningKey): Promise<void> {
  const tail = await readTail(l.log, stream);
  const id = randomUUID();
  const { meta } = makeUnsealed();
  const [sealed] = sealOntoTail(
    { stream, tail, ids: [id], tenant: stream.split('/')[0]!, region: 'us-east', sealedAt: new Date().toISOString(), meta, bodies: [{ type: 'graph.node.upserted', schemaVersion: 1, data: { n: id } }] },
    signer,
  );
  await appendSealed(l.log, tail, [sealed!]);
}

let l: TestLog;
test.before(async () => {
  l = await openMemoryLog();
  const streams = ['acme/graph.node/a', 'acme/graph.node/b', 'acme/graph.node/c', 'beta/graph.node/d', 'beta/graph.node/e'];
  for (let round = 0; round < 6; round++) for (const s of streams) await write(l, s, round < 3 ? K1 : K2);
  // (the rotation sits between rounds in log order only for what follows it; K2 events before it are the chain's to judge)
  await appendKeyRotation(l.log, K1, pub(K2), new Date().toISOString());
  for (const s of streams) await write(l, s, K2);
  await write(l, 'beta/graph.node/e', STRANGER);
  await write(l, 'acme/graph.node/a', K2);
  await l.sql(`UPDATE \${schema}.events SET data = jsonb_set(data, '{n}', '"evil"') WHERE stream = $1 AND revision = 2`, ['acme/graph.node/b']);
  await l.sql(`UPDATE \${schema}.events SET metadata = jsonb_set(metadata, '{prevHash}', to_jsonb(repeat('b', 64))) WHERE stream = $1 AND revision = 4`, ['beta/graph.node/d']);
  await l.sql(
    `UPDATE \${schema}.events SET metadata = jsonb_set(metadata, '{signature}', (SELECT metadata->'signature' FROM \${schema}.events WHERE stream = $1 AND revision = 0)) WHERE stream = $1 AND revision = 3`,
    ['acme/graph.node/c'],
  );
});
test.after(async () => {
  await l.close();
});

const ring = new Keyring([pub(K1), pub(K2), pub(STRANGER)], K2, [Buffer.from(K1.publicKey).toString('base64')]);

test('2 and 3 workers report exactly what one thread reports: the whole log and one tenant', async () => {
  for (const scope of [{}, { tenant: 'acme' }, { tenant: 'beta' }]) {
    const one = await verifyLog(l.log, ring, scope);
    assert.ok(one.failures.length >= 4, JSON.stringify(one.failures));
    for (const workers of [2, 3]) assert.equal(await verifyLog(l.log, ring, { ...scope, workers }), one, `${JSON.stringify(scope)} with ${workers} workers`);
  }
});

test.run();
