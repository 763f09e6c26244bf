// Key custody on a real log (PGlite, and PostgreSQL with DATABASE_URL): rotations sealed on `_system/keys` by
// the outgoing key form a chain from the pinned key; verification trusts only keys the chain reaches, each at
// the positions it allows.
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyring, publicKeyEntry, signingKeyFromSeed, type SigningKey } from '../ledger/index.js';
import { KEYS_STREAM } from '../schemas/key-rotation-event.js';
import { makeUnsealed } from '../test/test-events.js';
import { openMemoryLog, openPostgresTestLog, type TestLog } from '../test/logs.js';
import { appendKeyRotation, checkSigningKeyCurrent, rotateSigningKey } from './rotate-key.js';
import { verifyTenant } from './verify-tenant.js';
import { verifyTenantTree } from './verify-tree.js';
import { appendSealed, readTail, sealOntoTail } from './stream-writer.js';
import { verifyLog, type VerifyReport } from './verify-log.js';

const seed = (n: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + n) & 0xff);
const key = (n: number): SigningKey => signingKeyFromSeed(seed(n), '2020-01-01T00:00:00Z');
const K1 = key(1);
const K2 = key(2);
const K3 = key(3);
const ATTACKER = key(99);
const b64 = (k: SigningKey) => Buffer.from(k.publicKey).toString('base64');
const pub = (k: SigningKey) => publicKeyEntry(k.publicKey, k.notBefore);

/** Seals one event on `stream` with `signer` (sealedAt chosen by the signer) and appends it. */
async function write(l: TestLog, stream: string, signer: SigningKey, sealedAt = new Date().toISOString()): Promise<string> {
  const tail = await readTail(l.log, stream);
  const id = randomUUID();
  const { meta } = makeUnsealed();
  const [sealed] = sealOntoTail(
    { stream, tail, ids: [id], tenant: stream.split('/')[0]!, region: 'us-east', sealedAt, meta, bodies: [{ type: 'graph.node.upserted', schemaVersion: 1, data: { n: id } }] },
    signer,
  );
  await appendSealed(l.log, tail, [sealed!]);
  return id;
}

/** The log of the happy path: K1 seals, rotates to K2, K2 seals, rotates to K3, K3 seals. */
async function twoRotations(open: () => Promise<TestLog>): Promise<TestLog> {
  const l = await open();
  await write(l, 'acme/graph.node/a', K1);
  await write(l, 'beta/graph.node/b', K1);
  await appendKeyRotation(l.log, K1, pub(K2), new Date().toISOString());
  await write(l, 'acme/graph.node/a', K2);
  await appendKeyRotation(l.log, K2, pub(K3), new Date().toISOString());
  await write(l, 'acme/graph.node/a', K3);
  // A tenant that first appears after the rotations reaches its key through the same chain.
  await write(l, 'gamma/graph.node/c', K3);
  return l;
}

/** What the server would load after the rotations: the active key and public entries (the file's view). */
const ringAfter = (trusted: readonly string[], extra: SigningKey[] = []) =>
  new Keyring([pub(K1), pub(K2), ...extra.map(pub)], K3, trusted);

const reasons = (r: VerifyReport) => r.failures.map((f) => f.reason);

