// Event and chain verification: every tampering case must be named at the exact event that was altered.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RecordedEvent } from '../schemas/log-record.js';
import type { SealedEvent } from '../schemas/sealed-event.js';
import {
  ChainVerifier,
  eventHash,
  Keyring,
  publicKeyEntry,
  sealEvent,
  signingKeyFromSeed,
  verifyChain,
  verifyEvent,
  type ChainReport,
} from './index.js';
import { makeChain, makeUnsealed, OTHER_TEST_SEED, TEST_SEED, testSigningKey, toRecorded } from '../test/test-events.js';

const key = testSigningKey();
const keyring = new Keyring([], key);
const intruder = testSigningKey(OTHER_TEST_SEED);

/** `e` with fields replaced, keeping its (now stale) seal. */
const tampered = (e: SealedEvent, fields: Partial<SealedEvent>): SealedEvent => ({ ...e, ...fields });
/** `e` re-hashed and re-signed by `k`: a valid seal, by whoever holds k. */
const resealed = (e: SealedEvent, k = key): SealedEvent => {
  const { hash: _h, keyId: _k, signature: _s, ...body } = e;
  return sealEvent(body, k);
};

const ev = suite('ledger/verify: verifyEvent');

ev('a sealed event verifies', () => {
  assert.is(verifyEvent(sealEvent(makeUnsealed(), key), keyring), null);
});

ev('changed payload, meta or envelope: hash mismatch', () => {
  const e = sealEvent(makeUnsealed(), key);
  const reason = 'hash mismatch: payload or envelope altered';
  assert.is(verifyEvent(tampered(e, { data: { name: 'Gadget', tags: ['a', 'b'], weight: 1.5 } }), keyring), reason);
  assert.is(verifyEvent(tampered(e, { meta: { ...e.meta, reason: 'forged' } }), keyring), reason);
  assert.is(verifyEvent(tampered(e, { meta: { ...e.meta, actor: { ...e.meta.actor, id: 'admin' } } }), keyring), reason);
  assert.is(verifyEvent(tampered(e, { tenant: 'other' }), keyring), reason);
  assert.is(verifyEvent({ ...e, extra: true } as SealedEvent, keyring), reason);
});

ev('changed hash field: hash mismatch', () => {
  const e = sealEvent(makeUnsealed(), key);
  const other = eventHash(makeUnsealed({ revision: 5 }));
  assert.is(verifyEvent(tampered(e, { hash: other }), keyring), 'hash mismatch: payload or envelope altered');
});

ev('changed signature: signature invalid', () => {
  const e = sealEvent(makeUnsealed(), key);
  const sig = Buffer.from(e.signature, 'base64');
  sig[0]! ^= 1;
  assert.is(verifyEvent(tampered(e, { signature: sig.toString('base64') }), keyring), 'signature invalid');
  assert.is(verifyEvent(tampered(e, { signature: e.signature.slice(0, -2) }), keyring), 'signature invalid');
  // Same bytes, non-canonical spelling (different unused trailing bits): still rejected.
  const last = e.signature.at(-3)!;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const respelled = e.signature.slice(0, -3) + alphabet[alphabet.indexOf(last) + 1] + '==';
  assert.is(Buffer.compare(Buffer.from(respelled, 'base64'), Buffer.from(e.signature, 'base64')), 0);
  assert.is(verifyEvent(tampered(e, { signature: respelled }), keyring), 'signature invalid');
});

ev('another key signature under our key id: signature invalid', () => {
  const e = resealed(tampered(sealEvent(makeUnsealed(), key), { data: { forged: true } }), intruder);
  assert.is(verifyEvent({ ...e, keyId: key.keyId }, keyring), 'signature invalid');
});

ev('valid signature by a key outside the keyring: unknown signing key', () => {
  const e = resealed(sealEvent(makeUnsealed(), key), intruder);
  assert.is(verifyEvent(e, keyring), `unknown signing key ${intruder.keyId}`);
});

ev('retired key verifies events sealed before notAfter, rejects ones sealed after', () => {
  const oldKey = signingKeyFromSeed(OTHER_TEST_SEED, '2024-01-01T00:00:00Z');
  const ring = new Keyring([publicKeyEntry(oldKey.publicKey, '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z')], key);
  const before = sealEvent(makeUnsealed({ sealedAt: '2024-12-31T23:59:59Z' }), oldKey);
  assert.is(verifyEvent(before, ring), null);
  // The key still signs (e.g. stolen after retirement), but the keyring says it was retired.
  const after = sealEvent(makeUnsealed({ sealedAt: '2025-01-01T00:00:00Z' }), oldKey);
  assert.is(verifyEvent(after, ring), 'signed outside key validity window');
  const early = sealEvent(makeUnsealed({ sealedAt: '2026-01-01T00:00:00Z' }), signingKeyFromSeed(TEST_SEED, '2025-01-01T00:00:00Z'));
  const lateRing = new Keyring([publicKeyEntry(key.publicKey, '2026-06-01T00:00:00Z')]);
  assert.is(verifyEvent(early, lateRing), 'signed outside key validity window');
});

