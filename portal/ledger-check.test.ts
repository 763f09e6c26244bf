// "Verified in this browser" without a browser: checkLedger on notes signed here (tweetnacl), against a
// kept note that is absent, equal, larger (rollback), of another root at the same size (fork), or joined
// by a proof that fails; and a note the published key did not sign.
import nacl from 'tweetnacl';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatCheckpoint } from '../ledger/checkpoint-note.js';
import { leafHash, rootOf } from '../ledger/merkle.js';
import { ED25519_NOTE, ed25519NoteSigner, signNote, verifierString } from '../ledger/signed-note.js';
import { checkLedger, cosignersOf } from './ledger-check.js';

const NAME = 'companyos.local';
const ORIGIN = `${NAME}/demo`;
const keys = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(1));
const other = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(2));
const KEY = verifierString(NAME, ED25519_NOTE, keys.publicKey);

const leaves = Array.from({ length: 8 }, (_, i) => leafHash(new Uint8Array(32).fill(i + 1)));
const note = (size: number, pair = keys, root = rootOf(leaves.slice(0, size))) =>
  signNote(formatCheckpoint({ origin: ORIGIN, size, root, extensions: [] }), [ed25519NoteSigner(NAME, pair.publicKey, (m) => nacl.sign.detached(m, pair.secretKey))]);
const noProof = async (): Promise<readonly string[]> => {
  throw new Error('not asked');
};

const test = suite('ledger check (the portal)');

test('a first checkpoint verifies with the published key and says it is the first', async () => {
  const check = await checkLedger({ latest: note(5), keys: [KEY], consistency: noProof });
  assert.equal(check.ok && [check.kind, check.size, check.origin], ['first', 5, ORIGIN]);
  assert.ok(check.ok && check.signedBy[0]!.startsWith(`${NAME}+`));
});

test('the same checkpoint again is unchanged; a smaller one is a rollback naming both sizes', async () => {
  const same = await checkLedger({ latest: note(5), lastSeen: note(5), keys: [KEY], consistency: noProof });
  assert.equal([same.ok, same.kind], [true, 'same']);
  const back = await checkLedger({ latest: note(3), lastSeen: note(5), keys: [KEY], consistency: noProof });
  assert.equal([back.ok, back.kind, back.message], [false, 'rollback', 'rollback: this browser saw size 5, the log now says size 3']);
});

test('another root at the same size is a fork; a larger size whose proof fails is a fork naming both sizes', async () => {
  const forked = await checkLedger({ latest: note(5, keys, new Uint8Array(32).fill(9)), lastSeen: note(5), keys: [KEY], consistency: noProof });
  assert.equal([forked.ok, forked.kind], [false, 'fork']);
  assert.match(forked.message, /fork at size 5/);
  const step = await checkLedger({ latest: note(8), lastSeen: note(5), keys: [KEY], consistency: async () => [] });
  assert.equal([step.ok, step.kind], [false, 'fork']);
  assert.match(step.message, /sizes 5 and 8 disagree/);
});

test('a checkpoint not signed by the published key is refused', async () => {
  const check = await checkLedger({ latest: note(5, other), keys: [KEY], consistency: noProof });
  assert.equal([check.ok, check.kind], [false, 'signature']);
});

test('cosigners are the signature lines of keys other than the log\'s', () => {
  const text = `${ORIGIN}\n5\nAAAA\n\n\u2014 ${NAME} abc=\n\u2014 witness.example.org def=\n`;
  assert.equal(cosignersOf(text, NAME), ['witness.example.org']);
});

test.run();
