// "Verified in this browser": the latest checkpoint opened with the log's published keys, then held to the
// last checkpoint this browser accepted (kept in localStorage) by a consistency proof, as a witness holds
// a log (ledger/offline-verifier.ts verifyCheckpointStep). So every auditor's browser is a witness: a log
// that rolled back or forked since this browser last looked is named here, with both sizes, in red.
import { openCheckpointNote, verifyCheckpointStep } from '../ledger/offline-verifier.js';

export type LedgerCheck =
  | { readonly ok: true; readonly kind: 'first' | 'same' | 'extended'; readonly size: number; readonly origin: string; readonly signedBy: readonly string[]; readonly from?: number; readonly message: string }
  | { readonly ok: false; readonly kind: 'signature' | 'rollback' | 'fork' | 'other-log'; readonly message: string; readonly from?: number; readonly to?: number };

export interface LedgerCheckInput {
  /** The latest checkpoint note, as served (with any witness lines). */
  readonly latest: string;
  /** The log's note verifier keys (GET /v1/ledger/keys noteVerifier); witness keys may be added. */
  readonly keys: readonly string[];
  /** The note this browser accepted last time, if any. */
  readonly lastSeen?: string;
  /** Fetches the consistency proof between two sizes (GET /v1/ledger/proofs/consistency). */
  readonly consistency: (from: number, to: number) => Promise<readonly string[]>;
}

const bodyOf = (note: string): string => note.slice(0, note.indexOf('\n\n') + 1);

export async function checkLedger(input: LedgerCheckInput): Promise<LedgerCheck> {
  const opened = await openCheckpointNote(input.latest, input.keys);
  if (!opened.ok) return { ok: false, kind: 'signature', message: `the checkpoint does not verify with the log's published keys: ${opened.reason}` };
  const { checkpoint, signedBy } = opened.value;
  const base = { size: checkpoint.size, origin: checkpoint.origin, signedBy };
  if (input.lastSeen === undefined) return { ok: true, kind: 'first', ...base, message: `first checkpoint this browser has seen: size ${checkpoint.size}` };
  const before = await openCheckpointNote(input.lastSeen, input.keys);
  // A kept note that no longer opens (keys rotated away, another log): start over, and say so.
  if (!before.ok) return { ok: true, kind: 'first', ...base, message: `the checkpoint kept here no longer opens (${before.reason}); starting again at size ${checkpoint.size}` };
  const from = before.value.checkpoint.size;
  const to = checkpoint.size;
  if (before.value.checkpoint.origin !== checkpoint.origin) return { ok: false, kind: 'other-log', from, to, message: `the checkpoint is of ${checkpoint.origin}, this browser kept one of ${before.value.checkpoint.origin}` };
  if (to < from) return { ok: false, kind: 'rollback', from, to, message: `rollback: this browser saw size ${from}, the log now says size ${to}` };
  if (to === from) {
    if (bodyOf(input.lastSeen) !== bodyOf(input.latest)) return { ok: false, kind: 'fork', from, to, message: `fork at size ${to}: the root differs from the one this browser saw at size ${from}` };
    return { ok: true, kind: 'same', ...base, from, message: `unchanged since this browser last looked: size ${to}` };
  }
  let hashes: readonly string[];
  try {
    hashes = await input.consistency(from, to);
  } catch (error) {
    return { ok: false, kind: 'fork', from, to, message: `no consistency proof from size ${from} to size ${to}: ${error instanceof Error ? error.message : String(error)}` };
  }
  const step = await verifyCheckpointStep(input.lastSeen, input.latest, hashes, input.keys);
  if (!step.ok) return { ok: false, kind: 'fork', from, to, message: `fork: ${step.reason}` };
  return { ok: true, kind: 'extended', ...base, from, message: `consistent: size ${to} extends size ${from}, which this browser saw before` };
}

/** The witness cosignature lines of a note (every signature line not by the log's own key name). */
export function cosignersOf(note: string, logKeyName: string): readonly string[] {
  const lines = note.slice(note.indexOf('\n\n') + 2).split('\n').filter((l) => l.startsWith('\u2014 '));
  return lines.map((l) => l.slice(2).split(' ')[0]!).filter((name) => name !== logKeyName);
}
