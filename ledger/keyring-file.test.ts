// Keyring file round trip, active-key choice, and clear errors on bad files.
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeKeyringFile, encodeKeyringFile, Keyring, publicKeyEntry, signingKeyFromSeed } from './index.js';
import { OTHER_TEST_SEED, TEST_SEED } from '../test/test-events.js';

const test = suite('ledger/keyring-file');

const retired = signingKeyFromSeed(OTHER_TEST_SEED, '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z');
const active = signingKeyFromSeed(TEST_SEED, '2025-01-01T00:00:00Z');
const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');

function ok<T>(r: Either<string, T>): T {
  if (isLeft(r)) throw new Error(`expected Right, got: ${r.left}`);
  return r.right;
}
function err(r: Either<string, unknown>): string {
  if (isRight(r)) throw new Error('expected Left');
  return r.left;
}

test('encode/decode round trip keeps keys, windows, private keys and the active key', () => {
  const ring = new Keyring([retired, publicKeyEntry(new Uint8Array(32).fill(7), '2023-01-01T00:00:00Z')], active);
  const file = encodeKeyringFile(ring);
  const back = ok(decodeKeyringFile(JSON.parse(JSON.stringify(file))));
  assert.equal(encodeKeyringFile(back), file);
  assert.is(back.active.keyId, active.keyId);
  assert.is(back.entries.length, 3);
  assert.is(back.find(retired.keyId)?.notAfter, '2025-01-01T00:00:00Z');
  assert.ok(back.signingKey(retired.keyId), 'retired private key kept');
  const [f0, f1, f2] = file.keys;
  assert.is(f0!.privateKey, b64(OTHER_TEST_SEED));
  assert.is(f1!.privateKey, undefined);
  assert.is(f2!.privateKey, b64(TEST_SEED));
  assert.is(f2!.publicKey, b64(active.publicKey));
});

test('active = private key, no notAfter, latest notBefore', () => {
  const older = signingKeyFromSeed(OTHER_TEST_SEED, '2024-01-01T00:00:00Z');
  const file = {
    keys: [
      { keyId: active.keyId, publicKey: b64(active.publicKey), privateKey: b64(TEST_SEED), notBefore: '2025-06-01T00:00:00Z' },
      { keyId: older.keyId, publicKey: b64(older.publicKey), privateKey: b64(OTHER_TEST_SEED), notBefore: '2024-01-01T00:00:00Z' },
    ],
  };
  assert.is(ok(decodeKeyringFile(file)).active.keyId, active.keyId);
  file.keys[1]!.notBefore = '2025-07-01T00:00:00Z';
  assert.is(ok(decodeKeyringFile(file)).active.keyId, older.keyId);
  file.keys[1]!.notBefore = '2025-06-01T02:00:00+02:00';
  assert.match(err(decodeKeyringFile(file)), /both active/);
});

test('no private key: verify-only keyring', () => {
  const ring = ok(decodeKeyringFile({ keys: [{ keyId: active.keyId, publicKey: b64(active.publicKey), notBefore: active.notBefore }] }));
  assert.not.ok(ring.hasActive);
  assert.throws(() => ring.active, /no active signing key/);
});

test('clear errors on bad input', () => {
  const good = { keyId: active.keyId, publicKey: b64(active.publicKey), notBefore: '2025-01-01T00:00:00Z' };
  assert.match(err(decodeKeyringFile(null)), /keyring file: file \(expected KeyringFile\)/);
  assert.match(err(decodeKeyringFile({})), /keyring file: keys /);
  assert.match(err(decodeKeyringFile({ keys: [{ ...good, publicKey: 'AAAA' }] })), /keys\[0\]\.publicKey \(expected base64 of 32 bytes\)/);
  assert.match(err(decodeKeyringFile({ keys: [good, { ...good, notBefore: '2025-13-01' }] })), /keys\[1\]\.notBefore/);
  assert.match(err(decodeKeyringFile({ keys: [{ ...good, keyId: 'ed25519:0000000000000000' }] })), /keys\[0\]\.keyId: .* does not match publicKey/);
  assert.match(err(decodeKeyringFile({ keys: [good, good] })), /keys\[1\]\.keyId: duplicate/);
  assert.match(err(decodeKeyringFile({ keys: [{ ...good, privateKey: b64(OTHER_TEST_SEED) }] })), /keys\[0\]\.privateKey: does not belong/);
  assert.match(err(decodeKeyringFile({ keys: [{ ...good, notAfter: '2024-01-01T00:00:00Z' }] })), /keys\[0\]\.notAfter: must be after notBefore/);
});

test.run();