function custodySuite(title: string, open: () => Promise<TestLog>) {
  // One log per suite (opening a log is the slow part): each forgery goes to a tenant of its own,
  // and the forged rotation, which every tenant's verification reads, comes last.
  const test = suite(title);
  let l: TestLog;
  test.before(async () => {
    l = await twoRotations(open);
  });
  test.after(async () => {
    await l.close();
  });

  test('the chain verifies across two rotations from the pinned first key, whole log and per tenant', async () => {
    const whole = await verifyLog(l.log, ringAfter([b64(K1)]), {});
    assert.equal(reasons(whole), []);
    assert.is(whole.trust.mode, 'pinned');
    assert.equal(whole.trust.anchors, [K1.keyId]);
    assert.equal(whole.trust.keys.map((k) => k.keyId), [K1.keyId, K2.keyId, K3.keyId]);
    assert.ok(whole.trust.keys[0]!.finalPosition !== undefined && whole.trust.keys[2]!.finalPosition === undefined);
    for (const tenant of ['acme', 'beta', 'gamma']) {
      const report = await verifyLog(l.log, ringAfter([b64(K1)]), { tenant });
      assert.equal(reasons(report), [], tenant);
      assert.is(report.trust.keys.length, 3);
    }
    // Pinning by key id works too (the public key comes from the keyring or the chain).
    assert.equal(reasons(await verifyLog(l.log, ringAfter([K1.keyId]), { tenant: 'gamma' })), []);
  });

  test('without a pinned key, verification says it trusts the first key on first use', async () => {
    const report = await verifyLog(l.log, ringAfter([]), { tenant: 'acme' });
    assert.equal(reasons(report), []);
    assert.is(report.trust.mode, 'first-use');
    assert.equal(report.trust.anchors, [K1.keyId]);
    assert.match(report.trust.warning ?? '', `no trusted key configured: trusting the key of the log's first event, ${K1.keyId}, on first use`);
  });

  test('a back-dated event signed by a retired key after its rotation is a forgery, whatever its sealedAt', async () => {
    // Someone kept K1's seed: the event claims a time long before the rotation.
    await write(l, 'delta/graph.node/d', K3);
    const forged = await write(l, 'delta/graph.node/d', K1, '2021-01-01T00:00:00Z');
    const report = await verifyLog(l.log, ringAfter([b64(K1)]), { tenant: 'delta' });
    assert.is(report.failures.length, 1);
    const [f] = report.failures;
    assert.is(f!.eventId, forged);
    assert.match(f!.reason, new RegExp(`^signed by retired key ${K1.keyId} at position \\d+, beyond its final position \\d+ \\(retired at .*\\): a forgery, whatever its sealedAt says$`));
  });

  test("a key added to the keyring by an attacker verifies nothing: the chain does not reach it", async () => {
    const forged = await write(l, 'epsilon/graph.node/e', ATTACKER);
    // The keyring (the file) lists the attacker's public key; verification does not care.
    const report = await verifyLog(l.log, ringAfter([b64(K1)], [ATTACKER]), { tenant: 'epsilon' });
    assert.equal(report.failures.map((f) => [f.eventId, f.reason]), [
      [forged, `unknown signing key ${ATTACKER.keyId}: the key chain from the pinned key(s) does not reach it`],
    ]);
  });

  test('pinning a later key alone makes the earlier history unverifiable, naming the key', async () => {
    const report = await verifyLog(l.log, ringAfter([b64(K3)]), { tenant: 'beta' });
    const unreachable = (k: SigningKey) => `unknown signing key ${k.keyId}: the key chain from the pinned key(s) does not reach it`;
    // Both rotations (by K1, then K2) and beta's event by K1.
    assert.equal(report.failures.map((f) => [f.stream, f.reason]), [
      [KEYS_STREAM, unreachable(K1)],
      [KEYS_STREAM, unreachable(K2)],
      ['beta/graph.node/b', unreachable(K1)],
    ]);
    assert.equal(report.trust.keys.map((k) => k.keyId), [K3.keyId]);
  });

  test('a pinned key id whose public key is nowhere found verifies nothing, and the report says why', async () => {
    const report = await verifyLog(l.log, ringAfter(['ed25519:0000000000000000']), { tenant: 'gamma' });
    assert.is(report.trust.mode, 'pinned');
    assert.equal(report.trust.keys, []);
    assert.match(report.trust.warning ?? '', 'trusted key ed25519:0000000000000000: no public key for it in the keyring or the key chain, so it verifies nothing');
    assert.ok(report.failures.length > 0 && report.failures.every((f) => f.reason.startsWith('unknown signing key ')));
  });

  test('a server refuses to seal with a key a rotation retired (an old keyring restored), not with the current one', async () => {
    await checkSigningKeyCurrent(l.log, K3);
    const refused = await checkSigningKeyCurrent(l.log, K1).then(() => 'started', (e: Error) => `${e.name}: ${e.message}`);
    assert.match(refused, `SigningKeyRetiredError: signing key ${K1.keyId} was retired at `);
    assert.match(refused, `${K2.keyId} seals now: load the keyring the rotation wrote`);
  });

  test('a rotation by a key the chain does not reach introduces nothing; a retired key cannot rotate again', async () => {
    // The attacker "rotates" from their key to a second one of theirs, then signs with it.
    const second = key(98);
    await appendKeyRotation(l.log, ATTACKER, pub(second), new Date().toISOString());
    const forged = await write(l, 'zeta/graph.node/z', second);
    const report = await verifyLog(l.log, ringAfter([b64(K1)], [ATTACKER, second]), { tenant: 'zeta' });
    const found = new Map(report.failures.map((f) => [f.eventId, f.reason]));
    assert.is(found.get(forged), `unknown signing key ${second.keyId}: the key chain from the pinned key(s) does not reach it`);
    const rotation = report.failures.find((f) => f.stream === KEYS_STREAM);
    assert.match(rotation?.reason ?? '', `unknown signing key ${ATTACKER.keyId}`);
    assert.equal(report.trust.keys.map((k) => k.keyId), [K1.keyId, K2.keyId, K3.keyId]);
    // K1 retired once: a second rotation of it is refused.
    const again = await appendKeyRotation(l.log, K1, pub(key(97)), new Date().toISOString()).then(() => 'appended', (e: Error) => e.name);
    assert.is(again, 'KeyAlreadyRetiredError');
  });

  test('at rotation the outgoing key signs each tenant a final checkpoint covering everything it sealed', async () => {
    const fresh = await open();
    try {
      const origin = 'custody.example';
      await write(fresh, 'acme/graph.node/a', K1);
      await write(fresh, 'acme/graph.node/b', K1);
      await write(fresh, 'beta/graph.node/b', K1);
      const first = await rotateSigningKey(fresh.log, K1, pub(K2), origin, new Date().toISOString());
      assert.equal(first.finalCheckpoints.map((c) => [c.tenant, c.treeSize]), [['acme', 2], ['beta', 1]]);
      await write(fresh, 'acme/graph.node/a', K2);
      const second = await rotateSigningKey(fresh.log, K2, pub(K3), origin, new Date().toISOString());
      // acme: 2 events, K1's checkpoint, K2's event; _system: K1's rotation. beta had nothing new.
      assert.equal(second.finalCheckpoints.map((c) => [c.tenant, c.treeSize]), [['acme', 4], ['_system', 1]]);
      const ring = new Keyring([pub(K1), pub(K2)], K3, [b64(K1)]);
      const tree = await verifyTenantTree(fresh.log, ring, 'acme', origin);
      // Everything but the last checkpoint event itself is anchored by a checkpoint its sealing key signed.
      assert.equal(tree.failures, []);
      assert.is(tree.checkpoints, 2);
      assert.is(tree.anchoredSize, 4);
      assert.is(tree.unanchored, 1);
      const notes = (await fresh.log.readStream('acme/ledger')).map((r) => (r.data as { keyId: string }).keyId);
      assert.equal(notes, [K1.keyId, K2.keyId]);
      assert.equal(reasons(await verifyLog(fresh.log, ring, {})), []);
      // A server that holds only its current key, the first key pinned: the notes the retired keys signed open
      // with the keys the chain reaches, on one thread and on two.
      const currentOnly = new Keyring([], K3, [b64(K1)]);
      for (const workers of [1, 2]) {
        const { chains, tree: held } = await verifyTenant(fresh.log, currentOnly, 'acme', origin, { workers });
        assert.equal(reasons(chains), [], `chains, ${workers} worker(s)`);
        assert.equal(held.failures, [], `tree, ${workers} worker(s)`);
        assert.is(held.anchoredSize, 4);
      }
      // Pinned to a key outside the chain, the same notes open with nothing it reaches.
      const stranger = await verifyTenant(fresh.log, new Keyring([], K3, [b64(ATTACKER)]), 'acme', origin);
      assert.ok(stranger.tree.failures.length > 0 || stranger.chains.failures.length > 0, 'a chain from an unrelated key verifies nothing');
    } finally {
      await fresh.close();
    }
  });
  return test;
}

custodySuite('key custody (PGlite)', openMemoryLog).run();

const url = process.env['DATABASE_URL'];
if (url !== undefined) {
  let opened = 0;
  custodySuite('key custody (PostgreSQL)', () => openPostgresTestLog(url, `rotate_key_${process.pid}_${++opened}`)).run();
} else {
  console.log('skipped: key custody on PostgreSQL (DATABASE_URL not set)');
}
