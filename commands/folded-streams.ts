// What the pipeline has folded of each stream it decided on: the state through a revision, so the next
// command on that stream reads and decodes only what was appended since (a run's stream is folded once,
// not once per step). Streams are append-only, so a remembered prefix never goes stale; the tail is
// always read from the log, whoever appended it.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Fold } from '../domain/index.js';
import type { EventLog, RecordedEvent } from '../schemas/event-log.js';
import { tailOf, type StreamTail } from './stream-writer.js';

/** A stream as the pipeline sees it before deciding. */
export interface FoldedStream {
  readonly state: unknown;
  /** The last event: the revision to expect and the hash to chain from; undefined for an empty stream. */
  readonly tail: StreamTail | undefined;
  /** The stream's records that carry `dedupeKey` (a command recorded under an idempotency key). */
  recordsWithKey(dedupeKey: string): readonly RecordedEvent[];
}

interface Remembered {
  readonly fold: Fold<unknown>;
  readonly state: unknown;
  readonly tail: StreamTail | undefined;
  readonly keyed: ReadonlyMap<string, readonly RecordedEvent[]>;
}

/** The parts of a stored envelope the pipeline reads back (the log keeps the envelope in metadata). */
export interface StoredEnvelope {
  readonly hash?: string;
  readonly schemaVersion?: number;
  readonly meta?: {
    readonly idempotencyKey?: string;
    readonly requestDigest?: string;
    readonly decision?: { readonly id: string; readonly policyVersion: string; readonly determiningPolicies: readonly string[] };
  };
}
export const envelopeOf = (r: RecordedEvent): StoredEnvelope =>
  typeof r.metadata === 'object' && r.metadata !== null && !Array.isArray(r.metadata) ? (r.metadata as StoredEnvelope) : {};

/** What folding sees of a stored event: the sealed body's type, schema version and data. */
export const bodyOf = (r: RecordedEvent): unknown => ({ type: r.type, schemaVersion: envelopeOf(r).schemaVersion, data: r.data });

export class FoldedStreams {
  readonly #capacity: number;
  // Insertion order is recency: a hit is moved to the end, the first entry is the one to evict.
  readonly #streams = new Map<string, Remembered>();

  /** Remembers at most `capacity` streams (0: none, every command folds its stream from the start). */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** `stream` folded with `fold`, through whatever the log holds now. Throws if the log holds an event `fold` cannot read. */
  async read(log: EventLog, stream: string, fold: Fold<unknown>): Promise<FoldedStream> {
    const known = this.#streams.get(stream);
    // A stream folded by another aggregate's fold (never expected) is folded afresh.
    const from = known?.fold === fold ? known : undefined;
    const records = await log.readStream(stream, from?.tail === undefined ? undefined : { fromRevision: from.tail.revision + 1n });
    const folded = fold(records.map(bodyOf), ...(from === undefined ? [] : [from.state]));
    if (isLeft(folded)) throw new Error(`stream ${stream} holds events this version cannot read: ${folded.left.join('; ')}`);
    const now: Remembered = { fold, state: folded.right, tail: tailOf(records) ?? from?.tail, keyed: withKeyed(from?.keyed, records) };
    this.#remember(stream, now);
    return { state: now.state, tail: now.tail, recordsWithKey: (key) => now.keyed.get(key) ?? [] };
  }

  #remember(stream: string, entry: Remembered): void {
    if (this.#capacity <= 0) return;
    this.#streams.delete(stream);
    this.#streams.set(stream, entry);
    if (this.#streams.size > this.#capacity) this.#streams.delete(this.#streams.keys().next().value!);
  }
}

/** `known` plus the records among `records` that carry an idempotency key (a new map only when there are some). */
function withKeyed(known: ReadonlyMap<string, readonly RecordedEvent[]> | undefined, records: readonly RecordedEvent[]): ReadonlyMap<string, readonly RecordedEvent[]> {
  const keyedRecords = records.filter((r) => typeof envelopeOf(r).meta?.idempotencyKey === 'string');
  if (keyedRecords.length === 0) return known ?? new Map();
  const keyed = new Map(known);
  for (const r of keyedRecords) {
    const key = envelopeOf(r).meta!.idempotencyKey!;
    keyed.set(key, [...(keyed.get(key) ?? []), r]);
  }
  return keyed;
}
