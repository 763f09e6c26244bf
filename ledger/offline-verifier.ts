// The offline verifier: checks what this ledger hands out (sealed events, a stream's chain, receipts,
// checkpoint notes, inclusion and consistency proofs) with nothing but this module and the bytes. No Node
// API and no io-ts: it runs in a browser (bundled well under 30 KB gzipped), in Node, and behind
// `companyos verify-receipt`. Its rules are the server's: RFC 8785 hashing, the strict Ed25519 of
// ledger/ed25519.ts, RFC 6962 proofs, C2SP notes. Trust comes from keys the caller pins; keys that travel
// inside a receipt only prove the receipt consistent with itself (the report says which).
import { fromBase64, fromHex, toBase64, toHex, utf8 } from './bytes.js';
import { canonicalizeUnknown } from './canonical-json.js';
import { parseCheckpoint, type Checkpoint } from './checkpoint-note.js';
import { COSIGNATURE_V1, cosignatureVerifier } from './cosignature.js';
import { verifyEd25519 } from './ed25519.js';
import { leafHash, ProvenTree, verifyConsistency, verifyInclusion } from './merkle.js';
import { sha256 } from './sha256.js';
import { ED25519_NOTE, ed25519NoteVerifier, openNote, parseVerifierString, type NoteVerifier } from './signed-note.js';
import { parseTrustedKey } from './trusted-key.js';

export { verifyEd25519 } from './ed25519.js';
export type { Checkpoint } from './checkpoint-note.js';

/** Prefix of the message an event signature covers (ledger/seal.ts SIGNING_DOMAIN), then 0x00 and the 32 hash bytes. */
export const EVENT_SIGNING_DOMAIN = 'companyos.event.v1';

/** An event-signing key: the id events name ('ed25519:' + 16 hex of SHA-256 of the key) and the raw key, base64. */
export interface EventKey {
  readonly keyId: string;
  readonly publicKey: string;
}

type Json = { readonly [key: string]: unknown };

const isObject = (u: unknown): u is Json => typeof u === 'object' && u !== null && !Array.isArray(u);
const isSize = (u: unknown): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0;
const HEX64 = /^[0-9a-f]{64}$/;

/** The event's hash as sealing computes it: SHA-256 over the RFC 8785 form of all but hash, keyId, signature. */
export function eventHashOf(event: Json): string {
  return toHex(sha256(utf8(canonicalizeUnknown(event, SEAL_FIELDS))));
}

/** The fields of the seal, which the hash does not cover: written around, not copied away. */
const SEAL_FIELDS: ReadonlySet<string> = new Set(['hash', 'keyId', 'signature']);

/** 'ed25519:' + the first 16 hex digits of SHA-256 of the raw public key. */
export function eventKeyIdOf(publicKey: Uint8Array): string {
  return 'ed25519:' + toHex(sha256(publicKey)).slice(0, 16);
}

/** null when `event` is intact and signed by one of `keys` (its id checked against its key); else why not. */
export async function verifySealedEvent(event: unknown, keys: readonly EventKey[]): Promise<string | null> {
  if (!isObject(event)) return 'event: not an object';
  const { hash, keyId, signature } = event;
  if (typeof hash !== 'string' || !HEX64.test(hash)) return 'event: hash is not 64 lowercase hex digits';
  if (typeof keyId !== 'string' || typeof signature !== 'string') return 'event: keyId and signature must be strings';
  if ('position' in event) return 'event: carries position, which the log adds and no seal covers; remove it';
  let digest: string;
  try {
    digest = eventHashOf(event);
  } catch (err) {
    return `event: not canonical JSON (${err instanceof Error ? err.message : String(err)})`;
  }
  if (digest !== hash) return 'event: hash mismatch (payload or envelope altered)';
  const key = keys.find((k) => k.keyId === keyId);
  if (key === undefined) return `event: signed by ${keyId}, a key not given`;
  const publicKey = eventKeyBytes(key);
  if (publicKey === undefined) return `key ${keyId}: not base64 of 32 bytes, or its id does not match the key`;
  const sig = fromBase64(signature);
  if (sig === undefined || sig.length !== 64) return 'event: signature is not base64 of 64 bytes';
  const message = new Uint8Array(SIGNING_PREFIX.length + 32);
  message.set(SIGNING_PREFIX);
  message.set(fromHex(hash)!, SIGNING_PREFIX.length);
  return (await verifyEd25519(publicKey, message, sig)) ? null : 'event: signature invalid';
}

