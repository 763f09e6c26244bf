// C2SP signed notes (c2sp.org/signed-note): the envelope checkpoints and cosignatures travel in, so Go's
// golang.org/x/mod/sumdb/note and every transparency-log tool open ours. Parsing is strict (one spelling
// of a note); opening follows the spec: signatures by unknown keys are kept but ignored, a known key's bad
// signature rejects the note, and a note with no verified signature is rejected. Pure; no Node API.
import { concatBytes, fromBase64, fromHex, fromUtf8, toBase64, toHex, utf8 } from './bytes.js';
import { verifyEd25519 } from './ed25519.js';
import { sha256 } from './sha256.js';

/** Signature type byte of plain Ed25519 note signatures. */
export const ED25519_NOTE = 0x01;

/** At least the 16 the spec requires; Go's reference stops at 100 too. */
export const MAX_NOTE_SIGNATURES = 100;

const SIGNATURE_PREFIX = '\u2014 ';
// Unicode White_Space (what Go's unicode.IsSpace tests), which a key name must not contain.
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
// ASCII controls other than newline; and lone surrogates, which have no UTF-8 form.
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = <T>(reason: string): Checked<T> => ({ ok: false, reason });

/** One signature line: the key's name and 32-bit id, and the signature bytes after the id. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  readonly signature: Uint8Array;
}

export interface Note {
  /** The signed text, ending in a newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export interface OpenedNote {
  readonly text: string;
  /** Signatures by the verifiers given, each checked. */
  readonly verified: readonly NoteSignature[];
  /** Signatures by keys the caller did not name: kept (to pass on), never trusted. */
  readonly unverified: readonly NoteSignature[];
}

/** A key that checks note signatures. `verify` gets the note text's UTF-8 bytes and the signature after the key id. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(text: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

/** A key that signs notes: `sign` returns the signature bytes that follow the key id. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(text: Uint8Array): Uint8Array;
}

/** Key names are non-empty, without Unicode spaces or '+'. */
export function isKeyName(name: string): boolean {
  return name.length > 0 && !SPACE.test(name) && !name.includes('+') && !FORBIDDEN.test(name);
}

/** SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], big-endian. */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const digest = sha256(concatBytes(utf8(name), new Uint8Array([0x0a, type]), publicKey));
  return ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
}

/** `<name>+<8 hex digits of the key id>+<base64(type ‖ public key)>`: how a key is published and pinned. */
export function verifierString(name: string, type: number, publicKey: Uint8Array): string {
  if (!isKeyName(name)) throw new RangeError(`not a note key name: ${JSON.stringify(name)}`);
  const id = noteKeyId(name, type, publicKey).toString(16).padStart(8, '0');
  return `${name}+${id}+${toBase64(concatBytes(new Uint8Array([type]), publicKey))}`;
}

/** A verifier string's parts, the key id checked against the name and key it names. */
export function parseVerifierString(text: string): Checked<{ name: string; keyId: number; type: number; publicKey: Uint8Array }> {
  // The base64 key may itself hold '+': split at the first two only.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) return fail('a verifier key is <name>+<hex id>+<base64 key>');
  const name = text.slice(0, first);
  const hex = text.slice(first + 1, second);
  const key64 = text.slice(second + 1);
  if (!isKeyName(name)) return fail(`verifier key: invalid name ${JSON.stringify(name)}`);
  const id = /^[0-9a-fA-F]{8}$/.test(hex) ? fromHex(hex.toLowerCase()) : undefined;
  const key = fromBase64(key64);
  if (id === undefined) return fail('verifier key: the id is not 8 hex digits');
  if (key === undefined || key.length < 2) return fail('verifier key: the key is not base64 of a type byte and a key');
  const type = key[0]!;
  const publicKey = key.slice(1);
  const keyId = ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;
  if (keyId !== noteKeyId(name, type, publicKey)) return fail(`verifier key ${name}: the id does not match the name and key`);
  return ok({ name, keyId, type, publicKey });
}

/** An Ed25519 note verifier (type 0x01). */
export function ed25519NoteVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  return {
    name,
    keyId: noteKeyId(name, ED25519_NOTE, publicKey),
    verify: (text, signature) => verifyEd25519(publicKey, text, signature),
  };
}

/** An Ed25519 note signer; `sign` is the raw Ed25519 signature of the given bytes (node:crypto, tweetnacl, an HSM). */
export function ed25519NoteSigner(name: string, publicKey: Uint8Array, sign: (message: Uint8Array) => Uint8Array): NoteSigner {
  if (!isKeyName(name)) throw new RangeError(`not a note key name: ${JSON.stringify(name)}`);
  return { name, keyId: noteKeyId(name, ED25519_NOTE, publicKey), sign };
}

