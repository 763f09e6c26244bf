// COMPANYOS_WITNESSES: witness verifier keys (cosignature/v1) only; a log key (Ed25519 note key), a bad id
// or garbage stops start-up naming the entry; the configured keys reach config.ledger.witnesses.
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { COSIGNATURE_V1 } from '../ledger/cosignature.js';
import { ED25519_NOTE, verifierString } from '../ledger/signed-note.js';
import { loadConfig } from './config.js';
import { WitnessKeys } from './cosignatures.js';

const test = suite('COMPANYOS_WITNESSES');
const one = verifierString('w.one', COSIGNATURE_V1, new Uint8Array(32).fill(1));
const two = verifierString('w.two', COSIGNATURE_V1, new Uint8Array(32).fill(2));

test('witness verifier keys, comma-separated, reach config.ledger.witnesses', () => {
  const config = loadConfig({ COMPANYOS_WITNESSES: `${one}, ${two}` });
  assert.ok(isRight(config));
  assert.equal(config.right.ledger.witnesses, [one, two]);
  const none = loadConfig({});
  assert.ok(isRight(none) && none.right.ledger.witnesses.length === 0);
});

test('a log key, a key id that does not match, or garbage is refused naming the entry', () => {
  const logKey = verifierString('log.test', ED25519_NOTE, new Uint8Array(32).fill(1));
  const wrongId = one.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
  for (const bad of [logKey, wrongId, 'not a key']) {
    const decoded = WitnessKeys.decode(`${one},${bad}`);
    assert.ok(isLeft(decoded), bad);
    const config = loadConfig({ COMPANYOS_WITNESSES: `${one},${bad}` });
    assert.ok(isLeft(config));
    assert.match(config.left.join('; '), /COMPANYOS_WITNESSES: entry 2 is not a cosignature\/v1 verifier key/);
  }
});

test.run();