ev.run();

const cv = suite('ledger/verify: ChainVerifier');

/** Round-robin interleaving of several streams, positions assigned in feed order. */
function interleave(...streams: RecordedEvent[][]): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  for (let i = 0; streams.some((s) => i < s.length); i++) {
    for (const s of streams) if (i < s.length) out.push({ ...s[i]!, position: BigInt(out.length) });
  }
  return out;
}
const recorded = (events: SealedEvent[]) => events.map((e) => toRecorded(e));
const first = (report: ChainReport) => report.failures[0];

const A = 'acme/graph.node/a';
const B = 'acme/graph.node/b';
const C = 'acme/audit';
const chains = () => ({
  a: recorded(makeChain(A, 6, key, 0)),
  b: recorded(makeChain(B, 3, key, 100)),
  c: recorded(makeChain(C, 5, key, 200)),
});

cv('an intact multi-stream interleaving passes', async () => {
  const { a, b, c } = chains();
  const verifier = new ChainVerifier(keyring);
  await verifier.addAll(
    (async function* () {
      yield* interleave(a, b, c);
    })(),
  );
  assert.equal(verifier.finish(), { eventsChecked: 14, streamsChecked: 3, failures: [] });
});

cv('swapped events (data and metadata exchanged in place) are named at the first swapped revision', () => {
  const { a, b, c } = chains();
  const [x, y] = [a[2]!, a[3]!];
  a[2] = { ...x, data: y.data, metadata: y.metadata };
  a[3] = { ...y, data: x.data, metadata: x.metadata };
  const report = verifyChain(interleave(b, a, c), keyring);
  assert.equal(first(report), { stream: A, revision: 2, eventId: x.id, reason: 'revision mismatch: stored at 2, sealed as 3' });
  assert.ok(report.failures.every((f) => f.stream === A));
});

cv('swapped whole records (ids too) are named at the first swapped revision', () => {
  const { a } = chains();
  const [x, y] = [a[1]!, a[2]!];
  a[1] = { ...y, revision: 1n };
  a[2] = { ...x, revision: 2n };
  assert.equal(first(verifyChain(a, keyring)), { stream: A, revision: 1, eventId: y.id, reason: 'revision mismatch: stored at 1, sealed as 2' });
});

cv('a deleted middle event is named at the event after the gap', () => {
  const { a, b } = chains();
  const after = a[4]!;
  a.splice(3, 1);
  const report = verifyChain(interleave(a, b), keyring);
  assert.equal(report.failures, [{ stream: A, revision: 4, eventId: after.id, reason: 'revision gap: expected 3, found 4' }]);
  assert.is(report.eventsChecked, 8);
});

cv('a deleted middle event with later revisions renumbered is named at the event after the gap', () => {
  const { a } = chains();
  const after = a[4]!;
  const renumbered = [...a.slice(0, 3), ...a.slice(4).map((r) => ({ ...r, revision: r.revision - 1n }))];
  assert.equal(first(verifyChain(renumbered, keyring)), { stream: A, revision: 3, eventId: after.id, reason: 'revision mismatch: stored at 3, sealed as 4' });
});

cv('a deleted first event is a gap at revision 1', () => {
  const { a } = chains();
  assert.equal(first(verifyChain(a.slice(1), keyring)), { stream: A, revision: 1, eventId: a[1]!.id, reason: 'revision gap: expected 0, found 1' });
});

cv('a rewritten event re-signed by a key outside the keyring: unknown key at that event', () => {
  const events = makeChain(A, 5);
  const forged = resealed(tampered(events[2]!, { data: { forged: true } }), intruder);
  events[2] = forged;
  const report = verifyChain(recorded(events), keyring);
  assert.equal(first(report), { stream: A, revision: 2, eventId: forged.id, reason: `unknown signing key ${intruder.keyId}` });
  assert.equal(report.failures[1], { stream: A, revision: 3, eventId: events[3]!.id, reason: 'broken link: prevHash does not match revision 2' });
});

