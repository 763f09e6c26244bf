// The log key's chain as an outsider follows it (rotations sealed on a real PGlite log by
// commands/rotate-key.ts, published as JSON, followed by ledger/offline-verifier.ts): each link's final position and successor from the rotation
// its own key sealed; a rotation altered after sealing, or one naming a key whose id does not match,
// changes nothing; a rotation sealed by a key the chain does not reach adds nothing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { publicKeyEntry, signingKeyFromSeed, type SigningKey } from '../ledger/index.js';
import { openMemoryLog, type TestLog } from '../test/logs.js';
import { followPublishedRotations, KEY_ROTATED_EVENT_TYPE as ROTATED, KEYS_STREAM as STREAM } from '../ledger/offline-verifier.js';
import { KEY_ROTATED_EVENT_TYPE, KEYS_STREAM } from '../schemas/key-rotation-event.js';
import { appendKeyRotation, keyRotations } from './rotate-key.js';

const test = suite('the published key chain');
const key = (n: number): SigningKey => signingKeyFromSeed(Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + n) & 0xff), '2020-01-01T00:00:00Z');
const [K1, K2, K3, ATTACKER] = [key(1), key(2), key(3), key(9)];
const b64 = (k: SigningKey) => Buffer.from(k.publicKey).toString('base64');
const pub = (k: SigningKey) => publicKeyEntry(k.publicKey, k.notBefore);

let l: TestLog;
let rotations: { keyId: string; data: Record<string, unknown> }[];
test.before(async () => {
  l = await openMemoryLog();
  await appendKeyRotation(l.log, K1, pub(K2), new Date().toISOString());
  await appendKeyRotation(l.log, K2, pub(K3), new Date().toISOString());
  await appendKeyRotation(l.log, ATTACKER, pub(K1), new Date().toISOString());
  rotations = JSON.parse(JSON.stringify(await keyRotations(l.log))) as typeof rotations;
});
test.after(async () => l.close());

test('from the pinned key: each next key, with the final position and successor of each retired one', async () => {
  const chain = await followPublishedRotations([b64(K1)], rotations);
  assert.equal(chain.map((c) => [c.keyId, c.pinned, c.from, c.next]), [[K1.keyId, true, undefined, K2.keyId], [K2.keyId, false, K1.keyId, K3.keyId], [K3.keyId, false, K2.keyId, undefined]]);
  assert.is(chain[0]!.finalPosition, BigInt(String(rotations[0]!.data.finalPosition)));
  assert.is(chain[1]!.validAfter, chain[0]!.finalPosition);
  assert.is(chain[2]!.finalPosition, undefined);
  // The same chain however the rotations are listed.
  assert.equal(await followPublishedRotations([b64(K1)], [...rotations].reverse()), chain);
});

test('a rotation altered after sealing, one naming a key its id does not match, or one sealed by an unreached key, adds nothing', async () => {
  const again = await followPublishedRotations([b64(K2)], [rotations[1]!, { ...rotations[1]!, data: { ...rotations[1]!.data, nextPublicKey: b64(ATTACKER) } }]);
  assert.equal(again.map((c) => c.keyId), [K2.keyId, K3.keyId]);
  const mismatched = { ...rotations[0]!, data: { ...rotations[0]!.data, nextKeyId: ATTACKER.keyId } };
  assert.equal((await followPublishedRotations([b64(K1)], [mismatched])).map((c) => c.keyId), [K1.keyId]);
  // The attacker's rotation to K1 is genuine but sealed by no key reached from K3.
  assert.equal((await followPublishedRotations([b64(K3)], rotations)).map((c) => c.keyId), [K3.keyId]);
});

test("the offline verifier names the rotations' stream and type as the schema does (it carries no io-ts)", () => {
  assert.is(STREAM, KEYS_STREAM);
  assert.is(ROTATED, KEY_ROTATED_EVENT_TYPE);
});

test.run();
