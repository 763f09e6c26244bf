// The witness (issue 14 item 5): an outside party that follows one tenant's signed checkpoints over HTTP and
// vouches that the log only grows. Each step opens the server's latest checkpoint with the pinned log key,
// holds it to the last checkpoint this witness accepted (no smaller; at the same size the same root; larger:
// a consistency proof joins the two roots), keeps it, then cosigns it (c2sp.org/tlog-cosignature) and posts
// the cosignature back. A rollback or a fork is refused with one line naming both sizes and roots: a witness
// never cosigns two histories, so a client that wants checkpoints cosigned cannot be shown a rolled-back log.
import { toBase64 } from '../ledger/bytes.js';
import type { Checkpoint } from '../ledger/checkpoint-note.js';
import { openCheckpointNote, verifyConsistencyProof } from '../ledger/offline-verifier.js';
import { parseNote, signNote, type NoteSigner } from '../ledger/signed-note.js';
import { ServerError } from './witness-client.js';

/** What the witness asks of the log's server (commands/witness-client.ts over HTTP). */
export interface LogServer {
  /** GET /v1/ledger/checkpoint: the latest note. */
  latestCheckpoint(): Promise<string>;
  /** GET /v1/ledger/proofs/consistency?from=&to=: the proof's hashes (base64). */
  consistencyProof(from: number, to: number): Promise<readonly string[]>;
  /** POST /v1/ledger/checkpoints/cosignatures. */
  postCosigned(note: string): Promise<void>;
}

/** The log said something a witness must not cosign: a rollback, a fork, a checkpoint the pinned key did not sign. */
export class WitnessRefusal extends Error {
  override readonly name = 'WitnessRefusal';
}

export interface Accepted {
  readonly checkpoint: Checkpoint;
  /** The note as the log signed it (other witnesses' lines dropped). */
  readonly note: string;
  /** False when it is the checkpoint the witness already held (same size and root). */
  readonly grew: boolean;
}

/** The name the log's keys share (its origin's prefix); a RangeError when they do not share one. */
export function logKeyNameOf(logKeys: readonly string[]): string {
  const names = new Set(logKeys.map((k) => k.slice(0, k.indexOf('+'))));
  if (names.size !== 1) throw new RangeError(`the pinned log keys must share one name, got ${[...names].join(', ') || 'none'}`);
  return [...names][0]!;
}

const describe = (c: Checkpoint) => `size ${c.size} root ${toBase64(c.root)}`;

/** `note` without signatures other than the log's, so what the witness keeps and signs is the log's note alone. */
function logSignedOnly(note: string, logKeyName: string): string {
  const parsed = parseNote(note);
  if (!parsed.ok) return note;
  const own = parsed.value.signatures.filter((s) => s.name === logKeyName);
  return signNote(parsed.value.text, [], own);
}

/**
 * Judges the server's latest checkpoint against the one last accepted (`previous`, a note, undefined on the
 * first run): the accepted checkpoint, or a WitnessRefusal. `logKeys` are the pinned log keys (several once
 * the log rotated its key: the old one opens the note kept from before), all of one name. Proof hashes are
 * fetched only when needed.
 */
export async function judgeCheckpoint(
  server: Pick<LogServer, 'consistencyProof'>,
  logKeys: readonly string[],
  origin: string,
  latest: string,
  previous: string | undefined,
): Promise<Accepted> {
  const opened = await openCheckpointNote(latest, logKeys, origin);
  if (!opened.ok) throw new WitnessRefusal(`checkpoint refused: ${opened.reason}`);
  const now = opened.value.checkpoint;
  const note = logSignedOnly(latest, logKeyNameOf(logKeys));
  if (previous === undefined) return { checkpoint: now, note, grew: true };
  const held = await openCheckpointNote(previous, logKeys, origin);
  if (!held.ok) throw new WitnessRefusal(`the checkpoint in the state directory does not open with a pinned log key: ${held.reason}`);
  const had = held.value.checkpoint;
  if (now.size < had.size) throw new WitnessRefusal(`log rolled back: had ${describe(had)}, server now says ${describe(now)}`);
  if (now.size === had.size) {
    if (toBase64(now.root) !== toBase64(had.root)) throw new WitnessRefusal(`fork at size ${had.size}: had root ${toBase64(had.root)}, server now says root ${toBase64(now.root)}`);
    return { checkpoint: now, note, grew: false };
  }
  if (had.size === 0) return { checkpoint: now, note, grew: true };
  let hashes: readonly string[];
  try {
    hashes = await server.consistencyProof(had.size, now.size);
  } catch (error) {
    // A server that cannot answer now (unreachable, 5xx, 429) is asked again; one that answers no proof is refused.
    if (error instanceof ServerError && error.transient) throw error;
    throw new WitnessRefusal(`no consistency proof from size ${had.size} to size ${now.size}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!verifyConsistencyProof({ from: had.size, to: now.size, hashes }, had.root, now.root)) {
    throw new WitnessRefusal(`fork at size ${had.size}: the consistency proof from size ${had.size} to size ${now.size} fails (had root ${toBase64(had.root)}, server now says ${describe(now)})`);
  }
  return { checkpoint: now, note, grew: true };
}

export interface WitnessStepDeps {
  readonly server: LogServer;
  readonly logKeys: readonly string[];
  /** `<log key name>/<tenant>`: the only log this witness follows. */
  readonly origin: string;
  readonly signer: NoteSigner;
  /** The last accepted checkpoint note, undefined on the first run. */
  readonly previous: string | undefined;
  /** Keeps the accepted note (atomically) before anything is cosigned. */
  save(note: string): Promise<void>;
}

export interface StepOutcome extends Accepted {
  /** The log's note with this witness's cosignature line, as posted. */
  readonly cosigned: string;
}

/** One step: judge, keep, cosign, post. Throws WitnessRefusal (refuse for good) or the server's error (try again). */
export async function witnessStep(deps: WitnessStepDeps): Promise<StepOutcome> {
  const latest = await deps.server.latestCheckpoint();
  const accepted = await judgeCheckpoint(deps.server, deps.logKeys, deps.origin, latest, deps.previous);
  if (accepted.grew || deps.previous === undefined) await deps.save(accepted.note);
  const parsed = parseNote(accepted.note);
  if (!parsed.ok) throw new WitnessRefusal(`checkpoint refused: ${parsed.reason}`);
  const cosigned = signNote(parsed.value.text, [deps.signer], parsed.value.signatures);
  await deps.server.postCosigned(cosigned);
  return { ...accepted, cosigned };
}
