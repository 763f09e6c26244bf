// Signed notes, checkpoints and cosignatures: the reference example of Go's golang.org/x/mod/sumdb/note
// byte for byte, the opening rules of c2sp.org/signed-note, strict parsing, and tlog-cosignature v1.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import nacl from 'tweetnacl';
import { fromBase64, toBase64 } from './bytes.js';
import { formatCheckpoint, openCheckpoint, parseCheckpoint } from './checkpoint-note.js';
import { COSIGNATURE_V1, cosignatureTime, cosignatureVerifier, cosignedMessage, cosigner } from './cosignature.js';
import {
  ED25519_NOTE,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  openNote,
  parseNote,
  parseVerifierString,
  signNote,
  verifierString,
} from './signed-note.js';

const test = suite('ledger/signed-note');

// golang.org/x/mod/sumdb/note, note_test.go: the PeterNeumann key and note.
const VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const SEED = fromBase64('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz')!.slice(1);
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const NOTE = TEXT + '\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';

const peter = nacl.sign.keyPair.fromSeed(SEED);
const peterSigner = ed25519NoteSigner('PeterNeumann', peter.publicKey, (m) => nacl.sign.detached(m, peter.secretKey));
const peterVerifier = ed25519NoteVerifier('PeterNeumann', peter.publicKey);

const other = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(9));
const otherSigner = ed25519NoteSigner('example.com/other', other.publicKey, (m) => nacl.sign.detached(m, other.secretKey));

test('key id, verifier string and signature equal Go reference output byte for byte', async () => {
  assert.is(verifierString('PeterNeumann', ED25519_NOTE, peter.publicKey), VKEY);
  assert.is(peterVerifier.keyId, 0xc74f20a3);
  assert.is(signNote(TEXT, [peterSigner]), NOTE);
  const opened = await openNote(NOTE, [peterVerifier]);
  assert.ok(opened.ok);
  if (opened.ok) assert.is(opened.value.text, TEXT);
});

test('verifier strings parse only when the id matches the name and key', () => {
  const parsed = parseVerifierString(VKEY);
  assert.ok(parsed.ok);
  if (parsed.ok) {
    assert.is(parsed.value.name, 'PeterNeumann');
    assert.is(parsed.value.type, ED25519_NOTE);
    assert.equal(parsed.value.publicKey, peter.publicKey);
  }
  for (const bad of [
    'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    'PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    'PeterNeumann+c74f20a3',
    'PeterNeumann+c74f20a3+',
    'PeterNeumann++ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T',
    'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
  ]) {
    assert.not.ok(parseVerifierString(bad).ok, bad);
  }
});

test('a verifier string whose base64 holds a + parses', () => {
  // The first seeds whose key encodes with a '+': the name and id end at the first two.
  let found = 0;
  for (let b = 0; b < 64 && found < 3; b++) {
    const key = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(b)).publicKey;
    const vkey = verifierString('example.com/log', ED25519_NOTE, key);
    if (vkey.split('+').length <= 3) continue;
    found++;
    const parsed = parseVerifierString(vkey);
    assert.ok(parsed.ok && parsed.value.name === 'example.com/log', vkey);
    if (parsed.ok) assert.equal(parsed.value.publicKey, key);
  }
  assert.is(found, 3);
});

test('opening: a changed text fails, unknown signatures are kept but not trusted, no known signature fails', async () => {
  const changed = await openNote(NOTE.replace('cryptography', 'cryptographY'), [peterVerifier]);
  assert.not.ok(changed.ok);
  if (!changed.ok) assert.match(changed.reason, /invalid signature by PeterNeumann\+c74f20a3/);

  const both = signNote(TEXT, [peterSigner, otherSigner]);
  const opened = await openNote(both, [peterVerifier]);
  assert.ok(opened.ok);
  if (opened.ok) {
    assert.equal(opened.value.verified.map((s) => s.name), ['PeterNeumann']);
    assert.equal(opened.value.unverified.map((s) => s.name), ['example.com/other']);
  }
  const onlyOther = await openNote(signNote(TEXT, [otherSigner]), [peterVerifier]);
  assert.not.ok(onlyOther.ok);
  if (!onlyOther.ok) assert.match(onlyOther.reason, /no signature by a known key/);

  // Same name, other key (so another id): an unknown key, ignored rather than failed.
  const impostor = ed25519NoteSigner('PeterNeumann', other.publicKey, (m) => nacl.sign.detached(m, other.secretKey));
  const withImpostor = await openNote(signNote(TEXT, [impostor, peterSigner]), [peterVerifier]);
  assert.ok(withImpostor.ok);
  if (withImpostor.ok) assert.is(withImpostor.value.unverified.length, 1);

  const twice = NOTE + NOTE.slice(TEXT.length + 1);
  const repeated = await openNote(twice, [peterVerifier]);
  assert.not.ok(repeated.ok);
});

