// A witness follows the log key's rotations as GET /v1/ledger/keys publishes them (sealed on a real PGlite
// log by commands/rotate-key.ts): from the pinned first key it reaches each next key, even when the chain
// is listed out of order; a rotation sealed by a key it does not trust, or one whose named key was altered
// after sealing, adds nothing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ED25519_NOTE, verifierString } from '../ledger/signed-note.js';
import { publicKeyEntry, signingKeyFromSeed, type SigningKey } from '../ledger/index.js';
import { openMemoryLog, type TestLog } from '../test/logs.js';
import { appendKeyRotation, keyRotations } from './rotate-key.js';
import { followRotations } from './witness-keys.js';

const test = suite('witness: the log key rotations');
const seed = (n: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 11 + n) & 0xff);
const key = (n: number): SigningKey => signingKeyFromSeed(seed(n), '2020-01-01T00:00:00Z');
const [K1, K2, K3, ATTACKER, EVIL] = [key(1), key(2), key(3), key(98), key(99)];
const note = (k: SigningKey) => verifierString('log.test', ED25519_NOTE, k.publicKey);
const pub = (k: SigningKey) => publicKeyEntry(k.publicKey, k.notBefore);

let l: TestLog;
let rotations: unknown[];
test.before(async () => {
  l = await openMemoryLog();
  await appendKeyRotation(l.log, K1, pub(K2), new Date().toISOString());
  await appendKeyRotation(l.log, K2, pub(K3), new Date().toISOString());
  // The attacker retires its own key in favour of another of its keys: signed, but by no key a witness pinned.
  await appendKeyRotation(l.log, ATTACKER, pub(EVIL), new Date().toISOString());
  rotations = JSON.parse(JSON.stringify(await keyRotations(l.log))) as unknown[];
});
test.after(async () => l.close());

test('from the pinned first key, each next key in turn, named after the key that sealed its rotation', async () => {
  assert.equal(await followRotations([note(K1)], rotations), [{ key: note(K2), from: note(K1) }, { key: note(K3), from: note(K2) }]);
  assert.equal(await followRotations([note(K1)], [...rotations].reverse()), [{ key: note(K2), from: note(K1) }, { key: note(K3), from: note(K2) }]);
  assert.equal(await followRotations([note(K1), note(K2)], rotations), [{ key: note(K3), from: note(K2) }]);
  assert.equal(await followRotations([note(K3)], rotations), []);
});

test('a rotation by an untrusted key, or one altered after sealing, adds nothing', async () => {
  assert.equal(await followRotations([note(K1)], rotations).then((r) => r.some((k) => k.key === note(EVIL))), false);
  const first = rotations[0] as { data: Record<string, unknown> };
  const altered = { ...first, data: { ...first.data, nextPublicKey: Buffer.from(EVIL.publicKey).toString('base64') } };
  assert.equal(await followRotations([note(K1)], [altered]), []);
  // Claiming to retire K1 while sealed by the attacker.
  const attacker = rotations[2] as { data: Record<string, unknown> };
  const claimed = { ...attacker, data: { ...attacker.data, retiredKeyId: K1.keyId, retiredPublicKey: Buffer.from(K1.publicKey).toString('base64') } };
  assert.equal(await followRotations([note(K1)], [claimed]), []);
});

test.run();
