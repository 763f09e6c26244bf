// The offline verifier on receipts made by the real sealing code: every part of a receipt that can be
// forged is caught, pinned keys decide trust, streams and both proof kinds verify; and the module bundles
// for a browser with no Node import, under 30 KB gzipped.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { isRight } from 'fp-ts/lib/Either.js';
import nacl from 'tweetnacl';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Receipt } from '../schemas/receipt.js';
import { receiptFixture } from '../test/receipt-fixtures.js';
import { OTHER_TEST_SEED, testSigningKey } from '../test/test-events.js';
import { toBase64 } from './bytes.js';
import { assembleProof, consistencyProofPlan, CompactRange, leafHash, rootOf, rootPlan } from './merkle.js';
import {
  EVENT_SIGNING_DOMAIN,
  eventHashOf,
  openCheckpointNote,
  verifyCheckpointStep,
  verifyConsistencyProof,
  verifyInclusionProof,
  verifyReceipt,
  verifyReceipts,
  verifySealedEvent,
  verifyStream,
} from './offline-verifier.js';
import { SIGNING_DOMAIN } from './seal.js';

const test = suite('ledger/offline-verifier');
const fixture = receiptFixture(3, 4);
const eventKeys = fixture.receipts[0]!.keys.events;
const pinned = { trustedKeys: [fixture.verifierKey] };

test('the receipt shape of schemas/receipt.ts, and the server signing domain', () => {
  for (const r of fixture.receipts) assert.ok(isRight(Receipt.decode(r)));
  assert.is(EVENT_SIGNING_DOMAIN, SIGNING_DOMAIN);
  assert.is(eventHashOf(fixture.events[0]!), fixture.events[0]!.hash);
});

test('every receipt verifies against the pinned log key (verifier string or raw key) and unpinned', async () => {
  for (const r of fixture.receipts) {
    const report = await verifyReceipt(r, pinned);
    assert.equal(report.problems, [], `leaf ${r.leafIndex}`);
    assert.ok(report.ok && report.pinned && report.eventKeyPinned);
    assert.is(report.origin, 'ledger.test/acme');
  }
  const raw = await verifyReceipt(fixture.receipts[3], { trustedKeys: [toBase64(fixture.key.publicKey)] });
  assert.ok(raw.ok && raw.pinned);
  const byId = await verifyReceipt(fixture.receipts[3], { trustedKeys: [fixture.key.keyId] });
  assert.ok(byId.ok && byId.pinned && byId.eventKeyPinned, 'a key id pins too');
  const otherId = await verifyReceipt(fixture.receipts[3], { trustedKeys: [testSigningKey(OTHER_TEST_SEED).keyId] });
  assert.not.ok(otherId.ok);
  const unpinned = await verifyReceipt(fixture.receipts[3]);
  assert.ok(unpinned.ok);
  assert.not.ok(unpinned.pinned, 'keys from the receipt itself are reported as not pinned');
});

const forge = (patch: (r: Receipt) => unknown, at = 5) => verifyReceipt(patch(structuredClone(fixture.receipts[at]!) as Receipt), pinned);
const problemsOf = async (patch: (r: Receipt) => unknown, at?: number) => (await forge(patch, at)).problems.join('; ');

test('each forged part of a receipt is caught and named', async () => {
  assert.match(await problemsOf((r) => ({ ...r, event: { ...r.event, data: { forged: true } } })), /hash mismatch/);
  assert.match(await problemsOf((r) => ({ ...r, event: { ...r.event, position: '17' } })), /position/);
  const sig = Buffer.from(fixture.receipts[5]!.event.signature, 'base64');
  sig[10]! ^= 1;
  assert.match(await problemsOf((r) => ({ ...r, event: { ...r.event, signature: sig.toString('base64') } })), /signature invalid/);
  assert.match(await problemsOf((r) => ({ ...r, leafIndex: 6 })), /not leaf 6/);
  assert.match(await problemsOf((r) => ({ ...r, hashes: [...r.hashes].reverse() })), /inclusion proof/);
  assert.match(await problemsOf((r) => ({ ...r, hashes: r.hashes.slice(1) })), /inclusion proof/);
  // Another event's receipt body with this event: the proof does not lead to the root.
  assert.match(await problemsOf((r) => ({ ...r, event: fixture.events[4] })), /not leaf 5/);
  assert.match(await problemsOf((r) => ({ ...r, checkpoint: r.checkpoint.replace('\n12\n', '\n13\n') })), /invalid signature/);
  assert.match(await problemsOf((r) => ({ ...r, treeSize: 13 })), /size 12, the proof at 13/);
  assert.match(await problemsOf((r) => ({ ...r, event: { ...r.event, tenant: 'other' } })), /hash mismatch/);
  assert.match(await problemsOf((r) => ({ ...r, keys: { ...r.keys, events: [] } })), /a key not given/);
  const relabelled = { keyId: fixture.key.keyId, publicKey: toBase64(testSigningKey(OTHER_TEST_SEED).publicKey) };
  assert.match(await problemsOf((r) => ({ ...r, keys: { ...r.keys, events: [relabelled] } })), /id does not match the key/);
  assert.match(await problemsOf(() => 'not a receipt'), /not a JSON object/);
});

