// A witness across rotations of the log's key, in note verifier keys. The chain itself is followed by the
// offline verifier's followPublishedRotations (as `verify --remote` and receipts follow it): a witness that pinned a key adds the
// incoming key of every rotation that key (or a key it reached so) sealed, and nothing else: a key list the
// server shows, or a rotation by a key the witness does not trust, adds no key. The retired keys stay
// pinned: they open the checkpoints kept from before, and the consistency proofs still hold every
// checkpoint to the history the witness accepted.
import { fromBase64, toBase64 } from '../ledger/bytes.js';
import { ED25519_NOTE, parseVerifierString, verifierString } from '../ledger/signed-note.js';
import { followPublishedRotations } from '../ledger/offline-verifier.js';

export interface ReachedKey {
  /** The incoming key's note verifier key (the log's name). */
  readonly key: string;
  /** The pinned or reached key whose rotation named it. */
  readonly from: string;
}

/** The keys `rotations` lead to from `pinned` (note verifier keys of one name), in the order reached; none already pinned. */
export async function followRotations(pinned: readonly string[], rotations: readonly unknown[]): Promise<ReachedKey[]> {
  const anchors: string[] = [];
  let name: string | undefined;
  for (const k of pinned) {
    const parsed = parseVerifierString(k);
    if (!parsed.ok || parsed.value.type !== ED25519_NOTE) continue;
    name ??= parsed.value.name;
    anchors.push(toBase64(parsed.value.publicKey));
  }
  if (name === undefined) return [];
  const links = await followPublishedRotations(anchors, rotations);
  const noteKey = (publicKey: string) => verifierString(name, ED25519_NOTE, fromBase64(publicKey)!);
  const byKeyId = new Map(links.map((l) => [l.keyId, l]));
  return links.flatMap((l) => (l.pinned || l.from === undefined ? [] : [{ key: noteKey(l.publicKey), from: noteKey(byKeyId.get(l.from)!.publicKey) }]));
}
