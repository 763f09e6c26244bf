// The log key's chain as an outsider follows it: from the keys it pinned, through the sealed rotations
// GET /v1/ledger/keys publishes (`rotations`, the ledger.key.rotated events of `_system/keys`). Each rotation
// is signed by the OUTGOING key and names the incoming one; it counts only when a key already reached sealed
// it (its signature checked here with the offline verifier), so a rotation by a key the caller does not
// trust, or one altered after sealing, adds nothing. A key retires once: its first valid rotation gives its
// final position (the log's head when it stopped sealing). The witness (commands/witness-keys.ts) and
// `verify --remote` (commands/remote-verify.ts) both follow keys this way. No Node API.
import { fromBase64 } from '../ledger/bytes.js';
import { eventKeyIdOf, verifySealedEvent } from '../ledger/offline-verifier.js';
import { KEY_ROTATED_EVENT_TYPE, KEYS_STREAM } from '../schemas/key-rotation-event.js';

/** A key the chain reaches. */
export interface PublishedKeyLink {
  /** `ed25519:<16 hex>`, as events name it. */
  readonly keyId: string;
  /** The raw Ed25519 key, standard base64. */
  readonly publicKey: string;
  /** Pinned by the caller rather than introduced by a rotation. */
  readonly pinned: boolean;
  /** The key whose sealed rotation introduced this one. */
  readonly from?: string;
  /** Introduced by a rotation: valid for positions after this one (its predecessor's final position). */
  readonly validAfter?: bigint;
  /** Retired: the log's head when it stopped sealing; it verifies nothing stored after it. */
  readonly finalPosition?: bigint;
  readonly retiredAt?: string;
  /** The key its rotation named. */
  readonly next?: string;
}

type Json = { readonly [key: string]: unknown };
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const isObject = (u: unknown): u is Json => typeof u === 'object' && u !== null && !Array.isArray(u);
const POSITION = /^(0|[1-9][0-9]{0,18})$/;

/**
 * The keys `rotations` lead to from `anchors` (raw public keys, base64): the anchors first, then each key
 * reached, in the order reached. A chain published out of order still resolves.
 */
export async function followPublishedRotations(anchors: readonly string[], rotations: readonly unknown[]): Promise<PublishedKeyLink[]> {
  const links = new Map<string, Mutable<PublishedKeyLink>>();
  for (const publicKey of anchors) {
    const raw = fromBase64(publicKey);
    if (raw === undefined || raw.length !== 32 || links.has(publicKey)) continue;
    links.set(publicKey, { keyId: eventKeyIdOf(raw), publicKey, pinned: true });
  }
  const pending = rotations.filter(isObject).filter((r) => r.type === KEY_ROTATED_EVENT_TYPE && r.stream === KEYS_STREAM);
  for (let progress = true; progress; ) {
    progress = false;
    for (const r of [...pending]) {
      const data = isObject(r.data) ? r.data : {};
      const { retiredKeyId, retiredPublicKey, nextKeyId, nextPublicKey, finalPosition, retiredAt } = data;
      if (typeof retiredKeyId !== 'string' || typeof retiredPublicKey !== 'string' || typeof nextPublicKey !== 'string') continue;
      const outgoing = links.get(retiredPublicKey);
      // Sealed by the key it retires, which the chain reaches (verifySealedEvent also holds the id to the key).
      if (outgoing === undefined || r.keyId !== retiredKeyId || outgoing.keyId !== retiredKeyId) continue;
      if ((await verifySealedEvent(r, [{ keyId: retiredKeyId, publicKey: retiredPublicKey }])) !== null) continue;
      pending.splice(pending.indexOf(r), 1);
      progress = true;
      if (outgoing.finalPosition !== undefined) continue; // a key retires once: the first rotation stands
      const next = fromBase64(nextPublicKey);
      if (next === undefined || next.length !== 32 || eventKeyIdOf(next) !== nextKeyId || typeof finalPosition !== 'string' || !POSITION.test(finalPosition)) continue;
      outgoing.finalPosition = BigInt(finalPosition);
      if (typeof retiredAt === 'string') outgoing.retiredAt = retiredAt;
      outgoing.next = nextKeyId;
      if (!links.has(nextPublicKey)) links.set(nextPublicKey, { keyId: nextKeyId, publicKey: nextPublicKey, pinned: false, from: retiredKeyId, validAfter: BigInt(finalPosition) });
    }
  }
  return [...links.values()];
}