test('a receipt re-signed by another key is refused when the log key is pinned, and says so', async () => {
  const intruder = receiptFixture(3, 4, testSigningKey(OTHER_TEST_SEED));
  const selfConsistent = await verifyReceipt(intruder.receipts[2]);
  assert.ok(selfConsistent.ok && !selfConsistent.pinned, 'consistent with its own keys, but not pinned');
  const report = await verifyReceipt(intruder.receipts[2], pinned);
  assert.not.ok(report.ok);
  assert.match(report.problems.join('; '), /checkpoint: no signature by a known key.*pinned/);
  // The pinned key is in the list, but the receipt's checkpoint is signed only by the intruder.
  const mixed = { ...intruder.receipts[2]!, keys: { ...intruder.receipts[2]!.keys, checkpoint: [fixture.verifierKey, intruder.verifierKey] } };
  assert.not.ok((await verifyReceipt(mixed, pinned)).ok);
});

test('a bundle of receipts verifies in one pass; one forged receipt is singled out', async () => {
  const bundle = fixture.receipts.map((r) => structuredClone(r) as Receipt);
  (bundle[7] as { leafIndex: number }).leafIndex = 8;
  const reports = await verifyReceipts(bundle, pinned);
  assert.equal(reports.map((r) => r.ok), bundle.map((_, i) => i !== 7));
});

test('a bundle opens each distinct checkpoint note once; another note, a forged note, a forged event in it are each still checked', async () => {
  const grown = receiptFixture(3, 5); // same log, a later checkpoint (size 15): another note
  const forgedNote = structuredClone(fixture.receipts[1]!) as Receipt;
  (forgedNote as { checkpoint: string }).checkpoint = forgedNote.checkpoint.replace('\n12\n', '\n13\n');
  const forgedEvent = structuredClone(grown.receipts[2]!) as Receipt;
  const sig = Buffer.from(forgedEvent.event.signature, 'base64');
  sig[40]! ^= 1;
  (forgedEvent.event as { signature: string }).signature = sig.toString('base64');
  const bundle = [...fixture.receipts, ...grown.receipts, forgedNote, forgedEvent];
  await verifyReceipt(fixture.receipts[0], pinned); // Web Crypto chosen and the key imported before counting
  // Calls counted by what they verify (the whole test suite shares one process): each event's signed message,
  // each note's signed text.
  const hex = (b: unknown) => Buffer.from(ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b as ArrayBuffer)).toString('hex');
  const eventMessages = new Set(bundle.map((r) => Buffer.concat([Buffer.from(`${EVENT_SIGNING_DOMAIN}\0`), Buffer.from(r.event.hash, 'hex')]).toString('hex')));
  const noteTexts = new Set(bundle.map((r) => Buffer.from(r.checkpoint.slice(0, r.checkpoint.indexOf('\n\n') + 1)).toString('hex')));
  assert.is(noteTexts.size, 3);
  const subtle = globalThis.crypto.subtle;
  const original = subtle.verify;
  let eventCalls = 0;
  let noteCalls = 0;
  type Verify = typeof original;
  subtle.verify = function (this: typeof subtle, ...args: Parameters<Verify>) {
    const message = hex(args[3]);
    if (eventMessages.has(message)) eventCalls++;
    if (noteTexts.has(message)) noteCalls++;
    return original.apply(this, args);
  } as Verify;
  let reports;
  try {
    reports = await verifyReceipts(bundle, pinned);
  } finally {
    subtle.verify = original;
  }
  assert.equal(reports.map((r) => r.ok), bundle.map((r) => r !== forgedNote && r !== forgedEvent));
  assert.match(reports.at(-2)!.problems.join('; '), /checkpoint: invalid signature/);
  assert.match(reports.at(-1)!.problems.join('; '), /event: signature invalid/);
  assert.equal(reports.map((r) => r.treeSize), bundle.map((r) => r.treeSize));
  // One event signature per receipt, and one note signature per distinct note: 12, 15 and the forged one.
  assert.is(eventCalls, bundle.length);
  assert.is(noteCalls, 3);
});

test('streams: a chain verifies; a removed, reordered or re-linked event is named', async () => {
  const stream = fixture.events.filter((e) => e.stream === 'acme/graph.node/n1');
  assert.equal((await verifyStream(stream, eventKeys)).failures, []);
  const dropped = [stream[0], stream[2], stream[3]];
  assert.match((await verifyStream(dropped, eventKeys)).failures[0]?.reason ?? '', /revision 2, expected 1/);
  const swapped = [stream[0], stream[2], stream[1], stream[3]];
  assert.ok((await verifyStream(swapped, eventKeys)).failures.length >= 2);
  const other = fixture.events.find((e) => e.stream !== 'acme/graph.node/n1' && e.revision === 1);
  assert.match((await verifyStream([stream[0], other], eventKeys)).failures[0]?.reason ?? '', /stream/);
  assert.is(await verifySealedEvent(stream[1], eventKeys), null);
});