cv('a rewritten chain re-signed by an unknown key is named from the first rewritten event', () => {
  const events = makeChain(A, 4, intruder);
  const report = verifyChain(recorded(events), keyring);
  assert.is(report.failures.length, 4);
  assert.equal(first(report), { stream: A, revision: 0, eventId: events[0]!.id, reason: `unknown signing key ${intruder.keyId}` });
});

cv('changed payload: hash mismatch at that event only', () => {
  const { a, c } = chains();
  a[1] = { ...a[1]!, data: { tampered: 1 } };
  const report = verifyChain(interleave(c, a), keyring);
  assert.equal(report.failures, [{ stream: A, revision: 1, eventId: a[1].id, reason: 'hash mismatch: payload or envelope altered' }]);
});

cv('changed meta (in metadata): hash mismatch at that event', () => {
  const { b } = chains();
  const m = b[2]!.metadata as Record<string, Record<string, unknown>>;
  b[2] = { ...b[2]!, metadata: { ...m, meta: { ...m['meta'], reason: 'forged' } } };
  assert.equal(verifyChain(b, keyring).failures, [{ stream: B, revision: 2, eventId: b[2].id, reason: 'hash mismatch: payload or envelope altered' }]);
});

cv('changed hash field: hash mismatch there, then a broken link after', () => {
  const { a } = chains();
  const m = a[2]!.metadata as Record<string, unknown>;
  a[2] = { ...a[2]!, metadata: { ...m, hash: 'f'.repeat(64) } as never };
  const report = verifyChain(a, keyring);
  assert.equal(report.failures, [
    { stream: A, revision: 2, eventId: a[2].id, reason: 'hash mismatch: payload or envelope altered' },
    { stream: A, revision: 3, eventId: a[3]!.id, reason: 'broken link: prevHash does not match revision 2' },
  ]);
});

cv('changed signature: signature invalid at that event', () => {
  const { c } = chains();
  const m = c[4]!.metadata as Record<string, string>;
  const sig = Buffer.from(m['signature']!, 'base64');
  sig[63]! ^= 0x40;
  c[4] = { ...c[4]!, metadata: { ...m, signature: sig.toString('base64') } };
  assert.equal(verifyChain(c, keyring).failures, [{ stream: C, revision: 4, eventId: c[4].id, reason: 'signature invalid' }]);
});

cv('an event moved to another stream is named there', () => {
  const { a, b } = chains();
  const moved = { ...a[3]!, stream: B, revision: 3n };
  const report = verifyChain([...b, moved], keyring);
  assert.equal(report.failures, [{ stream: B, revision: 3, eventId: moved.id, reason: `stream mismatch: stored in ${B}, sealed for ${A}` }]);
});

cv('a malformed record is named with its field; later events are still checked', () => {
  const { a } = chains();
  const m = a[1]!.metadata as Record<string, Record<string, unknown>>;
  a[1] = { ...a[1]!, metadata: { ...m, meta: { ...m['meta'], confidence: 'high' } } };
  a[3] = { ...a[3]!, data: { tampered: 1 } };
  const report = verifyChain(a, keyring);
  assert.equal(report.failures, [
    { stream: A, revision: 1, eventId: a[1].id, reason: 'malformed: meta.confidence (expected number)' },
    { stream: A, revision: 3, eventId: a[3].id, reason: 'hash mismatch: payload or envelope altered' },
  ]);
});

cv('a revision-0 event must start from the genesis hash', () => {
  const forged = sealEvent(makeUnsealed({ prevHash: 'a'.repeat(64) }), key);
  assert.equal(first(verifyChain([toRecorded(forged)], keyring))?.reason, 'broken link: revision 0 must start from the genesis hash');
});

cv('events of a retired key verify; finish() is a snapshot', () => {
  const oldKey = signingKeyFromSeed(OTHER_TEST_SEED, '2020-01-01T00:00:00Z');
  const ring = new Keyring([publicKeyEntry(oldKey.publicKey, '2020-01-01T00:00:00Z', '2026-01-01T00:00:03Z')], key);
  const events = recorded(makeChain(A, 5, oldKey));
  const verifier = new ChainVerifier(ring);
  for (const r of events.slice(0, 3)) verifier.add(r);
  assert.equal(verifier.finish(), { eventsChecked: 3, streamsChecked: 1, failures: [] });
  for (const r of events.slice(3)) verifier.add(r);
  // Revisions 3 and 4 were sealed at :03 and :04, at or after notAfter.
  assert.equal(
    verifier.finish().failures.map((f) => [f.revision, f.reason]),
    [
      [3, 'signed outside key validity window'],
      [4, 'signed outside key validity window'],
    ],
  );
});

cv.run();
