// The sealed checkpoint: each signed tenant checkpoint (c2sp.org/tlog-checkpoint in a c2sp.org/signed-note)
// is also appended to the tenant's log as `ledger.checkpoint.signed` on `<tenant>/ledger`, so the log
// carries its own history of heads, and the tree read model lists checkpoints from the log alone.
import * as t from 'io-ts';
import { patternString } from './primitives.js';
import { eventCodec } from './event-body.js';

export const CHECKPOINT_EVENT_TYPE = 'ledger.checkpoint.signed';

/** Standard base64 of 32 bytes (a SHA-256 root hash). */
export const Base64Hash = patternString('Base64Hash (standard base64 of 32 bytes)', /^[A-Za-z0-9+/]{43}=$/);

/** A tree size: a non-negative safe integer (2^53 leaves is beyond any tenant). */
export const TreeSize = new t.Type<number, number, unknown>(
  'TreeSize (a non-negative integer)',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/**
 * What the checkpoint event holds: the note as signed (the bytes a verifier checks), and the fields of its
 * body repeated for queries. The note is the authority; the tree projection checks they agree.
 */
export const CheckpointSignedData = t.readonly(
  t.exact(
    t.type({
      /** `<COMPANYOS_LOG_ORIGIN>/<tenant>`. */
      origin: t.string,
      treeSize: TreeSize,
      /** Root hash at treeSize, standard base64 (as in the note's body). */
      rootHash: Base64Hash,
      /** The whole signed note: body, blank line, signature lines. */
      note: t.string,
      /** The event-signing key id of the key that signed the note (ledger/keyring.ts keyIdOf). */
      keyId: t.string,
    }),
  ),
  'CheckpointSignedData',
);
export type CheckpointSignedData = t.TypeOf<typeof CheckpointSignedData>;

export const CheckpointSignedEvent = eventCodec(CHECKPOINT_EVENT_TYPE, 1, CheckpointSignedData);
export type CheckpointSignedEvent = t.TypeOf<typeof CheckpointSignedEvent>;
