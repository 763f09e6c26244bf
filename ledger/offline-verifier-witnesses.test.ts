// The offline verifier with witness keys: a receipt's checkpoint note carries c2sp.org/tlog-cosignature
// lines; with the witnesses' keys given, the lines by them are checked and counted against the threshold
// (default: all given), a line by a key not given is ignored (c2sp.org/signed-note), a failing line by a
// given key rejects the receipt, and the report names who cosigned. Without witness keys nothing changes.
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { receiptFixture } from '../test/receipt-fixtures.js';
import { COSIGNATURE_V1, cosigner } from './cosignature.js';
import { ReceiptVerifier, verifyReceipt } from './offline-verifier.js';
import { parseNote, signNote, verifierString, type NoteSigner } from './signed-note.js';

const test = suite('offline verifier: witness cosignatures on a receipt');
const fixture = receiptFixture(2, 2);

function witness(name: string, n: number): { signer: NoteSigner; key: string } {
  const seed = Buffer.from(Uint8Array.from({ length: 32 }, (_, i) => (i * 5 + n) & 0xff));
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const publicKey = new Uint8Array(Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url'));
  return { signer: cosigner(name, publicKey, (m) => new Uint8Array(sign(null, m, privateKey)), () => 1_767_225_600), key: verifierString(name, COSIGNATURE_V1, publicKey) };
}

const [W1, W2, W3] = [witness('witness.one', 1), witness('witness.two', 2), witness('witness.three', 3)];

/** The fixture's receipt with its checkpoint cosigned by `witnesses`. */
function cosigned(...witnesses: { signer: NoteSigner }[]): unknown {
  const note = parseNote(fixture.checkpoint);
  if (!note.ok) throw new Error(note.reason);
  return { ...fixture.receipts[1]!, checkpoint: signNote(note.value.text, witnesses.map((w) => w.signer), note.value.signatures) };
}

const label = (key: string) => key.split('+').slice(0, 2).join('+');

test('cosigned by every witness given: ok, each named', async () => {
  const r = await verifyReceipt(cosigned(W1, W2), { trustedKeys: [fixture.verifierKey], witnessKeys: [W1.key, W2.key] });
  assert.is(r.ok, true, r.problems.join('; '));
  assert.equal(r.witnessedBy, [label(W1.key), label(W2.key)]);
});

test('fewer than required fails, naming who did cosign; a lower threshold passes', async () => {
  const receipt = cosigned(W1);
  const all = await verifyReceipt(receipt, { trustedKeys: [fixture.verifierKey], witnessKeys: [W1.key, W2.key] });
  assert.is(all.ok, false);
  assert.equal(all.problems, [`checkpoint cosigned by 1 of the 2 witness key(s) given (${label(W1.key)}), fewer than the 2 required`]);
  const one = await verifyReceipt(receipt, { trustedKeys: [fixture.verifierKey], witnessKeys: [W1.key, W2.key], minWitnesses: 1 });
  assert.is(one.ok, true, one.problems.join('; '));
  assert.equal(one.witnessedBy, [label(W1.key)]);
  const none = await verifyReceipt(fixture.receipts[1], { trustedKeys: [fixture.verifierKey], witnessKeys: [W1.key] });
  assert.equal(none.problems, ['checkpoint cosigned by 0 of the 1 witness key(s) given, fewer than the 1 required']);
});

test('a line by a witness not given is ignored; a bad line by a given witness rejects the receipt', async () => {
  const r = await verifyReceipt(cosigned(W1, W3), { trustedKeys: [fixture.verifierKey], witnessKeys: [W1.key] });
  assert.is(r.ok, true, r.problems.join('; '));
  assert.equal(r.witnessedBy, [label(W1.key)]);
  // W1's line with one signature byte flipped.
  const receipt = cosigned(W1) as { checkpoint: string };
  const lines = receipt.checkpoint.trimEnd().split('\n');
  const last = lines.at(-1)!;
  const [prefix, b64] = [last.slice(0, last.lastIndexOf(' ') + 1), last.slice(last.lastIndexOf(' ') + 1)];
  const bytes = Buffer.from(b64, 'base64');
  bytes[bytes.length - 1]! ^= 1;
  const bad = { ...receipt, checkpoint: [...lines.slice(0, -1), prefix + bytes.toString('base64')].join('\n') + '\n' };
  const rejected = await verifyReceipt(bad, { trustedKeys: [fixture.verifierKey], witnessKeys: [W1.key], minWitnesses: 0 });
  assert.is(rejected.ok, false);
  assert.equal(rejected.problems, [`witness cosignature: invalid signature by ${label(W1.key)}`]);
  // Without witness keys the same receipt verifies: the line is one no key given knows.
  assert.is((await verifyReceipt(bad, { trustedKeys: [fixture.verifierKey] })).ok, true);
});

test('witness keys that are not verifier keys, or a threshold above their number, are refused', () => {
  assert.throws(() => new ReceiptVerifier({ witnessKeys: ['nonsense'] }), /witness key is not a verifier key/);
  assert.throws(() => new ReceiptVerifier({ witnessKeys: [W1.key], minWitnesses: 2 }), /minWitnesses must be a whole number from 0 to the 1/);
});

test.run();
