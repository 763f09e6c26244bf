// Verification of sealed events and of per-stream hash chains as the log returns them. Streams may be
// interleaved (a $all read); state is one tail per stream, so memory is O(streams), not O(events).
import { verify } from 'node:crypto';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { RecordedEvent } from '../schemas/log-record.js';
import { GENESIS_HASH, type SealedEvent } from '../schemas/sealed-event.js';
import { ed25519EncodingProblem } from './ed25519.js';
import type { Keyring } from './keyring.js';
import type { KeyChain } from './key-chain.js';
import { envelopeOf, fromRecordedEvent } from './log-codec.js';
import { hashBytes, signingMessage } from './seal.js';

// Standard padded base64 of 64 bytes. Node's decoder is lenient, so the encoding is checked first:
// otherwise one signature could be stored under several spellings.
const SIGNATURE_B64 = /^[A-Za-z0-9+/]{86}==$/;

/** null when `e` is intact and validly signed by a key of `keyring`; otherwise the reason it is not. */
export function verifyEvent(e: SealedEvent, keyring: Keyring): string | null {
  let digest: Buffer;
  try {
    digest = hashBytes(e);
  } catch (err) {
    return `malformed: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (digest.toString('hex') !== e.hash) return 'hash mismatch: payload or envelope altered';
  const key = keyring.resolve(e.keyId);
  if (key === undefined) return `unknown signing key ${e.keyId}`;
  if (!SIGNATURE_B64.test(e.signature)) return 'signature invalid';
  const signature = Buffer.from(e.signature, 'base64');
  if (signature.toString('base64') !== e.signature) return 'signature invalid';
  // The offline verifier applies the same RFC 8032 encoding rules, so both judge every signature alike.
  if (ed25519EncodingProblem(key.entry.publicKey, signature) !== null) return 'signature invalid';
  if (!verify(null, signingMessage(digest), key.publicKeyObject, signature)) return 'signature invalid';
  const at = Date.parse(e.sealedAt);
  if (!(key.notBeforeMs <= at && at < key.notAfterMs)) return 'signed outside key validity window';
  return null;
}

export interface ChainFailure {
  /** Where the log stored the event. */
  readonly stream: string;
  readonly revision: number;
  readonly eventId: string;
  readonly reason: string;
}

export interface ChainReport {
  readonly eventsChecked: number;
  readonly streamsChecked: number;
  /** In the order the events were fed; per stream, the first entry is the earliest tampering. */
  readonly failures: readonly ChainFailure[];
}

interface Tail {
  revision: number;
  /** undefined when the tail event was too malformed to know its hash: the next link is then not judged. */
  hash: string | undefined;
}

/**
 * One event's own checks: everything but the link to its stream's previous event, so any thread can run
 * them (commands/parallel-chain-verifier.ts deals events to workers evenly, whatever their streams) and the
 * links are judged after, in log order (ChainVerifier.addChecked).
 */
export interface EventCheck {
  /** The envelope does not decode, or disagrees with where the log stored the event; null otherwise. */
  readonly fault: string | null;
  /** The sealed hash (the stored one when the envelope does not decode; undefined when not even that). */
  readonly hash: string | undefined;
  readonly prevHash: string | undefined;
  /** The sealed tenant when the envelope decodes (what a tenant's tree counts), else undefined. */
  readonly tenant: string | undefined;
  /** The key chain's or the signature's verdict, judged only when there is no fault; null: good. */
  readonly signature: string | null;
}

/** An event's own checks (see EventCheck): `keyChain` decides which keys may have signed it, else `keyring`. */
export function checkEvent(r: RecordedEvent, keyring: Keyring, keyChain?: KeyChain): EventCheck {
  const decoded = fromRecordedEvent(r);
  if (isLeft(decoded)) return { fault: decoded.left, hash: storedHashOf(r), prevHash: undefined, tenant: undefined, signature: null };
  const e = decoded.right;
  const sealed = { hash: e.hash, prevHash: e.prevHash, tenant: e.tenant };
  const fault = (reason: string): EventCheck => ({ ...sealed, fault: reason, signature: null });
  const revision = Number(r.revision);
  if (e.id !== r.id) return fault(`id mismatch: stored as ${r.id}, sealed as ${e.id}`);
  if (e.stream !== r.stream) return fault(`stream mismatch: stored in ${r.stream}, sealed for ${e.stream}`);
  if (e.revision !== revision) return fault(`revision mismatch: stored at ${revision}, sealed as ${e.revision}`);
  const untrusted = keyChain?.judge(e.keyId, r.position, e.id) ?? null;
  return { ...sealed, fault: null, signature: untrusted ?? verifyEvent(e, keyring) };
}

/**
 * Feed events in the order the log returned them (streams may interleave), then call `finish()`.
 * Each event is reported at most once, with its first problem; after a failure that event becomes
 * the stream's tail, so later events are still checked against what is actually stored.
 */
export class ChainVerifier {
  readonly #keyring: Keyring;
  readonly #keyChain: KeyChain | undefined;
  readonly #tails = new Map<string, Tail>();
  readonly #failures: ChainFailure[] = [];
  #eventsChecked = 0;

  /**
   * With `keyChain` (ledger/key-chain.ts), only the keys it reaches verify, each at the log positions it
   * allows, and `keyring` is ignored; without it, any key of `keyring` within its validity window.
   */
  constructor(keyring: Keyring, keyChain?: KeyChain) {
    this.#keyChain = keyChain;
    this.#keyring = keyChain === undefined ? keyring : keyChain.keyring();
  }

  add(r: RecordedEvent): void {
    this.addChecked(r, this.check(r));
  }

  /** The event's own checks with this verifier's keys (what `add` runs before judging its link). */
  check(r: RecordedEvent): EventCheck {
    return checkEvent(r, this.#keyring, this.#keyChain);
  }

  /** Adds an event whose own checks ran elsewhere (`checkEvent` with the same keys): judges its link. */
  addChecked(r: RecordedEvent, c: EventCheck): void {
    this.#eventsChecked++;
    const revision = Number(r.revision);
    const tail = this.#tails.get(r.stream);
    const reason = c.fault ?? linkProblem(revision, c.prevHash, tail) ?? c.signature;
    if (reason !== null) this.#failures.push({ stream: r.stream, revision, eventId: r.id, reason });
    if (tail === undefined) this.#tails.set(r.stream, { revision, hash: c.hash });
    else {
      tail.revision = revision;
      tail.hash = c.hash;
    }
  }

  /** Adds every event of an iterable (sync or async, e.g. a log read or subscription). */
  async addAll(events: Iterable<RecordedEvent> | AsyncIterable<RecordedEvent>): Promise<void> {
    for await (const r of events) this.add(r);
  }

  finish(): ChainReport {
    return {
      eventsChecked: this.#eventsChecked,
      streamsChecked: this.#tails.size,
      failures: [...this.#failures],
    };
  }
}

/** Why the event at `revision` does not follow its stream's tail, or null when it does. */
function linkProblem(revision: number, prevHash: string | undefined, tail: Tail | undefined): string | null {
  const expected = tail === undefined ? 0 : tail.revision + 1;
  if (revision !== expected) return `revision gap: expected ${expected}, found ${revision}`;
  if (revision === 0) {
    if (prevHash !== GENESIS_HASH) return 'broken link: revision 0 must start from the genesis hash';
  } else if (tail?.hash !== undefined && prevHash !== tail.hash) {
    return `broken link: prevHash does not match revision ${revision - 1}`;
  }
  return null;
}

/** Verifies one stream's events, given in log order. */
export function verifyChain(events: readonly RecordedEvent[], keyring: Keyring): ChainReport {
  const verifier = new ChainVerifier(keyring);
  for (const r of events) verifier.add(r);
  return verifier.finish();
}

function storedHashOf(r: RecordedEvent): string | undefined {
  const hash: unknown = envelopeOf(r).hash;
  return typeof hash === 'string' ? hash : undefined;
}
