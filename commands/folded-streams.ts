// What the pipeline has folded of each stream it decided on: the state through a revision, so the next
// command on that stream reads and decodes only what was appended since (a run's stream is folded once,
// not once per step), or, when this process wrote the tail itself, reads nothing and lets the append's
// expected revision prove the state current. Streams are append-only, so a remembered prefix never goes
// stale; only its tail can, and a stale tail fails the append instead of forking the chain.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Fold } from '../domain/index.js';
import type { AppendResult, EventLog, RecordedEvent } from '../adapters/event-log/index.js';
import { envelopeOf } from '../ledger/index.js';
import type { SealedEvent } from '../schemas/sealed-event.js';
import { tailOf, type StreamTail } from './stream-writer.js';

export interface DecisionRef {
  readonly id: string;
  readonly policyVersion: string;
  readonly determiningPolicies: readonly string[];
}

/** A repeat answers with the decision's reference, not what the decision saw (sealed beside it). */
const decisionRefOf = (d: DecisionRef): DecisionRef => ({ id: d.id, policyVersion: d.policyVersion, determiningPolicies: d.determiningPolicies });

export interface CommandEventRef {
  readonly id: string;
  readonly type: string;
  readonly revision: number;
  readonly hash: string;
}

/** A command recorded under an idempotency key: enough to answer its repeat with the first result. */
export interface RecordedCommand {
  readonly requestDigest: string | undefined;
  readonly events: readonly CommandEventRef[];
  /** Global position of its last event. */
  readonly position: bigint;
  readonly decision: DecisionRef | undefined;
}

/** A stream as the pipeline sees it before deciding. */
export interface FoldedStream {
  readonly state: unknown;
  /** The last event: the revision to expect and the hash to chain from; undefined for an empty stream. */
  readonly tail: StreamTail | undefined;
  /** True when just read from the log; false when remembered, so only a successful append proves it current. */
  readonly verified: boolean;
  /** The command recorded under `dedupeKey` in this stream, if any. */
  recorded(dedupeKey: string): RecordedCommand | undefined;
}

interface Remembered {
  readonly fold: Fold<unknown>;
  readonly state: unknown;
  readonly tail: StreamTail | undefined;
  readonly keyed: ReadonlyMap<string, RecordedCommand>;
}

/** What folding sees of a stored event: the sealed body's type, schema version and data. */
export const bodyOf = (r: RecordedEvent): unknown => ({ type: r.type, schemaVersion: envelopeOf(r).schemaVersion, data: r.data });

/** The same body, of an event as sealed (before the log hands it back). */
export const sealedBodyOf = (e: SealedEvent): unknown => ({ type: e.type, schemaVersion: e.schemaVersion, data: e.data });

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
    const known = this.#known(stream, fold);
    const records = await log.readStream(stream, known?.tail === undefined ? undefined : { fromRevision: known.tail.revision + 1n });
    const folded = fold(records.map(bodyOf), ...(known === undefined ? [] : [known.state]));
    if (isLeft(folded)) throw new Error(`stream ${stream} holds events this version cannot read: ${folded.left.join('; ')}`);
    const now: Remembered = { fold, state: folded.right, tail: tailOf(records) ?? known?.tail, keyed: withRecords(known?.keyed, records) };
    this.#remember(stream, now);
    return view(now, true);
  }

  /** `stream` as remembered, without reading the log (undefined if not remembered, or folded by another fold). */
  remembered(stream: string, fold: Fold<unknown>): FoldedStream | undefined {
    const known = this.#known(stream, fold);
    return known === undefined ? undefined : view(known, false);
  }

  /**
   * Remembers what this process just appended to `stream` (sealed onto the tail it was folded to, the
   * append having proved that tail current), so the next command on the stream need not read it.
   */
  appended(stream: string, fold: Fold<unknown>, sealed: readonly SealedEvent[], at: AppendResult, dedupeKey: string | undefined): void {
    const known = this.#known(stream, fold);
    const first = sealed[0];
    const follows = first !== undefined && first.revision === (known?.tail === undefined ? 0 : Number(known.tail.revision) + 1);
    const folded = follows ? fold(sealed.map(sealedBodyOf), ...(known === undefined ? [] : [known.state])) : undefined;
    if (folded === undefined || isLeft(folded)) {
      this.#streams.delete(stream); // not what we remember: the next command reads the stream
      return;
    }
    const last = sealed[sealed.length - 1]!;
    const keyed =
      dedupeKey === undefined
        ? known?.keyed ?? new Map<string, RecordedCommand>()
        : new Map(known?.keyed).set(dedupeKey, {
            requestDigest: last.meta.requestDigest,
            events: sealed.map(refOf),
            position: at.position,
            decision: decisionRefOf(last.meta.decision),
          });
    this.#remember(stream, { fold, state: folded.right, tail: { revision: at.revision, hash: last.hash }, keyed });
  }

  /** Forgets `stream`: the next command on it reads it from the start. */
  forget(stream: string): void {
    this.#streams.delete(stream);
  }

  #known(stream: string, fold: Fold<unknown>): Remembered | undefined {
    const known = this.#streams.get(stream);
    // A stream folded by another aggregate's fold (never expected) is folded afresh.
    return known?.fold === fold ? known : undefined;
  }

  #remember(stream: string, entry: Remembered): void {
    if (this.#capacity <= 0) return;
    this.#streams.delete(stream);
    this.#streams.set(stream, entry);
    if (this.#streams.size > this.#capacity) this.#streams.delete(this.#streams.keys().next().value!);
  }
}

const view = (r: Remembered, verified: boolean): FoldedStream => ({ state: r.state, tail: r.tail, verified, recorded: (key) => r.keyed.get(key) });

const refOf = (e: SealedEvent): CommandEventRef => ({ id: e.id, type: e.type, revision: e.revision, hash: e.hash });

/** `known` plus the commands among `records` recorded under an idempotency key (a new map only when there are some). */
function withRecords(known: ReadonlyMap<string, RecordedCommand> | undefined, records: readonly RecordedEvent[]): ReadonlyMap<string, RecordedCommand> {
  const keyedRecords = records.filter((r) => typeof envelopeOf(r).meta?.idempotencyKey === 'string');
  if (keyedRecords.length === 0) return known ?? new Map();
  const keyed = new Map(known);
  for (const r of keyedRecords) {
    const meta = envelopeOf(r).meta!;
    const before = keyed.get(meta.idempotencyKey!);
    const ref: CommandEventRef = { id: r.id, type: r.type, revision: Number(r.revision), hash: String(envelopeOf(r).hash) };
    keyed.set(meta.idempotencyKey!, {
      // The first event's digest is the command's; its last event's position and decision answer the repeat.
      requestDigest: before === undefined ? meta.requestDigest : before.requestDigest,
      events: [...(before?.events ?? []), ref],
      position: r.position,
      decision: meta.decision === undefined ? undefined : decisionRefOf(meta.decision),
    });
  }
  return keyed;
}
