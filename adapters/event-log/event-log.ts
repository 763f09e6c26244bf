// The event log port: an append-only store of streams, each an ordered list of revisions, with one
// global order (positions) across all streams. EventStoreDB and PostgreSQL/PGlite both implement it
// and both pass adapters/event-log/event-log.contract.ts. Positions and revisions are bigint end to end.
import { JsonValueC } from '../../schemas/json.js';

/** What an append expects of the stream: its exact last revision, that it does not exist, or anything. */
export type ExpectedRevision = bigint | 'no-stream' | 'any';

import type { EventDraft, RecordedEvent } from '../../schemas/log-record.js';

export type { EventDraft, RecordedEvent };

export interface AppendResult {
  /** Revision of the last event of this append (the stream's revision afterwards). */
  readonly revision: bigint;
  /** Position of the last event of this append. */
  readonly position: bigint;
  /**
   * true: the log recognised the append as a repeat of one already stored (same ids) and wrote nothing;
   * the result is the stored append's. false: written now. Absent: the log cannot tell (EventStoreDB
   * answers a repeat at the expected revision exactly as a write).
   */
  readonly repeat?: boolean;
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive); default 0, or the last revision when reading backwards. */
  readonly fromRevision?: bigint;
  readonly direction?: 'forwards' | 'backwards';
  /** At most this many events; default: all. */
  readonly maxCount?: number;
}

/** Server-side filter for $all reads and subscriptions: prefixes of stream names or of event types. */
export type EventFilter =
  | { readonly streamPrefixes: readonly string[] }
  | { readonly eventTypePrefixes: readonly string[] };

export interface ReadAllOptions {
  /** Return only events after this position (exclusive); default: from the beginning. */
  readonly after?: bigint;
  readonly maxCount?: number;
  readonly filter?: EventFilter;
  /**
   * For a reader that hands metadata and data on unread (record-json.ts): records may keep both as the
   * store's JSON text, parsed on first read, with the text given by `recordJsonText`. The records are equal
   * either way; an adapter that cannot ignores it.
   */
  readonly jsonText?: boolean;
}

export interface SubscribeOptions {
  /** Deliver only events after this position (exclusive): a stored checkpoint resumes here. */
  readonly after?: bigint;
  readonly filter?: EventFilter;
}

/** Catch-up then live. Iterating pulls; the log does not read ahead of the consumer by more than a batch. */
export interface LogSubscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface EventLog {
  append(stream: string, expected: ExpectedRevision, events: readonly EventDraft[]): Promise<AppendResult>;
  /** The stream's events in revision order; an absent stream reads as empty. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<readonly RecordedEvent[]>;
  /** Events of all streams in position order: every committed event exactly once, none skipped. */
  readAll(options?: ReadAllOptions): Promise<readonly RecordedEvent[]>;
  subscribe(options?: SubscribeOptions): LogSubscription;
  /**
   * Position of the last event `readAll` would return now; undefined for an empty log. (Projection lag.)
   * Not "the last append": on PostgreSQL it stops below any transaction still open, so it can be behind an
   * append already acknowledged. To wait for your own writes, wait for the positions their appends returned.
   */
  headPosition(): Promise<bigint | undefined>;
  /**
   * Position of the last append committed, whether readers see it yet or not; undefined for an empty log.
   * On PostgreSQL it can be past headPosition while any transaction on the server is open; elsewhere it is
   * headPosition. What "everything written so far" means when the writers have stopped (a key rotation).
   */
  lastPosition(): Promise<bigint | undefined>;
  close(): Promise<void>;
}

/** The stream's revision was not what the append expected. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no-stream',
  ) {
    super(`stream ${stream}: expected revision ${String(expected)}, actual ${String(actual)}`);
  }
}

/** An event id is already stored, and not as an idempotent repeat of the same append. */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError';
  constructor(readonly eventId: string) {
    super(`event id ${eventId} is already in the log`);
  }
}

/** The log could not be reached; callers may retry. */
export class LogUnavailableError extends Error {
  override readonly name: string = 'LogUnavailableError';
}

/**
 * The log did not answer in time (a partition, a hung server): unlike a refused connection, an append may
 * have committed before its answer was lost, so a retry must carry the same idempotency key.
 */
export class LogTimeoutError extends LogUnavailableError {
  override readonly name: string = 'LogTimeoutError';
}

const LOWER_CASE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The inputs every adapter rejects before writing anything, so all logs refuse the same appends:
 * TypeError/RangeError naming the problem. An empty append is rejected rather than answered with a
 * made-up position. Ids must be lower-case because servers hand them back lower-cased.
 */
export function validateAppend(stream: string, expected: ExpectedRevision, events: readonly EventDraft[]): void {
  if (typeof stream !== 'string' || stream.length === 0 || stream.includes('\0')) {
    throw new TypeError('append: stream must be a non-empty string without NUL');
  }
  if (typeof expected === 'bigint') {
    if (expected < 0n) throw new RangeError('append: an expected revision is >= 0 (use "no-stream")');
  } else if (expected !== 'any' && expected !== 'no-stream') {
    throw new TypeError(`append: expected revision ${String(expected)} is not a bigint, "no-stream" or "any"`);
  }
  if (!Array.isArray(events) || events.length === 0) throw new RangeError('append: at least one event is required');
  for (const e of events) {
    if (typeof e.id !== 'string' || !LOWER_CASE_UUID.test(e.id)) {
      throw new TypeError(`append: event id ${JSON.stringify(e.id)} is not a lower-case UUID`);
    }
    if (typeof e.type !== 'string' || e.type.length === 0 || e.type.includes('\0')) {
      throw new TypeError('append: event type must be a non-empty string without NUL');
    }
    if (!JsonValueC.is(e.data) || !JsonValueC.is(e.metadata)) {
      throw new TypeError(`append: event ${e.id} data and metadata must be finite JSON values`);
    }
  }
}
