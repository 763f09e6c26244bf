// The key chain's rules, pure: who may rotate, what a rotation must name, and which positions each key may sign.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KEY_ROTATED_EVENT_TYPE, KEYS_STREAM, type KeyRotatedData } from '../schemas/key-rotation-event.js';
import { makeUnsealed, testUuid } from '../test/test-events.js';
import { KeyChain } from './key-chain.js';
import { signingKeyFromSeed, type SigningKey } from './keyring.js';
import { sealEvent } from './seal.js';

const key = (n: number): SigningKey => signingKeyFromSeed(Uint8Array.from({ length: 32 }, (_, i) => (i * 5 + n) & 0xff), '2020-01-01T00:00:00Z');
const [A, B, C] = [key(1), key(2), key(3)];
const b64 = (k: SigningKey) => Buffer.from(k.publicKey).toString('base64');

function rotation(signer: SigningKey, from: SigningKey, to: SigningKey, finalPosition: string, overrides: Partial<KeyRotatedData> = {}, n = 1) {
  const data: KeyRotatedData = {
    retiredKeyId: from.keyId,
    retiredPublicKey: b64(from),
    nextKeyId: to.keyId,
    nextPublicKey: b64(to),
    finalPosition,
    retiredAt: '2026-01-01T00:00:00Z',
    ...overrides,
  };
  return sealEvent(makeUnsealed({ id: testUuid(n), stream: KEYS_STREAM, tenant: '_system', type: KEY_ROTATED_EVENT_TYPE, data: { ...data } }), signer);
}

const anchored = () => new KeyChain([{ keyId: A.keyId, publicKey: A.publicKey }]);

test('a rotation by the outgoing key introduces the incoming one after its final position', () => {
  const chain = anchored();
  const r = rotation(A, A, B, '10');
  assert.is(chain.follow(r), null);
  assert.is(chain.judge(A.keyId, 10n, testUuid(50)), null);
  assert.match(chain.judge(A.keyId, 11n, testUuid(51)) ?? '', `signed by retired key ${A.keyId} at position 11, beyond its final position 10`);
  // Its own rotation, stored after its final position, is the one exception.
  assert.is(chain.judge(A.keyId, 12n, r.id), null);
  assert.match(chain.judge(B.keyId, 10n, testUuid(52)) ?? '', `signed by ${B.keyId} at position 10, before the rotation that introduced it`);
  assert.is(chain.judge(B.keyId, 11n, testUuid(53)), null);
  assert.equal(chain.keys(), [
    { keyId: A.keyId, pinned: true, finalPosition: '10', retiredAt: '2026-01-01T00:00:00Z' },
    { keyId: B.keyId, pinned: false, validAfter: '10' },
  ]);
});

test('a rotation that breaks a rule introduces nothing, and says which rule', () => {
  const cases: [string, ReturnType<typeof rotation>, string][] = [
    ['signed by a key the chain does not reach', rotation(C, C, B, '10'), `unknown signing key ${C.keyId}`],
    ['retiring another key than its signer', rotation(A, B, C, '10', { retiredPublicKey: b64(A) }), `key rotation signed by ${A.keyId} retires ${B.keyId}`],
    ['naming another public key for the outgoing key', rotation(A, A, B, '10', { retiredPublicKey: b64(C) }), `names a public key for ${A.keyId} that is not the chain's`],
    ['a next key id that is not its public key', rotation(A, A, B, '10', { nextPublicKey: b64(C) }), `nextKeyId ${B.keyId} does not match nextPublicKey`],
    ['a malformed final position', rotation(A, A, B, '-1'), 'malformed key rotation'],
  ];
  for (const [name, r, reason] of cases) {
    const chain = anchored();
    assert.match(chain.follow(r) ?? 'accepted', reason, name);
    assert.equal(chain.keys().map((k) => k.keyId), [A.keyId], name);
  }
  // An altered rotation fails its signature.
  const altered = { ...rotation(A, A, B, '10'), data: { ...(rotation(A, A, B, '10').data as object), finalPosition: '99' } };
  assert.is(anchored().follow(altered), 'hash mismatch: payload or envelope altered');
});

test('a key retires once, and a key already in the chain cannot be introduced again', () => {
  const chain = anchored();
  assert.is(chain.follow(rotation(A, A, B, '10')), null);
  assert.match(chain.follow(rotation(A, A, C, '20', {}, 2)) ?? '', `key rotation by ${A.keyId}, already retired at position 10`);
  assert.match(chain.follow(rotation(B, B, A, '20', {}, 3)) ?? '', `incoming key ${A.keyId} is already in the chain`);
  assert.is(chain.follow(rotation(B, B, C, '20', {}, 4)), null);
  assert.equal(chain.keys().map((k) => k.keyId), [A.keyId, B.keyId, C.keyId]);
});

test('an anchor whose key id does not match its public key is refused', () => {
  assert.throws(() => new KeyChain([{ keyId: B.keyId, publicKey: A.publicKey }]), /does not match its public key/);
});

test.run();
