// Key ids, seeds, validity windows and the published key list.
import { createHash, createPublicKey } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyring, keyIdOf, publicKeyEntry, publishedKeys, seedOf, signingKeyFromSeed } from './index.js';
import { OTHER_TEST_SEED, TEST_SEED, testSigningKey } from '../test/test-events.js';

const test = suite('ledger/keyring');

// RFC 8032 section 7.1, test 1: a known seed and its public key.
const RFC_SEED = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
const RFC_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

test('signingKeyFromSeed derives the RFC 8032 public key', () => {
  const key = signingKeyFromSeed(RFC_SEED, '2026-01-01T00:00:00Z');
  assert.is(Buffer.from(key.publicKey).toString('hex'), RFC_PUBLIC);
  assert.is(key.notBefore, '2026-01-01T00:00:00Z');
  assert.is(key.notAfter, undefined);
});

test('keyIdOf is ed25519: + first 16 hex of SHA-256(raw public key)', () => {
  const pub = Buffer.from(RFC_PUBLIC, 'hex');
  const expected = 'ed25519:' + createHash('sha256').update(pub).digest('hex').slice(0, 16);
  assert.is(keyIdOf(pub), expected);
  assert.is(signingKeyFromSeed(RFC_SEED, '2026-01-01T00:00:00Z').keyId, expected);
  assert.match(expected, /^ed25519:[0-9a-f]{16}$/);
  assert.is.not(keyIdOf(testSigningKey().publicKey), keyIdOf(testSigningKey(OTHER_TEST_SEED).publicKey));
});

test('seedOf returns the seed a key was built from', () => {
  assert.is(Buffer.from(seedOf(testSigningKey())).toString('hex'), Buffer.from(TEST_SEED).toString('hex'));
});

test('rejects seeds and public keys of the wrong length', () => {
  assert.throws(() => signingKeyFromSeed(new Uint8Array(31), '2026-01-01T00:00:00Z'), /32 bytes/);
  assert.throws(() => publicKeyEntry(new Uint8Array(33), '2026-01-01T00:00:00Z'), /32 bytes/);
});

test('validity window: notBefore <= t < notAfter', () => {
  const old = signingKeyFromSeed(TEST_SEED, '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z');
  const ring = new Keyring([old]);
  assert.ok(ring.isValidAt(old.keyId, '2024-01-01T00:00:00Z'));
  assert.ok(ring.isValidAt(old.keyId, '2024-12-31T23:59:59.999Z'));
  assert.ok(ring.isValidAt(old.keyId, '2025-01-01T01:00:00+02:00'), 'zone offsets are instants');
  assert.not.ok(ring.isValidAt(old.keyId, '2025-01-01T00:00:00Z'));
  assert.not.ok(ring.isValidAt(old.keyId, '2023-12-31T23:59:59Z'));
  assert.not.ok(ring.isValidAt('ed25519:0000000000000000', '2024-06-01T00:00:00Z'));
  assert.not.ok(ring.isValidAt(old.keyId, 'not a time'));
});

test('active throws clearly when there is none; find and entries', () => {
  const key = testSigningKey();
  const verifyOnly = new Keyring([publicKeyEntry(key.publicKey, key.notBefore)]);
  assert.throws(() => verifyOnly.active, /no active signing key/);
  assert.not.ok(verifyOnly.hasActive);
  const ring = new Keyring([], key);
  assert.is(ring.active.keyId, key.keyId);
  assert.is(ring.find(key.keyId)?.keyId, key.keyId);
  assert.is(ring.find('ed25519:nope'), undefined);
  assert.is(ring.entries.length, 1);
  assert.not.ok('privateKey' in ring.entries[0]!, 'entries never carry private keys');
});

test('rejects duplicate ids, forged ids, mismatched private keys, inverted windows', () => {
  const key = testSigningKey();
  const other = testSigningKey(OTHER_TEST_SEED);
  assert.throws(() => new Keyring([key, key]), /duplicate key id/);
  assert.throws(() => new Keyring([{ ...publicKeyEntry(key.publicKey, key.notBefore), keyId: other.keyId }]), /does not match/);
  assert.throws(() => new Keyring([publicKeyEntry(key.publicKey, key.notBefore)], { ...key, privateKey: other.privateKey }), /private key/);
  assert.throws(() => new Keyring([publicKeyEntry(key.publicKey, '2026-01-01T00:00:00Z', '2025-01-01T00:00:00Z')]), /notAfter/);
  assert.throws(() => new Keyring([publicKeyEntry(key.publicKey, 'yesterday')]), /RFC 3339/);
});

test('publishedKeys lists public keys as base64 and JWK', () => {
  const retired = signingKeyFromSeed(OTHER_TEST_SEED, '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z');
  const active = testSigningKey();
  const published = publishedKeys(new Keyring([retired], active));
  assert.is(published.length, 2);
  const [p0, p1] = published;
  assert.is(p0!.keyId, retired.keyId);
  assert.is(p0!.algorithm, 'Ed25519');
  assert.is(p0!.notAfter, '2025-01-01T00:00:00Z');
  assert.is(Buffer.from(p0!.publicKey, 'base64').toString('hex'), Buffer.from(retired.publicKey).toString('hex'));
  assert.is(p1!.keyId, active.keyId);
  assert.not.ok('notAfter' in p1!);
  // The JWK must import as the same key.
  const fromJwk = createPublicKey({ key: { ...p1!.publicKeyJwk }, format: 'jwk' });
  const spki = fromJwk.export({ format: 'der', type: 'spki' });
  assert.is(spki.subarray(-32).toString('hex'), Buffer.from(active.publicKey).toString('hex'));
  assert.equal(Object.keys(p1!.publicKeyJwk).sort(), ['crv', 'kty', 'x']);
  assert.not.ok(JSON.stringify(published).includes(Buffer.from(TEST_SEED).toString('base64')), 'no private material');
});

test.run();
