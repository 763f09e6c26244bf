// The spellings of a pinned key: base64 public key, key id, note verifier string; and what is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toBase64 } from './bytes.js';
import { ED25519_NOTE, verifierString } from './signed-note.js';
import { parseTrustedKey } from './trusted-key.js';

const publicKey = new Uint8Array(32).map((_, i) => i * 7 + 1);

test('a base64 public key, a key id and an Ed25519 verifier string name the same kinds of pin', () => {
  assert.equal(parseTrustedKey(toBase64(publicKey)), { ok: true, value: { publicKey } });
  assert.equal(parseTrustedKey('ed25519:0123456789abcdef'), { ok: true, value: { keyId: 'ed25519:0123456789abcdef' } });
  const verifier = verifierString('ledger.test', ED25519_NOTE, publicKey);
  assert.equal(parseTrustedKey(verifier), { ok: true, value: { publicKey, verifier } });
});

test('a verifier string whose id does not match, of another algorithm, or anything else is refused with a reason', () => {
  const verifier = verifierString('ledger.test', ED25519_NOTE, publicKey);
  const wrongId = parseTrustedKey(verifier.replace(/\+[0-9a-f]{8}\+/, '+00000000+'));
  assert.equal(wrongId, { ok: false, reason: 'verifier key ledger.test: the id does not match the name and key' });
  const cosignature = parseTrustedKey(verifierString('witness.one', 0x04, publicKey));
  assert.equal(cosignature, { ok: false, reason: 'verifier key witness.one: not an Ed25519 note key (type 0x04)' });
  for (const bad of ['', 'nonsense', 'ed25519:XYZ', toBase64(publicKey.slice(1)), toBase64(publicKey).replace(/.=$/, 'B=')]) {
    assert.not.ok(parseTrustedKey(bad).ok, bad);
  }
});

test.run();
