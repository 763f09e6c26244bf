// The chain verification worker bundled into one script: it needs nothing beside it (no TypeScript loader,
// no relative module), it is made once per process, and workers started from it judge events exactly as
// checkEvent does on this thread: an intact chain passes, and a payload edit, a swapped signature and an
// event signed by a key the chain does not reach are each caught with the same reason.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkEvent, KeyChain } from '../ledger/index.js';
import type { RecordedEvent } from '../adapters/event-log/index.js';
import { makeChain, testSigningKey, OTHER_TEST_SEED, toRecorded } from '../test/test-events.js';
import { chainWorkerScript } from './chain-worker-script.js';
import { ParallelChainVerifier } from './parallel-chain-verifier.js';

const test = suite('commands/chain-worker-script');

test('one CommonJS script: only Node built-ins are required, made once per process', () => {
  const script = chainWorkerScript();
  assert.is(chainWorkerScript(), script);
  const required = [...script.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]!);
  assert.ok(required.length > 0);
  for (const name of required) assert.ok(name.startsWith('node:') || ['crypto', 'worker_threads'].includes(name), `requires ${name}`);
  assert.not.match(script, /import\.meta|tsx/);
});

test('workers from the script judge each event as checkEvent does here', async () => {
  const key = testSigningKey();
  const chain = makeChain('acme/graph.node/w', 6, key);
  const records: RecordedEvent[] = chain.map((e, i) => toRecorded(e, i + 1));
  const metadata = (r: RecordedEvent) => r.metadata as Record<string, unknown>;
  // A payload edited after sealing, a signature copied from another event, an event sealed by a stranger.
  records[1] = { ...records[1]!, data: { edited: true } };
  records[2] = { ...records[2]!, metadata: { ...metadata(records[2]!), signature: metadata(records[0]!)['signature'] } as never };
  const stranger = makeChain('acme/graph.node/x', 1, testSigningKey(OTHER_TEST_SEED), 100).map((e) => toRecorded(e, 7));
  records.push(...stranger);
  const anchors = [{ keyId: key.keyId, publicKey: key.publicKey }];
  const here = new KeyChain(anchors);
  const expected = records.map((r) => checkEvent(r, here.keyring(), here));
  assert.equal(expected.filter((c) => c.fault !== null || c.signature !== null).length, 3, JSON.stringify(expected));
  const got: unknown[] = [];
  const verifier = new ParallelChainVerifier({ anchors, rotations: [] }, 2, (_r, c) => got.push(c));
  for (const r of records) verifier.add(r);
  const report = await verifier.finish();
  assert.equal(got, expected);
  assert.equal(report.failures.map((f) => f.revision), [1, 2, 0]);
});

test.run();
