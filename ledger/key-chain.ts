// Which keys may have signed what: the chain of signing keys from the keys an operator pinned, followed
// through the log's `ledger.key.rotated` events (schemas/key-rotation-event.ts). Each rotation is signed by
// the outgoing key and names the incoming one; the outgoing key then verifies events up to its sealed final
// position only, the incoming one events after it. A key the chain does not reach verifies nothing, whatever
// a keyring file lists; and `sealedAt`, which the signer chooses, decides nothing.
import { isLeft } from 'fp-ts/lib/Either.js';
import { KeyRotatedData } from '../schemas/key-rotation-event.js';
import type { SealedEvent } from '../schemas/sealed-event.js';
import { describeFirstError } from './decode-error.js';
import { Keyring, keyIdOf, publicKeyEntry, type KeyEntry } from './keyring.js';
import { verifyEvent } from './verify.js';

/** A key trusted from the start: pinned out of band (or, with none pinned, the log's first key). */
export interface TrustAnchor {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
}

/** A key the chain reaches, as verification reports it. */
export interface ChainedKey {
  readonly keyId: string;
  /** Pinned (an anchor) rather than introduced by a rotation. */
  readonly pinned: boolean;
  /** Introduced by a rotation: valid for positions after this one. */
  readonly validAfter?: string;
  /** Retired: valid up to this position (and for its own rotation event). */
  readonly finalPosition?: string;
  readonly retiredAt?: string;
}

interface Link {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  readonly pinned: boolean;
  readonly validAfter: bigint | undefined;
  finalPosition: bigint | undefined;
  retiredAt: string | undefined;
  rotationEventId: string | undefined;
}

const EPOCH = '1970-01-01T00:00:00Z';

export class KeyChain {
  readonly #links = new Map<string, Link>();

  constructor(anchors: readonly TrustAnchor[]) {
    for (const a of anchors) {
      if (keyIdOf(a.publicKey) !== a.keyId) throw new Error(`trusted key ${a.keyId} does not match its public key`);
      if (this.#links.has(a.keyId)) continue;
      this.#links.set(a.keyId, link(a.keyId, a.publicKey, true, undefined));
    }
  }

  /**
   * Follows one rotation event (feed them in their stream's order). null when the chain now reaches its
   * incoming key; otherwise why not (the chain is unchanged).
   */
  follow(e: SealedEvent): string | null {
    const decoded = KeyRotatedData.decode(e.data);
    if (isLeft(decoded)) return `malformed key rotation: ${describeFirstError(decoded.left, 'data')}`;
    const r = decoded.right;
    const outgoing = this.#links.get(e.keyId);
    if (outgoing === undefined) return `unknown signing key ${e.keyId}: the key chain from the pinned key(s) does not reach it, so its rotation introduces nothing`;
    if (r.retiredKeyId !== e.keyId) return `key rotation signed by ${e.keyId} retires ${r.retiredKeyId}: only the outgoing key may rotate itself`;
    if (outgoing.finalPosition !== undefined) return `key rotation by ${e.keyId}, already retired at position ${outgoing.finalPosition}`;
    const retiredPublic = Buffer.from(r.retiredPublicKey, 'base64');
    if (Buffer.compare(retiredPublic, outgoing.publicKey) !== 0) return `key rotation names a public key for ${e.keyId} that is not the chain's`;
    const nextPublic = Buffer.from(r.nextPublicKey, 'base64');
    if (keyIdOf(nextPublic) !== r.nextKeyId) return `key rotation: nextKeyId ${r.nextKeyId} does not match nextPublicKey (${keyIdOf(nextPublic)})`;
    if (this.#links.has(r.nextKeyId)) return `key rotation: incoming key ${r.nextKeyId} is already in the chain`;
    const problem = verifyEvent(e, new Keyring([publicKeyEntry(outgoing.publicKey, EPOCH)]));
    if (problem !== null) return problem;
    const finalPosition = BigInt(r.finalPosition);
    outgoing.finalPosition = finalPosition;
    outgoing.retiredAt = r.retiredAt;
    outgoing.rotationEventId = e.id;
    this.#links.set(r.nextKeyId, link(r.nextKeyId, nextPublic, false, finalPosition));
    return null;
  }

  /** null when `keyId` may have signed the event `eventId` stored at `position`; otherwise why it may not. */
  judge(keyId: string, position: bigint, eventId: string): string | null {
    const l = this.#links.get(keyId);
    if (l === undefined) return `unknown signing key ${keyId}: the key chain from the pinned key(s) does not reach it`;
    if (l.validAfter !== undefined && position <= l.validAfter) {
      return `signed by ${keyId} at position ${position}, before the rotation that introduced it (valid after position ${l.validAfter})`;
    }
    if (l.finalPosition !== undefined && position > l.finalPosition && eventId !== l.rotationEventId) {
      return `signed by retired key ${keyId} at position ${position}, beyond its final position ${l.finalPosition} (retired at ${l.retiredAt}): a forgery, whatever its sealedAt says`;
    }
    return null;
  }

  /** The keys the chain reaches, as a verify-only keyring (no time windows: positions decide). */
  keyring(): Keyring {
    return new Keyring([...this.#links.values()].map((l): KeyEntry => publicKeyEntry(l.publicKey, EPOCH)));
  }

  /** The keys the chain reaches, anchors first, in the order they were reached. */
  keys(): ChainedKey[] {
    return [...this.#links.values()].map((l) => ({
      keyId: l.keyId,
      pinned: l.pinned,
      ...(l.validAfter === undefined ? {} : { validAfter: String(l.validAfter) }),
      ...(l.finalPosition === undefined ? {} : { finalPosition: String(l.finalPosition), retiredAt: l.retiredAt! }),
    }));
  }
}

function link(keyId: string, publicKey: Uint8Array, pinned: boolean, validAfter: bigint | undefined): Link {
  return { keyId, publicKey: Uint8Array.from(publicKey), pinned, validAfter, finalPosition: undefined, retiredAt: undefined, rotationEventId: undefined };
}
