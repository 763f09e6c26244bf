// Key custody through the API: GET /v1/ledger/verify trusts only keys the chain reaches from the pinned key
// (COMPANYOS_TRUSTED_KEYS), names an event back-dated by a retired key and one signed by a key an attacker
// added, and says when nothing is pinned. The server's own key arrives by a sealed rotation from the first.
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { appendKeyRotation } from '../commands/rotate-key.js';
import { appendSealed, readTail, sealOntoTail } from '../commands/stream-writer.js';
import { publicKeyEntry, signingKeyFromSeed, type SigningKey } from '../ledger/index.js';
import { openTestApi, type TestApi } from './api-harness.js';
import { openMemoryLog, type TestLog } from './logs.js';
import { makeUnsealed, testSigningKey } from './test-events.js';

const TENANT = 'custody';
const FIRST = signingKeyFromSeed(Uint8Array.from({ length: 32 }, (_, i) => 200 - i), '2020-01-01T00:00:00Z');
const SERVER = testSigningKey(); // the key the test API seals with (TEST_SEED)
const ATTACKER = signingKeyFromSeed(Uint8Array.from({ length: 32 }, (_, i) => 40 + i), '2020-01-01T00:00:00Z');
const b64 = (k: SigningKey) => Buffer.from(k.publicKey).toString('base64');

async function write(l: TestLog, stream: string, signer: SigningKey, sealedAt: string): Promise<string> {
  const tail = await readTail(l.log, stream);
  const id = randomUUID();
  const [sealed] = sealOntoTail(
    { stream, tail, ids: [id], tenant: TENANT, region: 'us-east', sealedAt, meta: makeUnsealed().meta, bodies: [{ type: 'graph.node.upserted', schemaVersion: 1, data: { n: id } }] },
    signer,
  );
  await appendSealed(l.log, tail, [sealed!]);
  return id;
}

const custody = suite('key custody: GET /v1/ledger/verify follows the key chain from the pinned key');
let l: TestLog;
let pinned: TestApi;
let unpinned: TestApi;
let viewer: string;

custody.before(async () => {
  l = await openMemoryLog();
  // The first key sealed the tenant's first event, then handed over to the server's key.
  await write(l, `${TENANT}/graph.node/first`, FIRST, new Date().toISOString());
  await appendKeyRotation(l.log, FIRST, publicKeyEntry(SERVER.publicKey, SERVER.notBefore), new Date().toISOString());
  pinned = await openTestApi(l.log, { COMPANYOS_TRUSTED_KEYS: b64(FIRST) });
  unpinned = await openTestApi(l.log);
  const editor = await pinned.token({ tenant: TENANT, roles: ['editor'], region: 'us-east' });
  viewer = await pinned.token({ tenant: TENANT, roles: ['viewer'], region: 'us-east' });
  const res = await pinned.call('POST', '/v1/commands/graph.node.upsert', {
    token: editor,
    body: { id: 'svc:custody', type: 'Service', region: 'us-east', attributes: { name: 'custody' }, provenance: { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' } },
  });
  assert.is(res.status, 201, JSON.stringify(res.body));
});

custody.after(async () => {
  await pinned.close();
  await unpinned.close();
  await l.close();
});

custody('the chain from the pinned first key reaches the server key: the log verifies', async () => {
  const res = await pinned.call('GET', '/v1/ledger/verify', { token: viewer });
  assert.is(res.status, 200);
  assert.equal(res.body.failures, []);
  assert.is(res.body.ok, true);
  assert.equal(res.body.trust.mode, 'pinned');
  assert.equal(res.body.trust.keys.map((k: { keyId: string }) => k.keyId), [FIRST.keyId, SERVER.keyId]);
});

custody('GET /v1/ledger/keys publishes the rotations, so a client that pinned the first key reaches the current one', async () => {
  const res = await pinned.call('GET', '/v1/ledger/keys');
  assert.is(res.status, 200);
  assert.equal(res.body.keys.map((k: { keyId: string }) => k.keyId), [SERVER.keyId]);
  const [rotation, more] = res.body.rotations;
  assert.is(more, undefined);
  assert.is(rotation.type, 'ledger.key.rotated');
  assert.is(rotation.keyId, FIRST.keyId);
  assert.is(rotation.data.retiredPublicKey, b64(FIRST));
  assert.is(rotation.data.nextKeyId, SERVER.keyId);
  assert.is(rotation.data.nextPublicKey, b64(SERVER));
});

custody('with nothing pinned the report says it trusts the first key on first use', async () => {
  const res = await unpinned.call('GET', '/v1/ledger/verify', { token: viewer });
  assert.is(res.body.ok, true);
  assert.is(res.body.trust.mode, 'first-use');
  assert.match(res.body.trust.warning, `trusting the key of the log's first event, ${FIRST.keyId}, on first use`);
});

custody('an event back-dated by the retired key and one by a key an attacker added both fail, naming the key', async () => {
  const backdated = await write(l, `${TENANT}/graph.node/first`, FIRST, '2021-06-01T00:00:00Z');
  const intruded = await write(l, `${TENANT}/graph.node/intruder`, ATTACKER, new Date().toISOString());
  const res = await pinned.call('GET', '/v1/ledger/verify', { token: viewer });
  assert.is(res.body.ok, false);
  const reasons = new Map(res.body.failures.map((f: { eventId: string; reason: string }) => [f.eventId, f.reason]));
  assert.is(reasons.size, 2, JSON.stringify(res.body.failures));
  assert.match(reasons.get(backdated) as string, new RegExp(`^signed by retired key ${FIRST.keyId} at position \\d+, beyond its final position \\d+ .*a forgery, whatever its sealedAt says$`));
  assert.is(reasons.get(intruded), `unknown signing key ${ATTACKER.keyId}: the key chain from the pinned key(s) does not reach it`);
});

custody('a server whose keyring holds a key a rotation retired refuses to start, naming the key', async () => {
  const other = await openMemoryLog();
  try {
    await appendKeyRotation(other.log, SERVER, publicKeyEntry(FIRST.publicKey, FIRST.notBefore), new Date().toISOString());
    const started = await openTestApi(other.log).then(
      async (api) => {
        await api.close();
        return 'started';
      },
      (e: Error) => `${e.name}: ${e.message}`,
    );
    assert.match(started, `SigningKeyRetiredError: signing key ${SERVER.keyId} was retired at `);
  } finally {
    await other.close();
  }
});

custody.run();
