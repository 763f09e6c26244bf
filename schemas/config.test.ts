// Configuration of backpressure: defaults, seconds to milliseconds, and a bad value naming its variable.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { DEFAULT_ADMISSION, loadConfig } from './config.js';
import { ED25519_NOTE, verifierString } from '../ledger/signed-note.js';

test('command slots and timeout default, and read from the environment', () => {
  const defaults = loadConfig({});
  assert.ok(isRight(defaults));
  if (isRight(defaults)) assert.equal(defaults.right.admission, DEFAULT_ADMISSION);
  const set = loadConfig({ COMPANYOS_MAX_INFLIGHT: '64', COMPANYOS_MAX_INFLIGHT_PER_TENANT: '8', COMPANYOS_COMMAND_TIMEOUT: '2.5' });
  assert.ok(isRight(set));
  if (isRight(set)) assert.equal(set.right.admission, { maxInFlight: 64, maxInFlightPerTenant: 8, commandTimeoutMs: 2500 });
});

test('a bad slot count or timeout stops start-up naming the variable', () => {
  for (const [name, value] of [
    ['COMPANYOS_MAX_INFLIGHT', '0'],
    ['COMPANYOS_MAX_INFLIGHT', '1e3'],
    ['COMPANYOS_MAX_INFLIGHT_PER_TENANT', '-1'],
    ['COMPANYOS_COMMAND_TIMEOUT', '0'],
    ['COMPANYOS_COMMAND_TIMEOUT', 'soon'],
  ] as const) {
    const loaded = loadConfig({ [name]: value });
    assert.ok(isLeft(loaded), `${name}=${value}`);
    if (isLeft(loaded)) assert.match(loaded.left.join('\n'), name);
  }
});

test('COMPANYOS_TRUSTED_KEYS: comma-separated public keys or key ids; none by default; a bad entry is named', () => {
  const none = loadConfig({});
  assert.ok(isRight(none) && none.right.trustedKeys.length === 0);
  const key = Buffer.alloc(32, 7).toString('base64');
  const set = loadConfig({ COMPANYOS_TRUSTED_KEYS: `${key}, ed25519:0123456789abcdef` });
  assert.ok(isRight(set));
  if (isRight(set)) assert.equal(set.right.trustedKeys, [key, 'ed25519:0123456789abcdef']);
  const bad = loadConfig({ COMPANYOS_TRUSTED_KEYS: `${key},ed25519:XYZ` });
  assert.ok(isLeft(bad));
  if (isLeft(bad)) assert.match(bad.left.join('\n'), 'COMPANYOS_TRUSTED_KEYS: entry 2 is neither');
});

test('COMPANYOS_TRUSTED_KEYS takes a note verifier string; a wrong id or another algorithm stops start-up', () => {
  const publicKey = new Uint8Array(32).fill(7);
  const verifier = verifierString('ledger.test', ED25519_NOTE, publicKey);
  const set = loadConfig({ COMPANYOS_TRUSTED_KEYS: `ed25519:0123456789abcdef,${verifier}` });
  assert.ok(isRight(set));
  if (isRight(set)) assert.equal(set.right.trustedKeys, ['ed25519:0123456789abcdef', verifier]);
  const wrongId = loadConfig({ COMPANYOS_TRUSTED_KEYS: verifier.replace(/\+[0-9a-f]{8}\+/, '+00000000+') });
  assert.ok(isLeft(wrongId));
  if (isLeft(wrongId)) assert.match(wrongId.left.join('\n'), 'COMPANYOS_TRUSTED_KEYS: entry 1 is not a usable key: verifier key ledger.test: the id does not match');
  const cosignature = loadConfig({ COMPANYOS_TRUSTED_KEYS: verifierString('witness.one', 0x04, publicKey) });
  assert.ok(isLeft(cosignature));
  if (isLeft(cosignature)) assert.match(cosignature.left.join('\n'), 'not an Ed25519 note key (type 0x04)');
});

test('COMPANYOS_CHECKPOINT_INTERVAL: 1 s by default, seconds when set, 0 turns the checkpointer off; below 0.01 otherwise refused', () => {
  const interval = (value?: string) => {
    const loaded = loadConfig(value === undefined ? {} : { COMPANYOS_CHECKPOINT_INTERVAL: value });
    return isRight(loaded) ? loaded.right.ledger.checkpointIntervalMs : undefined;
  };
  assert.is(interval(), 1000);
  assert.is(interval('2.5'), 2500);
  assert.is(interval('0'), 0);
  assert.is(interval('0.001'), undefined);
  assert.is(interval('-1'), undefined);
});

test.run();