test('strict parsing: every malformed spelling is refused', () => {
  const sig = NOTE.slice(TEXT.length + 1);
  const malformed = [
    TEXT + sig, // no blank line
    TEXT + '\n', // no signatures
    NOTE.slice(0, -1), // no final newline
    TEXT + '\n' + sig.replace('— ', '-- '),
    TEXT + '\n' + sig.replace('— ', '—'),
    TEXT + '\n' + sig.replace('PeterNeumann ', 'Peter+Neumann '),
    TEXT + '\n' + sig.replace('AM=', 'AN='), // non-canonical base64
    TEXT + '\n' + sig.replace('x08go/', 'x08go_'),
    TEXT + '\n— PeterNeumann AAAA\n', // shorter than a key id and one byte
    'tab\there\n\n' + sig,
    'carriage\r\n\n' + sig,
    'lone \ud800 surrogate\n\n' + sig,
    TEXT + '\n' + sig.repeat(101),
  ];
  for (const m of malformed) assert.not.ok(parseNote(m).ok, JSON.stringify(m.slice(0, 80)));
  assert.not.ok(parseNote(new Uint8Array([0x61, 0xff, 0x0a, 0x0a])).ok, 'invalid UTF-8 bytes');
  assert.ok(parseNote(new TextEncoder().encode(NOTE)).ok);
  // A text may hold blank lines: the last blank line separates the signatures.
  assert.ok(parseNote('a\n\nb\n\n' + sig).ok);
  assert.throws(() => signNote('no newline', [peterSigner]), /newline/);
});

const logKey = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(3));
const origin = 'ledger.example.com/acme';
const logSigner = ed25519NoteSigner(origin, logKey.publicKey, (m) => nacl.sign.detached(m, logKey.secretKey));
const logVerifier = ed25519NoteVerifier(origin, logKey.publicKey);
const root = new Uint8Array(32).map((_, i) => i);

test('checkpoint: body format, strict parsing, signed and opened with its origin', async () => {
  const body = formatCheckpoint({ origin, size: 20852163, root, extensions: [] });
  assert.is(body, `${origin}\n20852163\n${toBase64(root)}\n`);
  const parsed = parseCheckpoint(body);
  assert.ok(parsed.ok);
  if (parsed.ok) assert.equal(parsed.value, { origin, size: 20852163, root, extensions: [] });
  for (const bad of [
    `${origin}\n020\n${toBase64(root)}\n`,
    `${origin}\n-1\n${toBase64(root)}\n`,
    `${origin}\n1\n${toBase64(root.subarray(1))}\n`,
    `${origin}\n1\n${toBase64(root)}`,
    `\n1\n${toBase64(root)}\n`,
    `${origin}\n1\n`,
    `${origin}\n1\n${toBase64(root)}\n\n`,
    `${origin}\n99999999999999999999\n${toBase64(root)}\n`,
  ]) {
    assert.not.ok(parseCheckpoint(bad).ok, JSON.stringify(bad));
  }
  const withExtension = parseCheckpoint(`${origin}\n0\n${toBase64(root)}\nextension\n`);
  assert.ok(withExtension.ok && withExtension.value.extensions[0] === 'extension', 'extension lines are kept');

  const note = signNote(body, [logSigner]);
  const opened = await openCheckpoint(note, [logVerifier], origin);
  assert.ok(opened.ok);
  if (opened.ok) assert.is(opened.value.checkpoint.size, 20852163);
  const elsewhere = await openCheckpoint(note, [logVerifier], 'ledger.example.com/other');
  assert.not.ok(elsewhere.ok);
});

const witnessKey = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(5));
const witnessName = 'witness.example.com/w1';

test('cosignature v1: its own key id, the timestamped message, verified as one more note signature', async () => {
  const body = formatCheckpoint({ origin, size: 5, root, extensions: [] });
  assert.is(
    new TextDecoder().decode(cosignedMessage(body, 1679315147)),
    `cosignature/v1\ntime 1679315147\n${origin}\n5\n${toBase64(root)}\n`,
  );
  const witness = cosigner(witnessName, witnessKey.publicKey, (m) => nacl.sign.detached(m, witnessKey.secretKey), () => 1679315147);
  const witnessVerifier = cosignatureVerifier(witnessName, witnessKey.publicKey);
  assert.is.not(witness.keyId, ed25519NoteVerifier(witnessName, witnessKey.publicKey).keyId, 'type 0x04 gives another id');
  const vkey = verifierString(witnessName, COSIGNATURE_V1, witnessKey.publicKey);
  const parsed = parseVerifierString(vkey);
  assert.ok(parsed.ok && parsed.value.type === COSIGNATURE_V1 && parsed.value.keyId === witness.keyId);

  const logNote = signNote(body, [logSigner]);
  const first = parseNote(logNote);
  assert.ok(first.ok);
  const cosigned = signNote(body, [witness], first.ok ? first.value.signatures : []);
  const opened = await openNote(cosigned, [logVerifier, witnessVerifier]);
  assert.ok(opened.ok);
  if (opened.ok) {
    assert.is(opened.value.verified.length, 2);
    const line = opened.value.verified.find((s) => s.name === witnessName)!;
    assert.is(line.signature.length, 72);
    assert.is(cosignatureTime(line.signature), 1679315147);
  }
  // The log's verifier alone still opens it (the cosignature is an unknown key to it).
  assert.ok((await openNote(cosigned, [logVerifier])).ok);
  // A cosignature with its time changed no longer verifies.
  const parsedCosigned = parseNote(cosigned);
  assert.ok(parsedCosigned.ok);
  if (parsedCosigned.ok) {
    const [log, wit] = parsedCosigned.value.signatures as [(typeof parsedCosigned.value.signatures)[number], (typeof parsedCosigned.value.signatures)[number]];
    const shifted = wit.signature.slice();
    shifted[7]! ^= 1;
    const tampered = signNote(body, [], [log, { ...wit, signature: shifted }]);
    const result = await openNote(tampered, [logVerifier, witnessVerifier]);
    assert.not.ok(result.ok);
  }
});

test.run();