const SIGNING_PREFIX = utf8(EVENT_SIGNING_DOMAIN + '\0');

// Keys decoded and their ids checked once per distinct key, not once per event.
const checkedKeys = new Map<string, Uint8Array | undefined>();

/** The key's 32 bytes when its id is the one derived from them; undefined otherwise. */
function eventKeyBytes(key: EventKey): Uint8Array | undefined {
  const cacheKey = `${key.keyId} ${key.publicKey}`;
  if (checkedKeys.has(cacheKey)) return checkedKeys.get(cacheKey);
  const raw = fromBase64(key.publicKey);
  const ok = raw !== undefined && raw.length === 32 && eventKeyIdOf(raw) === key.keyId ? raw : undefined;
  if (checkedKeys.size < 1024) checkedKeys.set(cacheKey, ok);
  return ok;
}

export interface StreamFailure {
  readonly index: number;
  readonly revision: unknown;
  readonly reason: string;
}

/** One stream's events in revision order: each sealed event valid, revisions 0.. with no gap, each prevHash the previous hash. */
export async function verifyStream(events: readonly unknown[], keys: readonly EventKey[]): Promise<{ eventsChecked: number; failures: StreamFailure[] }> {
  const failures: StreamFailure[] = [];
  const sealed = await inLanes(events, (e) => verifySealedEvent(e, keys));
  let stream: unknown;
  events.forEach((e, index) => {
    const revision = isObject(e) ? e.revision : undefined;
    const fail = (reason: string) => failures.push({ index, revision, reason });
    if (!isObject(e)) return fail('not an object');
    if (index === 0) stream = e.stream;
    else if (e.stream !== stream) return fail(`stream ${String(e.stream)}, expected ${String(stream)}`);
    if (revision !== index) return fail(`revision ${String(revision)}, expected ${index}`);
    const previous = index === 0 ? '0'.repeat(64) : (events[index - 1] as Json).hash;
    if (e.prevHash !== previous) return fail(index === 0 ? 'revision 0 must start from the genesis hash' : 'broken link: prevHash is not the previous hash');
    if (sealed[index] !== null) return fail(sealed[index]!);
  });
  return { eventsChecked: events.length, failures };
}

/** Note verifiers for C2SP verifier key strings (Ed25519 and cosignature/v1); undefined for one that does not parse. */
export function noteVerifierOf(key: string): NoteVerifier | undefined {
  const parsed = parseVerifierString(key);
  if (!parsed.ok || parsed.value.publicKey.length !== 32) return undefined;
  const { name, type, publicKey } = parsed.value;
  if (type === ED25519_NOTE) return ed25519NoteVerifier(name, publicKey);
  if (type === COSIGNATURE_V1) return cosignatureVerifier(name, publicKey);
  return undefined;
}

export interface OpenedCheckpointNote {
  readonly checkpoint: Checkpoint;
  /** `name+id` of each key whose signature verified. */
  readonly signedBy: readonly string[];
}

/** Opens a checkpoint note with the given verifier key strings; `origin`, when given, must match. */
export async function openCheckpointNote(note: string, keys: readonly string[], origin?: string): Promise<{ ok: true; value: OpenedCheckpointNote } | { ok: false; reason: string }> {
  const verifiers: NoteVerifier[] = [];
  for (const k of keys) {
    const v = noteVerifierOf(k);
    if (v === undefined) return { ok: false, reason: `not a verifier key: ${k}` };
    verifiers.push(v);
  }
  const opened = await openNote(note, verifiers);
  if (!opened.ok) return opened;
  const parsed = parseCheckpoint(opened.value.text);
  if (!parsed.ok) return parsed;
  if (origin !== undefined && parsed.value.origin !== origin) return { ok: false, reason: `checkpoint of ${parsed.value.origin}, expected ${origin}` };
  const signedBy = opened.value.verified.map((s) => `${s.name}+${s.keyId.toString(16).padStart(8, '0')}`);
  return { ok: true, value: { checkpoint: parsed.value, signedBy } };
}

/** An inclusion proof as the API serves it: leaf hash and path base64 (a 32-byte leaf hash, not the event hash). */
export function verifyInclusionProof(proof: { leafIndex: number; treeSize: number; leafHash: string; hashes: readonly string[] }, root: Uint8Array): boolean {
  const leaf = fromBase64(proof.leafHash);
  const path = proof.hashes.map(fromBase64);
  if (leaf === undefined || path.some((p) => p === undefined)) return false;
  return verifyInclusion(leaf, proof.leafIndex, proof.treeSize, path as Uint8Array[], root);
}

