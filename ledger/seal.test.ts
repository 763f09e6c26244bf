// Sealing: hash coverage, signature format, the signed message, and tweetnacl (the offline verifier)
// accepting what node:crypto signs.
import { createHash } from 'node:crypto';
import nacl from 'tweetnacl';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalize, eventHash, sealEvent, signingKeyFromSeed, signingMessage, SIGNING_DOMAIN } from './index.js';
import { makeUnsealed, testSigningKey, TEST_SEED } from '../test/test-events.js';

const test = suite('ledger/seal');
const key = testSigningKey();

test('eventHash is SHA-256 over the JCS of the unsealed event', () => {
  const e = makeUnsealed();
  const expected = createHash('sha256').update(canonicalize(e as never), 'utf8').digest('hex');
  assert.is(eventHash(e), expected);
  assert.match(eventHash(e), /^[0-9a-f]{64}$/);
});

test('eventHash ignores hash, keyId and signature, and nothing else', () => {
  const e = makeUnsealed();
  const sealed = sealEvent(e, key);
  assert.is(eventHash(sealed), eventHash(e));
  assert.is(eventHash({ ...sealed, signature: 'x', keyId: 'y', hash: 'z' } as never), eventHash(e));
  assert.is.not(eventHash(makeUnsealed({ data: { name: 'Widget2' } })), eventHash(e));
  assert.is.not(eventHash(makeUnsealed({ meta: { reason: 'other' } })), eventHash(e));
  assert.is.not(eventHash(makeUnsealed({ revision: 1 })), eventHash(e));
  assert.is.not(eventHash(makeUnsealed({ stream: 'acme/graph.node/n2' })), eventHash(e));
  assert.is.not(eventHash({ ...e, extra: 1 } as never), eventHash(e), 'unknown fields are covered too');
});

test('eventHash covers hash, keyId and signature below the top level', () => {
  const e = makeUnsealed({ data: { hash: 'a', keyId: 'b', signature: 'c' } });
  assert.is.not(eventHash(e), eventHash(makeUnsealed({ data: { hash: 'a', keyId: 'b', signature: 'd' } })));
  assert.is(eventHash(e), createHash('sha256').update(canonicalize(e as never), 'utf8').digest('hex'));
});

test('eventHash does not depend on key order', () => {
  const e = makeUnsealed();
  const reversed = Object.fromEntries(Object.entries(e).reverse());
  assert.is(eventHash(reversed as never), eventHash(e));
});

test('sealEvent sets hash, keyId and a padded base64 Ed25519 signature', () => {
  const e = makeUnsealed();
  const sealed = sealEvent(e, key);
  assert.is(sealed.hash, eventHash(e));
  assert.is(sealed.keyId, key.keyId);
  assert.match(sealed.signature, /^[A-Za-z0-9+/]{86}==$/);
  assert.is(Buffer.from(sealed.signature, 'base64').length, 64);
  assert.equal({ ...sealed, hash: undefined, keyId: undefined, signature: undefined }, { ...e, hash: undefined, keyId: undefined, signature: undefined });
  assert.not.ok('hash' in e, 'input not mutated');
});

test('signingMessage is domain, 0x00, raw hash', () => {
  const hash = eventHash(makeUnsealed());
  const message = signingMessage(hash);
  assert.is(SIGNING_DOMAIN, 'companyos.event.v1');
  assert.is(message.toString('hex'), Buffer.from(SIGNING_DOMAIN, 'utf8').toString('hex') + '00' + hash);
  assert.throws(() => signingMessage('abcd'), /32-byte/);
});

test('tweetnacl verifies what sealEvent signed and rejects a one-bit change', () => {
  const sealed = sealEvent(makeUnsealed(), key);
  const message = new Uint8Array(signingMessage(sealed.hash));
  const signature = new Uint8Array(Buffer.from(sealed.signature, 'base64'));
  const publicKey = new Uint8Array(key.publicKey);
  assert.ok(nacl.sign.detached.verify(message, signature, publicKey));
  // tweetnacl derives the same public key from the seed.
  assert.is(Buffer.from(nacl.sign.keyPair.fromSeed(TEST_SEED).publicKey).toString('hex'), Buffer.from(publicKey).toString('hex'));

  const flippedMessage = Uint8Array.from(message);
  flippedMessage[message.length - 1]! ^= 1;
  assert.not.ok(nacl.sign.detached.verify(flippedMessage, signature, publicKey));
  const flippedSig = Uint8Array.from(signature);
  flippedSig[10]! ^= 0x08;
  assert.not.ok(nacl.sign.detached.verify(message, flippedSig, publicKey));
});

test('signatures are deterministic and match tweetnacl signing byte for byte', () => {
  const sealed = sealEvent(makeUnsealed(), key);
  const naclSig = nacl.sign.detached(new Uint8Array(signingMessage(sealed.hash)), nacl.sign.keyPair.fromSeed(TEST_SEED).secretKey);
  assert.is(Buffer.from(naclSig).toString('base64'), sealed.signature);
});

test('sealEvent refuses a sealedAt outside the key window', () => {
  const future = signingKeyFromSeed(TEST_SEED, '2027-01-01T00:00:00Z');
  assert.throws(() => sealEvent(makeUnsealed(), future), /not valid before/);
  const retired = signingKeyFromSeed(TEST_SEED, '2020-01-01T00:00:00Z', '2025-01-01T00:00:00Z');
  assert.throws(() => sealEvent(makeUnsealed(), retired), /retired/);
  assert.throws(() => sealEvent(makeUnsealed({ sealedAt: 'soon' }), key), /sealedAt/);
});

test.run();
