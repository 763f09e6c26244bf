// C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the body of a signed tree head, `<origin>\n<size>\n<base64
// root>\n` then optional extension lines. Extension lines are kept when read (they are opaque, and a
// cosignature covers them) but this log never writes any: the spec advises against them, as monitors
// cannot audit them. Pure; no Node API.
import { fromBase64, toBase64 } from './bytes.js';
import { openNote, type Checked, type NoteSignature, type NoteVerifier } from './signed-note.js';

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  /** The RFC 6962 root at `size`: 32 bytes. */
  readonly root: Uint8Array;
  /** Lines after the third, each non-empty; none in checkpoints this log issues. */
  readonly extensions: readonly string[];
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The note text the signatures cover. */
  readonly text: string;
  readonly verified: readonly NoteSignature[];
  readonly unverified: readonly NoteSignature[];
}

/** The note text of `c`. */
export function formatCheckpoint(c: Checkpoint): string {
  if (c.origin.length === 0 || c.origin.includes('\n')) throw new RangeError('checkpoint origin must be one non-empty line');
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new RangeError(`checkpoint size must be a non-negative integer, got ${c.size}`);
  if (c.root.length !== 32) throw new RangeError(`checkpoint root must be 32 bytes, got ${c.root.length}`);
  if (c.extensions.some((e) => e.length === 0 || e.includes('\n'))) throw new RangeError('checkpoint extension lines must be non-empty lines');
  return [c.origin, String(c.size), toBase64(c.root), ...c.extensions].join('\n') + '\n';
}

/** Parses a checkpoint body (a note's text) strictly. */
export function parseCheckpoint(text: string): Checked<Checkpoint> {
  if (!text.endsWith('\n')) return { ok: false, reason: 'checkpoint: the text must end with a newline' };
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) return { ok: false, reason: 'checkpoint: needs origin, size and root lines' };
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) return { ok: false, reason: 'checkpoint: empty origin' };
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    return { ok: false, reason: `checkpoint: size ${JSON.stringify(sizeText)} is not a decimal without leading zeroes` };
  }
  const root = fromBase64(rootText);
  if (root === undefined || root.length !== 32) return { ok: false, reason: 'checkpoint: the root is not base64 of 32 bytes' };
  if (extensions.some((e) => e.length === 0)) return { ok: false, reason: 'checkpoint: an empty extension line' };
  return { ok: true, value: { origin, size: Number(sizeText), root, extensions } };
}

/**
 * Opens a checkpoint note: signatures as `openNote` judges them, then the body. With `origin`, the
 * checkpoint must name exactly that log.
 */
export async function openCheckpoint(
  message: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  origin?: string,
): Promise<Checked<OpenedCheckpoint>> {
  const opened = await openNote(message, verifiers);
  if (!opened.ok) return opened;
  const parsed = parseCheckpoint(opened.value.text);
  if (!parsed.ok) return parsed;
  if (origin !== undefined && parsed.value.origin !== origin) {
    return { ok: false, reason: `checkpoint of ${JSON.stringify(parsed.value.origin)}, expected ${JSON.stringify(origin)}` };
  }
  const { text, verified, unverified } = opened.value;
  return { ok: true, value: { checkpoint: parsed.value, text, verified, unverified } };
}
