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
    this.#eventsChecked++;
    const revision = Number(r.revision);
    const tail = this.#tails.get(r.stream);
    const { reason, hash } = this.#check(r, revision, tail);
    if (reason !== null) this.#failures.push({ stream: r.stream, revision, eventId: r.id, reason });
    if (tail === undefined) this.#tails.set(r.stream, { revision, hash });
    else {
      tail.revision = revision;
      tail.hash = hash;
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

  #check(r: RecordedEvent, revision: number, tail: Tail | undefined): { reason: string | null; hash: string | undefined } {
    const decoded = fromRecordedEvent(r);
    if (isLeft(decoded)) return { reason: decoded.left, hash: storedHashOf(r) };
    const e = decoded.right;
    const fail = (reason: string) => ({ reason, hash: e.hash });
    if (e.id !== r.id) return fail(`id mismatch: stored as ${r.id}, sealed as ${e.id}`);
    if (e.stream !== r.stream) return fail(`stream mismatch: stored in ${r.stream}, sealed for ${e.stream}`);
    if (e.revision !== revision) return fail(`revision mismatch: stored at ${revision}, sealed as ${e.revision}`);
    const expected = tail === undefined ? 0 : tail.revision + 1;
    if (revision !== expected) return fail(`revision gap: expected ${expected}, found ${revision}`);
    if (revision === 0) {
      if (e.prevHash !== GENESIS_HASH) return fail('broken link: revision 0 must start from the genesis hash');
    } else if (tail?.hash !== undefined && e.prevHash !== tail.hash) {
      return fail(`broken link: prevHash does not match revision ${revision - 1}`);
    }
    const untrusted = this.#keyChain?.judge(e.keyId, r.position, e.id) ?? null;
    return { reason: untrusted ?? verifyEvent(e, this.#keyring), hash: e.hash };
  }
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