/** A consistency proof as the API serves it, between two roots. */
export function verifyConsistencyProof(proof: { from: number; to: number; hashes: readonly string[] }, root1: Uint8Array, root2: Uint8Array): boolean {
  const path = proof.hashes.map(fromBase64);
  if (path.some((p) => p === undefined)) return false;
  return verifyConsistency(proof.from, proof.to, path as Uint8Array[], root1, root2);
}

/**
 * One step of a log's history, as a witness or a client holding an earlier checkpoint checks it: both notes
 * open with `keys`, name the same log, the newer is no smaller, and the consistency proof joins their roots.
 * On failure, the reason names both sizes.
 */
export async function verifyCheckpointStep(
  older: string,
  newer: string,
  hashes: readonly string[],
  keys: readonly string[],
): Promise<{ ok: true; value: { from: number; to: number; origin: string } } | { ok: false; reason: string }> {
  const a = await openCheckpointNote(older, keys);
  if (!a.ok) return { ok: false, reason: `older checkpoint: ${a.reason}` };
  const b = await openCheckpointNote(newer, keys, a.value.checkpoint.origin);
  if (!b.ok) return { ok: false, reason: `newer checkpoint: ${b.reason}` };
  const from = a.value.checkpoint.size;
  const to = b.value.checkpoint.size;
  if (to < from) return { ok: false, reason: `the log went back: size ${to} after size ${from}` };
  if (from === 0) return { ok: true, value: { from, to, origin: a.value.checkpoint.origin } };
  if (!verifyConsistencyProof({ from, to, hashes }, a.value.checkpoint.root, b.value.checkpoint.root)) {
    return { ok: false, reason: `sizes ${from} and ${to} disagree: the tree at ${to} does not extend the tree at ${from} (a fork or a rewrite)` };
  }
  return { ok: true, value: { from, to, origin: a.value.checkpoint.origin } };
}

/** The stream and type of the log key's sealed rotations (schemas/key-rotation-event.ts; no io-ts here). */
export const KEYS_STREAM = '_system/keys';
export const KEY_ROTATED_EVENT_TYPE = 'ledger.key.rotated';

/** A key the chain reaches from the pinned keys through the log's sealed rotations. */
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
  /** Retired: the last position committed when it stopped sealing; it verifies nothing stored after it. */
  readonly finalPosition?: bigint;
  readonly retiredAt?: string;
  /** The key its rotation named. */
  readonly next?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const POSITION = /^(0|[1-9][0-9]{0,18})$/;

/**
 * The log key's chain as an outsider follows it: from `anchors` (raw public keys, base64) through the sealed
 * rotations GET /v1/ledger/keys publishes (and receipts carry). Each rotation is signed by the OUTGOING key
 * and names the incoming one; it counts only when a key already reached sealed it (its signature checked
 * here), so a rotation by a key the caller does not trust, or one altered after sealing, adds nothing. A key
 * retires once: its first valid rotation gives its final position. Anchors first, then each key reached, in
 * the order reached; a chain published out of order still resolves.
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

export interface ReceiptOptions {
  /**
   * Keys pinned out of band: C2SP verifier key strings, raw Ed25519 public keys (base64), or key ids
   * (`ed25519:<16 hex>`, the weaker pin: 64 bits of SHA-256). With any, the checkpoint must be signed by one
   * of them, or by a key their chain reaches through the sealed rotations the receipt carries
   * (`keys.rotations`); without, the receipt's own keys are used and `pinned` is false.
   */
  readonly trustedKeys?: readonly string[];
  /**
   * Witnesses' verifier keys (c2sp.org/tlog-cosignature `cosignature/v1`, or Ed25519 note keys), pinned out
   * of band: the checkpoint's lines by them are checked (one that fails rejects the receipt; lines by keys not
   * given are ignored, as c2sp.org/signed-note says) and at least `minWitnesses` of them must have cosigned.
   */
  readonly witnessKeys?: readonly string[];
  /** How many of `witnessKeys` must have cosigned the checkpoint; default all of them. */
  readonly minWitnesses?: number;
}