/** Why `text` cannot be a note's text, or null: it must be non-empty, end in a newline, and hold no controls. */
export function noteTextProblem(text: string): string | null {
  if (text.length === 0 || !text.endsWith('\n')) return 'note text must end with a newline';
  if (FORBIDDEN.test(text)) return 'note text holds a control character or is not valid Unicode';
  return null;
}

/** The note as it travels: text, a blank line, one line per signature. */
export function formatNote(note: Note): string {
  let out = note.text + '\n';
  for (const s of note.signatures) {
    out += `${SIGNATURE_PREFIX}${s.name} ${toBase64(concatBytes(keyIdBytes(s.keyId), s.signature))}\n`;
  }
  return out;
}

/**
 * Signs `text` with each signer. `existing` signatures are kept first, except any by a key that signs
 * again here (as Go's note.Sign does).
 */
export function signNote(text: string, signers: readonly NoteSigner[], existing: readonly NoteSignature[] = []): string {
  const problem = noteTextProblem(text);
  if (problem !== null) throw new RangeError(problem);
  if (signers.length + existing.length === 0) throw new RangeError('a note needs at least one signature');
  const bytes = utf8(text);
  const fresh = signers.map((s): NoteSignature => {
    if (!isKeyName(s.name)) throw new RangeError(`not a note key name: ${JSON.stringify(s.name)}`);
    return { name: s.name, keyId: s.keyId, signature: s.sign(bytes) };
  });
  const kept = existing.filter((e) => !signers.some((s) => s.name === e.name && s.keyId === e.keyId));
  return formatNote({ text, signatures: [...kept, ...fresh] });
}

/** Parses a note strictly, checking no signature. `message` as text, or as its UTF-8 bytes. */
export function parseNote(message: string | Uint8Array): Checked<Note> {
  const decoded = typeof message === 'string' ? message : fromUtf8(message);
  if (decoded === undefined) return fail('malformed note: not valid UTF-8');
  if (FORBIDDEN.test(decoded)) return fail('malformed note: a control character or invalid Unicode');
  const split = decoded.lastIndexOf('\n\n');
  if (split < 0) return fail('malformed note: no blank line before the signatures');
  const text = decoded.slice(0, split + 1);
  const block = decoded.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n')) return fail('malformed note: no signature lines, or no final newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) return fail(`malformed note: more than ${MAX_NOTE_SIGNATURES} signatures`);
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) return fail('malformed note: a signature line must start with "— "');
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const bytes = space < 0 ? undefined : fromBase64(rest.slice(space + 1));
    if (!isKeyName(name) || bytes === undefined || bytes.length < 5) return fail('malformed note: a signature line is not "— <name> <base64>"');
    const keyId = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    signatures.push({ name, keyId, signature: bytes.slice(4) });
  }
  return ok({ text, signatures });
}

/**
 * Parses and checks a note against `verifiers` (c2sp.org/signed-note "Signatures"): unknown keys kept
 * unverified (repeats dropped), a known key's failing or repeated signature rejects the note, and at
 * least one known key must have signed.
 */
export async function openNote(message: string | Uint8Array, verifiers: readonly NoteVerifier[]): Promise<Checked<OpenedNote>> {
  const parsed = parseNote(message);
  if (!parsed.ok) return parsed;
  const { text, signatures } = parsed.value;
  const bytes = utf8(text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const s of signatures) {
    const key = `${s.keyId} ${s.name}`;
    const verifier = verifiers.find((v) => v.name === s.name && v.keyId === s.keyId);
    if (verifier === undefined) {
      if (!seen.has(key)) unverified.push(s);
      seen.add(key);
      continue;
    }
    if (seen.has(key)) return fail(`malformed note: ${s.name} signed twice`);
    seen.add(key);
    if (!(await verifier.verify(bytes, s.signature))) return fail(`invalid signature by ${s.name}+${hex8(s.keyId)}`);
    verified.push(s);
  }
  if (verified.length === 0) {
    const names = signatures.map((s) => `${s.name}+${hex8(s.keyId)}`).join(', ');
    return fail(`no signature by a known key (the note is signed by ${names})`);
  }
  return ok({ text, verified, unverified });
}

function keyIdBytes(keyId: number): Uint8Array {
  return new Uint8Array([keyId >>> 24, (keyId >>> 16) & 0xff, (keyId >>> 8) & 0xff, keyId & 0xff]);
}

function hex8(keyId: number): string {
  return toHex(keyIdBytes(keyId));
}
