// Strict Ed25519: the malleated signature (S + L) and non-canonical points that tweetnacl accepts are
// refused by the one rule the server and the offline verifier share.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import nacl from 'tweetnacl';
import { makeUnsealed, testSigningKey } from '../test/test-events.js';
import { ed25519EncodingProblem, verifyEd25519, verifyEd25519Sync } from './ed25519.js';
import { Keyring, sealEvent, verifyEvent } from './index.js';

const test = suite('ledger/ed25519');

const L = (1n << 252n) + 27742317777372353535851937790883648493n;

/** The signature with S replaced by S + L: the same signature, spelled a second way. */
function malleated(signature: Uint8Array): Uint8Array {
  let s = 0n;
  for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(signature[32 + i]!);
  s += L;
  const out = signature.slice();
  for (let i = 0; i < 32; i++) {
    out[32 + i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return out;
}

const pair = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(7));
const message = new TextEncoder().encode('companyos checkpoint\n');
const signature = nacl.sign.detached(message, pair.secretKey);

test('a genuine signature verifies; a changed message does not', async () => {
  assert.is(ed25519EncodingProblem(pair.publicKey, signature), null);
  assert.ok(await verifyEd25519(pair.publicKey, message, signature));
  assert.ok(verifyEd25519Sync(pair.publicKey, message, signature));
  assert.not.ok(await verifyEd25519(pair.publicKey, new TextEncoder().encode('other\n'), signature));
});

test('S + L: tweetnacl accepts it, the strict check refuses it', async () => {
  const forged = malleated(signature);
  assert.ok(nacl.sign.detached.verify(message, forged, pair.publicKey), 'the gap this closes: tweetnacl accepts S + L');
  assert.match(ed25519EncodingProblem(pair.publicKey, forged) ?? '', /not below the group order/);
  assert.not.ok(await verifyEd25519(pair.publicKey, message, forged));
  assert.not.ok(verifyEd25519Sync(pair.publicKey, message, forged));
});

test('the server refuses a sealed event whose signature is malleated', () => {
  const key = testSigningKey();
  const keyring = new Keyring([], key);
  const e = sealEvent(makeUnsealed(), key);
  assert.is(verifyEvent(e, keyring), null);
  const forged = Buffer.from(malleated(Buffer.from(e.signature, 'base64'))).toString('base64');
  assert.is(verifyEvent({ ...e, signature: forged }, keyring), 'signature invalid');
});

test('a public key with y not reduced mod p: tweetnacl accepts a forgery for it, the strict check does not', async () => {
  // y = 1 + p encodes the identity point non-canonically; with S = 0 and R = identity the equation holds for any message.
  const key = new Uint8Array(32).fill(0xff);
  key[0] = 0xee;
  key[31] = 0x7f;
  const forged = new Uint8Array(64);
  forged[0] = 1;
  assert.ok(nacl.sign.detached.verify(message, forged, key), 'tweetnacl accepts the non-canonical key');
  assert.match(ed25519EncodingProblem(key, forged) ?? '', /public key is not a canonical/);
  assert.not.ok(await verifyEd25519(key, message, forged));
});

test('sign bit on a point whose x is 0, and wrong lengths, are refused', () => {
  const r = new Uint8Array(32);
  r[0] = 1;
  r[31] = 0x80;
  const sig = new Uint8Array(64);
  sig.set(r);
  assert.match(ed25519EncodingProblem(pair.publicKey, sig) ?? '', /R is not a canonical/);
  assert.match(ed25519EncodingProblem(r, signature) ?? '', /public key is not a canonical/);
  assert.match(ed25519EncodingProblem(pair.publicKey.subarray(1), signature) ?? '', /31 bytes/);
  assert.match(ed25519EncodingProblem(pair.publicKey, signature.subarray(1)) ?? '', /63 bytes/);
});

test('a key array reused for another key is checked with the key it holds now, not the one imported first', async () => {
  const other = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(9));
  const otherSignature = nacl.sign.detached(message, other.secretKey);
  const key = pair.publicKey.slice();
  assert.ok(await verifyEd25519(key, message, signature));
  assert.ok(await verifyEd25519(key, message, signature), 'again, from the imported key');
  key.set(other.publicKey);
  assert.not.ok(await verifyEd25519(key, message, signature), 'the first key is not remembered for these bytes');
  assert.ok(await verifyEd25519(key, message, otherSignature));
  key.set(pair.publicKey);
  assert.ok(await verifyEd25519(key, message, signature));
  assert.not.ok(await verifyEd25519(key, message, otherSignature));
});

test.run();
