// Receiving witness cosignatures (issue 14 item 5, the server's half). A witness posts the checkpoint note
// it cosigned; it is kept only when its text is exactly a checkpoint this server issued for the caller's
// tenant and a witness the operator configured (COMPANYOS_WITNESSES) signed it with a valid
// c2sp.org/tlog-cosignature. Whoever posts it needs no more trust than a reader: the signature is the
// witness's, and the keys it may be made with are the operator's choice, never a tenant's. Served back by
// appending each kept line to the checkpoint note (adapters/http/routes/cosignatures.ts).
import { domainError, type DomainError } from '../domain/errors.js';
import type { CosignatureStore, StoredCosignature } from '../adapters/read-store/cosignatures.js';
import { toBase64 } from '../ledger/bytes.js';
import { parseCheckpoint } from '../ledger/checkpoint-note.js';
import { cosignatureTime } from '../ledger/cosignature.js';
import { noteVerifierOf } from '../ledger/offline-verifier.js';
import { formatNote, openNote, parseNote, type NoteSignature, type NoteVerifier } from '../ledger/signed-note.js';
import type { StoredCheckpoint } from '../projections/tree/tree-queries.js';
import { MAX_WITNESSES } from '../schemas/cosignatures.js';

export interface CosignatureDeps {
  /** The tenant's checkpoints from a size, smallest first (TreeQueries.checkpoints). */
  readonly checkpoints: (tenant: string, fromSize: number, limit: number) => Promise<readonly StoredCheckpoint[]>;
  readonly store: CosignatureStore;
  /** COMPANYOS_WITNESSES: cosignature/v1 verifier keys. */
  readonly witnesses: readonly string[];
}

export interface AcceptedCosignatures {
  readonly treeSize: number;
  /** `name+id` of each witness whose cosignature was kept. */
  readonly witnesses: readonly string[];
}

const hex8 = (keyId: number) => keyId.toString(16).padStart(8, '0');

/** The note signature line of `s`, without its newline. */
export function signatureLine(s: NoteSignature): string {
  return formatNote({ text: '\n', signatures: [s] }).slice(2, -1);
}

/** Checks and keeps the cosignatures on `note` for `tenant`'s checkpoint; a DomainError says why not. */
export async function acceptCosignatures(deps: CosignatureDeps, tenant: string, note: string): Promise<AcceptedCosignatures | DomainError> {
  if (deps.witnesses.length === 0) return domainError('unknown-witness', 'this server accepts cosignatures from no witness: its operator sets COMPANYOS_WITNESSES');
  const parsed = parseNote(note);
  if (!parsed.ok) return domainError('cosignature-invalid', parsed.reason);
  const body = parseCheckpoint(parsed.value.text);
  if (!body.ok) return domainError('cosignature-invalid', body.reason);
  const size = body.value.size;
  const issued = (await deps.checkpoints(tenant, size, 1))[0];
  const issuedText = issued?.treeSize === size ? parseNote(issued.note) : undefined;
  if (issuedText === undefined || !issuedText.ok || issuedText.value.text !== parsed.value.text) {
    return domainError('cosignature-invalid', `no checkpoint of this tenant at size ${size} reads ${JSON.stringify(body.value.origin)} with root ${toBase64(body.value.root)}`);
  }
  const verifiers = deps.witnesses.map(noteVerifierOf).filter((v): v is NoteVerifier => v !== undefined);
  const opened = await openNote(note, verifiers);
  if (!opened.ok) {
    const unknown = opened.reason.startsWith('no signature by a known key');
    return domainError(unknown ? 'unknown-witness' : 'cosignature-invalid', unknown ? `no cosignature by a witness this server accepts: ${opened.reason}` : opened.reason);
  }
  const kept: StoredCosignature[] = opened.value.verified.map((s) => ({ witness: s.name, keyId: s.keyId, line: signatureLine(s), signedAt: cosignatureTime(s.signature) ?? 0 }));
  for (const c of kept) await deps.store.add(tenant, size, c);
  return { treeSize: size, witnesses: kept.map((c) => `${c.witness}+${hex8(c.keyId)}`) };
}

/**
 * `notes` (checkpoints the server issued, as signed) each with the cosignature lines held for it appended,
 * each line once and none already on the note; a note stays as it is when none is held. One query.
 */
export async function withCosignatures(store: CosignatureStore, tenant: string, notes: readonly string[]): Promise<string[]> {
  const parsed = notes.map((note) => {
    const n = parseNote(note);
    const body = n.ok ? parseCheckpoint(n.value.text) : undefined;
    const size = n.ok && body?.ok ? body.value.size : undefined;
    return { note, size, present: new Set(n.ok ? n.value.signatures.map(signatureLine) : []) };
  });
  const sizes = [...new Set(parsed.flatMap((p) => (p.size === undefined ? [] : [p.size])))];
  const held = await store.ofSizes(tenant, sizes);
  return parsed.map((p) => {
    if (p.size === undefined) return p.note;
    const lines = (held.get(p.size) ?? []).map((c) => c.line).filter((l) => !p.present.has(l)).slice(0, MAX_WITNESSES);
    return lines.length === 0 ? p.note : p.note + lines.map((l) => `${l}\n`).join('');
  });
}
