// A receipt: everything an outsider needs to check, with no access to this system, that one event is in
// its tenant's log: the sealed event, its RFC 6962 inclusion proof, the signed checkpoint (C2SP note) the
// proof leads to, and the public keys involved. ledger/offline-verifier.ts checks one (it reads the same
// shape by hand, so a browser bundle carries no io-ts).
//
// Sealed fields: everything in `event` is covered by its `hash` (SHA-256 over the RFC 8785 form of the event
// without `hash`, `keyId` and `signature`) and its signature: id, stream, revision, type, schemaVersion,
// tenant, region, sealedAt, data, meta, prevHash. What the log adds when it stores or serves an event is
// NOT sealed and must not appear here: `position` (the global log position GET /v1/streams shows) is the
// log's, not the event's; a verifier that hashes an event with `position` in it gets another hash.
import * as t from 'io-ts';
import { patternString } from './primitives.js';
import { SealedEvent } from './sealed-event.js';

/** Standard padded base64 of 32 bytes (a SHA-256 hash or an Ed25519 public key). */
export const Base64Bytes32 = patternString('Base64Bytes32', /^[A-Za-z0-9+/]{43}=$/);

/** A C2SP verifier key: `<name>+<8 hex key id>+<base64(type ‖ key)>`. */
export const NoteVerifierKey = patternString('NoteVerifierKey', /^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+={0,2}$/);

const Size = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'NonNegativeInteger');

/** An event-signing key as a receipt carries it: the id events name, the raw Ed25519 key. */
export const ReceiptEventKey = t.readonly(t.type({ keyId: t.string, publicKey: Base64Bytes32 }), 'ReceiptEventKey');
export type ReceiptEventKey = t.TypeOf<typeof ReceiptEventKey>;

export const Receipt = t.readonly(
  t.type({
    /** The sealed event exactly as sealed (no `position`). */
    event: SealedEvent,
    /** The event's leaf index in its tenant's tree. */
    leafIndex: Size,
    /** The size of the tree the checkpoint commits to; leafIndex < treeSize. */
    treeSize: Size,
    /** RFC 6962 audit path, leaf to root, each hash base64. */
    hashes: t.readonlyArray(Base64Bytes32),
    /** The signed checkpoint note (tlog-checkpoint body, signed-note signatures) at treeSize. */
    checkpoint: t.string,
    keys: t.readonly(
      t.intersection([
        t.type({
          /** Verifier keys of the checkpoint's signers (log key, and any cosigner). */
          checkpoint: t.readonlyArray(NoteVerifierKey),
          /** The key that sealed the event. */
          events: t.readonlyArray(ReceiptEventKey),
        }),
        t.partial({
          /**
           * The log key's sealed rotations (`ledger.key.rotated` on `_system/keys`, oldest first), when it has
           * any: a verifier that pinned the first key reaches the keys that signed this receipt through them.
           */
          rotations: t.readonlyArray(SealedEvent),
        }),
      ]),
    ),
  }),
  'Receipt',
);
export type Receipt = t.TypeOf<typeof Receipt>;
