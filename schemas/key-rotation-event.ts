// The signing keys' history as sealed events: each rotation is `ledger.key.rotated` on `_system/keys`,
// signed by the OUTGOING key and naming the incoming one, so the keys form a chain from a first key an
// operator pins out of band (COMPANYOS_TRUSTED_KEYS). One stream for the whole log, not one per tenant:
// the key signs every tenant's events, and a tenant created after a rotation must still reach its key
// from the pinned one. The stream's tenant is SYSTEM_TENANT, which no real tenant can be.
import * as t from 'io-ts';
import { patternString, SYSTEM_TENANT, Timestamp } from './primitives.js';
import { eventCodec } from './event-body.js';

export const KEY_ROTATED_EVENT_TYPE = 'ledger.key.rotated';

/** The stream of the signing keys' rotations. */
export const KEYS_STREAM = `${SYSTEM_TENANT}/keys`;

/** Standard padded base64 of exactly 32 bytes (a raw Ed25519 public key). */
export const Base64PublicKey = patternString('Base64PublicKey (standard base64 of 32 bytes)', /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/);

/** A log position as decimal text (positions are 64-bit). */
export const PositionText = patternString('PositionText (a log position, 0-9223372036854775807)', /^(0|[1-9][0-9]{0,18})$/);

export const KeyRotatedData = t.readonly(
  t.exact(
    t.type({
      /** The outgoing key: it signs this event, its private part is destroyed. */
      retiredKeyId: t.string,
      retiredPublicKey: Base64PublicKey,
      /** The incoming key: valid from the next position on. */
      nextKeyId: t.string,
      nextPublicKey: Base64PublicKey,
      /**
       * The last position committed when the outgoing key stopped sealing: it verifies events at positions up to this one
       * (and this event) and nothing after. Sealed, unlike the event's own position.
       */
      finalPosition: PositionText,
      retiredAt: Timestamp,
    }),
  ),
  'KeyRotatedData',
);
export type KeyRotatedData = t.TypeOf<typeof KeyRotatedData>;

export const KeyRotatedEvent = eventCodec(KEY_ROTATED_EVENT_TYPE, 1, KeyRotatedData);
export type KeyRotatedEvent = t.TypeOf<typeof KeyRotatedEvent>;
