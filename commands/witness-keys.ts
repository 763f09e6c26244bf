// A witness across rotations of the log's key. The log publishes its keys' chain (GET /v1/ledger/keys:
// `rotations`, the sealed ledger.key.rotated events of `_system/keys`): each is signed by the OUTGOING key and
// names the incoming one. A witness that pinned a key adds the incoming key of every rotation that key (or a
// key it reached so) sealed, and nothing else: a key list the server shows, or a rotation by a key the
// witness does not trust, adds no key. The retired keys stay pinned: they open the checkpoints kept from
// before, and the consistency proofs still hold every checkpoint to the history the witness accepted.
import { fromBase64, toBase64 } from '../ledger/bytes.js';
import { verifySealedEvent } from '../ledger/offline-verifier.js';
import { ED25519_NOTE, parseVerifierString, verifierString } from '../ledger/signed-note.js';
import { KEY_ROTATED_EVENT_TYPE, KEYS_STREAM } from '../schemas/key-rotation-event.js';

export interface ReachedKey {
  /** The incoming key's note verifier key (the log's name). */
  readonly key: string;
  /** The pinned or reached key whose rotation named it. */
  readonly from: string;
}

type Json = { readonly [key: string]: unknown };
const isObject = (u: unknown): u is Json => typeof u === 'object' && u !== null && !Array.isArray(u);

/** The keys `rotations` lead to from `pinned` (note verifier keys of one name), in the order reached; none already pinned. */
export async function followRotations(pinned: readonly string[], rotations: readonly unknown[]): Promise<ReachedKey[]> {
  const byPublicKey = new Map<string, string>();
  let name: string | undefined;
  for (const k of pinned) {
    const parsed = parseVerifierString(k);
    if (!parsed.ok || parsed.value.type !== ED25519_NOTE) continue;
    name ??= parsed.value.name;
    byPublicKey.set(toBase64(parsed.value.publicKey), k);
  }
  if (name === undefined) return [];
  const reached: ReachedKey[] = [];
  const pending = rotations.filter(isObject).filter((r) => r.type === KEY_ROTATED_EVENT_TYPE && r.stream === KEYS_STREAM);
  // A chain published out of order still resolves: one pass per rotation at most.
  for (let progress = true; progress; ) {
    progress = false;
    for (const r of [...pending]) {
      const data = isObject(r.data) ? r.data : {};
      const { retiredKeyId, retiredPublicKey, nextPublicKey } = data;
      if (typeof retiredKeyId !== 'string' || typeof retiredPublicKey !== 'string' || typeof nextPublicKey !== 'string') continue;
      const from = byPublicKey.get(retiredPublicKey);
      // Sealed by the key it retires, which this witness trusts.
      if (from === undefined || r.keyId !== retiredKeyId) continue;
      if ((await verifySealedEvent(r, [{ keyId: retiredKeyId, publicKey: retiredPublicKey }])) !== null) continue;
      pending.splice(pending.indexOf(r), 1);
      const next = fromBase64(nextPublicKey);
      if (next === undefined || next.length !== 32 || byPublicKey.has(nextPublicKey)) continue;
      const key = verifierString(name, ED25519_NOTE, next);
      byPublicKey.set(nextPublicKey, key);
      reached.push({ key, from });
      progress = true;
    }
  }
  return reached;
}