test('checkpoint notes and both proof kinds as the API serves them', async () => {
  const opened = await openCheckpointNote(fixture.checkpoint, [fixture.verifierKey], 'ledger.test/acme');
  assert.ok(opened.ok);
  if (!opened.ok) return;
  assert.equal(opened.value.signedBy, [fixture.verifierKey.split('+').slice(0, 2).join('+')]);
  const r = fixture.receipts[9]!;
  const leaf = toBase64(leafHash(Buffer.from(r.event.hash, 'hex')));
  assert.ok(verifyInclusionProof({ leafIndex: 9, treeSize: 12, leafHash: leaf, hashes: r.hashes }, opened.value.checkpoint.root));
  assert.not.ok(verifyInclusionProof({ leafIndex: 8, treeSize: 12, leafHash: leaf, hashes: r.hashes }, opened.value.checkpoint.root));

  const earlier = new CompactRange();
  for (const e of fixture.events.slice(0, 5)) earlier.append(leafHash(Buffer.from(e.hash, 'hex')));
  const plan = consistencyProofPlan(5, 12);
  const hashes = assembleProof(plan, plan.nodes.map(fixture.lookup)).map(toBase64);
  assert.ok(verifyConsistencyProof({ from: 5, to: 12, hashes }, earlier.root(), fixture.root));
  assert.not.ok(verifyConsistencyProof({ from: 5, to: 12, hashes }, fixture.root, fixture.root));
  const unknown = await openCheckpointNote(fixture.checkpoint, [verifierOfOtherKey()]);
  assert.not.ok(unknown.ok);
});

test('a checkpoint step: consistent growth passes; a rewrite, a rollback or another log is named', async () => {
  const older = fixture.signCheckpoint(5, rootOf(rootPlan(5).map(fixture.lookup)));
  const plan = consistencyProofPlan(5, 12);
  const hashes = assembleProof(plan, plan.nodes.map(fixture.lookup)).map(toBase64);
  const keys = [fixture.verifierKey];
  const step = await verifyCheckpointStep(older, fixture.checkpoint, hashes, keys);
  assert.ok(step.ok);
  if (step.ok) assert.equal(step.value, { from: 5, to: 12, origin: 'ledger.test/acme' });
  // The same key signed a size-5 tree whose first leaf differs: a fork.
  const forked = fixture.signCheckpoint(5, rootOf([leafHash(new Uint8Array(32)), ...rootPlan(5).slice(1).map(fixture.lookup)]));
  const fork = await verifyCheckpointStep(forked, fixture.checkpoint, hashes, keys);
  assert.not.ok(fork.ok);
  if (!fork.ok) assert.match(fork.reason, /sizes 5 and 12 disagree/);
  const back = await verifyCheckpointStep(fixture.checkpoint, older, [], keys);
  assert.not.ok(back.ok);
  if (!back.ok) assert.match(back.reason, /went back: size 5 after size 12/);
  const other = receiptFixture(3, 4, testSigningKey(OTHER_TEST_SEED));
  const foreign = await verifyCheckpointStep(older, other.checkpoint, hashes, keys);
  assert.not.ok(foreign.ok);
  if (!foreign.ok) assert.match(foreign.reason, /newer checkpoint: no signature by a known key/);
});

function verifierOfOtherKey(): string {
  const other = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(1));
  return receiptFixture(1, 1, testSigningKey(other.secretKey.slice(0, 32))).verifierKey;
}

test('bundles for a browser: no Node import, under 30 KB gzipped, and the bundle alone verifies a receipt', async () => {
  const result = await build({
    entryPoints: [resolve(import.meta.dirname, 'offline-verifier.ts')],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.not.ok(inputs.some((i) => i.startsWith('node:') || /(^|\/)(buffer|crypto|fs|path)$/.test(i)), inputs.join(', '));
  const code = result.outputFiles[0]!.contents;
  assert.not.ok(new TextDecoder().decode(code).includes('require("crypto")'), 'tweetnacl must not reach for Node crypto');
  const gzipped = gzipSync(code).length;
  assert.ok(gzipped < 30 * 1024, `bundle is ${gzipped} bytes gzipped`);
  console.log(`  offline verifier bundle: ${code.length} bytes minified, ${gzipped} gzipped; inputs: ${inputs.length}`);
  // The bundle alone (no tsx, no project files) verifies a receipt and refuses a forged one.
  const dir = mkdtempSync(join(tmpdir(), 'companyos-offline-verifier-'));
  try {
    const file = join(dir, 'offline-verifier.mjs');
    writeFileSync(file, code);
    const bundled = (await import(pathToFileURL(file).href)) as typeof import('./offline-verifier.js');
    assert.ok((await bundled.verifyReceipt(fixture.receipts[1], pinned)).ok);
    const forged = { ...fixture.receipts[1]!, leafIndex: 2 };
    assert.not.ok((await bundled.verifyReceipt(forged, pinned)).ok);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