export interface ReceiptReport {
  readonly ok: boolean;
  /** Every problem found; empty when ok. */
  readonly problems: readonly string[];
  readonly eventId?: string;
  readonly tenant?: string;
  readonly leafIndex?: number;
  readonly treeSize?: number;
  readonly origin?: string;
  /** Keys whose checkpoint signature verified (`name+id`). */
  readonly checkpointSignedBy: readonly string[];
  /** Whether the checkpoint was signed by a pinned key (false: checked only against the receipt's own keys). */
  readonly pinned: boolean;
  /** Whether the key that sealed the event is itself pinned (a checkpoint by a pinned key vouches for it either way). */
  readonly eventKeyPinned: boolean;
  /** Witnesses given whose cosignature on the checkpoint verified (`name+id`); empty when none were given. */
  readonly witnessedBy: readonly string[];
}

/** Verifies receipts sharing checkpoints efficiently: each distinct checkpoint note is opened once. */
export class ReceiptVerifier {
  readonly #trusted: readonly string[] | undefined;
  readonly #trustedPublicKeys = new Set<string>();
  readonly #trustedKeyIds = new Set<string>();
  readonly #pinned = new Map<string, boolean>();
  readonly #trustedNoteKeys: string[] = [];
  /** #pinnedNoteKeys' answers, by the receipt's note key list and then by the `reached` set. */
  readonly #pinnedNoteKeysOf = new Map<string, Map<ReadonlySet<string> | undefined, string[]>>();
  readonly #checkpoints = new Map<string, Map<string, ReturnType<typeof openCheckpointNote>>>();
  readonly #trees = new Map<string, ProvenTree>();
  readonly #witnesses: readonly NoteVerifier[];
  readonly #minWitnesses: number;
  readonly #cosigned = new Map<string, Promise<{ ok: true; value: string[] } | { ok: false; reason: string }>>();
  readonly #reachedKeys = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(options: ReceiptOptions = {}) {
    this.#trusted = options.trustedKeys;
    this.#witnesses = (options.witnessKeys ?? []).map((key) => {
      const v = noteVerifierOf(key);
      if (v === undefined) throw new RangeError(`witness key is not a verifier key (<name>+<hex id>+<base64 key>): ${key}`);
      return v;
    });
    this.#minWitnesses = options.minWitnesses ?? this.#witnesses.length;
    if (!Number.isSafeInteger(this.#minWitnesses) || this.#minWitnesses < 0 || this.#minWitnesses > this.#witnesses.length) {
      throw new RangeError(`minWitnesses must be a whole number from 0 to the ${this.#witnesses.length} witness key(s) given, got ${this.#minWitnesses}`);
    }
    for (const key of options.trustedKeys ?? []) {
      const parsed = parseTrustedKey(key);
      if (!parsed.ok) throw new RangeError(`trusted key ${key}: ${parsed.reason}`);
      if ('keyId' in parsed.value) {
        this.#trustedKeyIds.add(parsed.value.keyId);
        continue;
      }
      if (parsed.value.verifier !== undefined) this.#trustedNoteKeys.push(parsed.value.verifier);
      this.#trustedPublicKeys.add(toHex(parsed.value.publicKey));
    }
  }

  async verify(receipt: unknown): Promise<ReceiptReport> {
    const problems: string[] = [];
    const base = { checkpointSignedBy: [] as string[], pinned: false, eventKeyPinned: false, witnessedBy: [] as string[] };
    if (!isObject(receipt)) return { ok: false, problems: ['receipt: not a JSON object'], ...base };
    const { event, leafIndex, treeSize, hashes, checkpoint, keys } = receipt;
    if (!isObject(event) || !isSize(leafIndex) || !isSize(treeSize) || typeof checkpoint !== 'string' || !Array.isArray(hashes) || !hashes.every((h) => typeof h === 'string')) {
      return { ok: false, problems: ['receipt: needs event, leafIndex, treeSize, hashes (base64 strings) and checkpoint (note text)'], ...base };
    }
    const noteKeys = isObject(keys) && Array.isArray(keys.checkpoint) ? keys.checkpoint.filter((k): k is string => typeof k === 'string') : [];
    const eventKeys = isObject(keys) && Array.isArray(keys.events) ? keys.events.filter((k): k is EventKey => isObject(k) && typeof k.keyId === 'string' && typeof k.publicKey === 'string') : [];
    const tenant = typeof event.tenant === 'string' ? event.tenant : undefined;
    const facts = { eventId: typeof event.id === 'string' ? event.id : undefined, tenant, leafIndex, treeSize };

    const eventProblem = verifySealedEvent(event, eventKeys);
    const key = eventKeys.find((k) => k.keyId === event.keyId);
    const eventPublicKey = key === undefined ? undefined : fromBase64(key.publicKey);
    const eventKeyPinned = eventPublicKey !== undefined && eventPublicKey.length === 32 && this.#isPinned(eventPublicKey);

    const pinned = this.#trusted !== undefined && this.#trusted.length > 0;
    const rotations = isObject(keys) && Array.isArray(keys.rotations) ? keys.rotations : [];
    const reached = pinned && rotations.length > 0 ? await this.#reached(rotations) : undefined;
    const verifierKeys = pinned ? this.#pinnedNoteKeys(noteKeys, reached) : noteKeys;
    const opened = await this.#open(checkpoint, verifierKeys);
    const eventKeyReached = eventKeyPinned || (eventPublicKey !== undefined && reached?.has(toHex(eventPublicKey)) === true);
    const problem = await eventProblem;
    if (problem !== null) problems.push(problem);
    if (!opened.ok) {
      problems.push(`checkpoint: ${opened.reason}${pinned ? ' (with the pinned keys)' : ''}`);
      return { ok: false, problems, ...facts, ...base, pinned, eventKeyPinned: eventKeyReached };
    }
    const { checkpoint: c, signedBy } = opened.value;
    if (c.size !== treeSize) problems.push(`checkpoint is at size ${c.size}, the proof at ${treeSize}`);
    if (tenant === undefined || !c.origin.endsWith(`/${tenant}`)) problems.push(`checkpoint origin ${c.origin} is not the log of tenant ${String(tenant)}`);
    const leafInput = typeof event.hash === 'string' && HEX64.test(event.hash) ? fromHex(event.hash) : undefined;
    const path = hashes.map((h) => fromBase64(h as string));
    if (leafInput === undefined || path.some((p) => p === undefined || p.length !== 32)) problems.push('inclusion proof: a hash is not base64 of 32 bytes');
    else if (c.size !== treeSize || !this.#tree(c).verifyInclusion(leafHash(leafInput), leafIndex, path as Uint8Array[])) problems.push(`inclusion proof: event ${String(event.id)} is not leaf ${leafIndex} of the checkpoint's tree`);
    let witnessedBy: string[] = [];
    if (this.#witnesses.length > 0) {
      const cosigned = await this.#cosignedBy(checkpoint);
      if (!cosigned.ok) problems.push(`witness cosignature: ${cosigned.reason}`);
      else {
        witnessedBy = cosigned.value;
        if (witnessedBy.length < this.#minWitnesses) {
          problems.push(`checkpoint cosigned by ${witnessedBy.length} of the ${this.#witnesses.length} witness key(s) given${witnessedBy.length === 0 ? '' : ` (${witnessedBy.join(', ')})`}, fewer than the ${this.#minWitnesses} required`);
        }
      }
    }
    return { ok: problems.length === 0, problems, ...facts, origin: c.origin, checkpointSignedBy: signedBy, pinned, eventKeyPinned: eventKeyReached, witnessedBy };
  }

  /** The witnesses given whose line on `note` verifies; a failing line by one of them rejects the note. Once per note. */
  #cosignedBy(note: string): Promise<{ ok: true; value: string[] } | { ok: false; reason: string }> {
    let cosigned = this.#cosigned.get(note);
    if (cosigned === undefined) {
      cosigned = openNote(note, this.#witnesses).then((opened) => {
        if (opened.ok) return { ok: true as const, value: opened.value.verified.map((s) => `${s.name}+${s.keyId.toString(16).padStart(8, '0')}`) };
        // None of them signed: a count of zero, not a bad note (openNote wants at least one known signer).
        return opened.reason.startsWith('no signature by a known key') ? { ok: true as const, value: [] } : opened;
      });
      this.#cosigned.set(note, cosigned);
    }
    return cosigned;
  }

  /** Reports in the receipts' order. */
  verifyAll(receipts: readonly unknown[]): Promise<ReceiptReport[]> {
    return inLanes(receipts, (r) => this.verify(r));
  }

  /**
   * The receipt's note keys whose public key is pinned (or `reached` from a pinned one), plus pinned verifier
   * strings themselves. Once per distinct key list and `reached` set: a bundle's receipts carry the same keys,
   * and parsing a verifier string hashes it (its id is checked).
   */
  #pinnedNoteKeys(noteKeys: readonly string[], reached?: ReadonlySet<string>): string[] {
    const listKey = noteKeys.join('\n');
    let byReached = this.#pinnedNoteKeysOf.get(listKey);
    if (byReached === undefined) {
      byReached = new Map();
      this.#pinnedNoteKeysOf.set(listKey, byReached);
    }
    // `reached` sets are cached per rotation list (#reached), so the same set is the same object.
    let out = byReached.get(reached);
    if (out === undefined) {
      const keys = new Set(this.#trustedNoteKeys);
      for (const k of noteKeys) {
        const parsed = parseVerifierString(k);
        if (parsed.ok && parsed.value.type === ED25519_NOTE && (this.#isPinned(parsed.value.publicKey) || reached?.has(toHex(parsed.value.publicKey)) === true)) keys.add(k);
      }
      out = [...keys];
      byReached.set(reached, out);
    }
    return out;
  }

  /** The public keys (hex) the pinned ones reach through `rotations`, once per distinct list. */
  #reached(rotations: readonly unknown[]): Promise<ReadonlySet<string>> {
    const cacheKey = rotations.map((r) => (isObject(r) ? String(r.id) + String(r.hash) : '')).join(' ');
    let reached = this.#reachedKeys.get(cacheKey);
    if (reached === undefined) {
      // Anchors: every pinned public key, and a key pinned by id whose public key a rotation names.
      const named = rotations.flatMap((r) => (isObject(r) && isObject(r.data) ? [r.data.retiredPublicKey, r.data.nextPublicKey] : []));
      const anchors = new Set([...this.#trustedPublicKeys].map((hex) => toBase64(fromHex(hex)!)));
      for (const k of named) {
        const raw = typeof k === 'string' ? fromBase64(k) : undefined;
        if (raw !== undefined && raw.length === 32 && this.#isPinned(raw)) anchors.add(toBase64(raw));
      }
      reached = followPublishedRotations([...anchors], rotations).then((links) => new Set(links.map((l) => toHex(fromBase64(l.publicKey)!))));
      this.#reachedKeys.set(cacheKey, reached);
    }
    return reached;
  }

  #isPinned(publicKey: Uint8Array): boolean {
    const hex = toHex(publicKey);
    let pinned = this.#pinned.get(hex);
    if (pinned === undefined) {
      pinned = this.#trustedPublicKeys.has(hex) || this.#trustedKeyIds.has(eventKeyIdOf(publicKey));
      this.#pinned.set(hex, pinned);
    }
    return pinned;
  }

  /** One ProvenTree per checkpoint: receipts against it share the upper levels of their proofs. */
  #tree(c: Checkpoint): ProvenTree {
    const key = `${c.size} ${toBase64(c.root)}`;
    let tree = this.#trees.get(key);
    if (tree === undefined) {
      tree = new ProvenTree(c.size, c.root);
      this.#trees.set(key, tree);
    }
    return tree;
  }

  /** By note, then by key list: no string the size of a note built per receipt. */
  #open(note: string, keys: readonly string[]): ReturnType<typeof openCheckpointNote> {
    let byKeys = this.#checkpoints.get(note);
    if (byKeys === undefined) {
      byKeys = new Map();
      this.#checkpoints.set(note, byKeys);
    }
    const keyList = keys.join('\n');
    let opened = byKeys.get(keyList);
    if (opened === undefined) {
      opened = openCheckpointNote(note, keys);
      byKeys.set(keyList, opened);
    }
    return opened;
  }
}

/** Verifies one receipt. */
export function verifyReceipt(receipt: unknown, options: ReceiptOptions = {}): Promise<ReceiptReport> {
  return new ReceiptVerifier(options).verify(receipt);
}

/** Verifies many receipts (a bulk export), opening each distinct checkpoint once and sharing proven tree nodes. */
export function verifyReceipts(receipts: readonly unknown[], options: ReceiptOptions = {}): Promise<ReceiptReport[]> {
  return new ReceiptVerifier(options).verifyAll(receipts);
}

/**
 * `fn` over `items`, results in order, up to `lanes` at a time. Each item's signature check is in flight (on
 * Node's thread pool, or the browser's) while this thread hashes and proves the next items, so a window far
 * wider than the cores keeps both busy; a bound still, so a bulk export does not hold a promise per receipt.
 */
async function inLanes<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, lanes = 256): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(lanes, items.length)) }, lane));
  return out;
}
