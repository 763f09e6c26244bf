// Appends to the PostgreSQL log: queued and group-committed through append_batch (schema.ts), at most one
// append per stream per group, each append answered with its own result or error.
import { performance } from 'node:perf_hooks';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventDraft,
  type ExpectedRevision,
  validateAppend,
} from '../event-log.js';
import type { PostgresDatabase, SqlSession } from '../../read-store/postgres/database.js';
import type { PostgresEventLogHooks } from './event-log.js';
import { isRetryable, isUnavailable, mapError } from './errors.js';
import { notifyChannel, sequencerLockKey, streamLockKey } from './schema.js';

export interface GroupCommitOptions {
  readonly maxInFlight: number;
  readonly maxBatchEvents: number;
  readonly parallelEvents: number;
  /** Test hooks; never set in production. */
  readonly hooks?: PostgresEventLogHooks | undefined;
}

/** A transaction in flight longer than this no longer holds back a further one. */
const STALL_MS = 20;

interface Pending {
  readonly stream: string;
  readonly expected: ExpectedRevision;
  readonly ids: readonly string[];
  /** The append as JSON for append_batch, serialised once at enqueue, off the commit path. */
  readonly json: string;
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: unknown) => void;
}

type Outcome =
  | { readonly ok: true; readonly result: AppendResult; readonly wrote: boolean }
  | { readonly ok: false; readonly error: Error };

interface BatchRow {
  readonly kind: 'write' | 'repeat' | 'wrong' | 'duplicate';
  readonly revision: bigint | null;
  readonly position: bigint | null;
  readonly detail: string | null;
}

/**
 * The append queue of one log. One statement (append_batch) takes per-stream advisory locks in a stable
 * order, reads the streams' revisions and any stored event ids, decides every queued append (expected
 * revision, idempotent repeat, duplicate id), inserts the winners and commits. If the statement fails as
 * a whole (a value PostgreSQL rejects, a race with another process), the appends are retried one by one
 * so that only the culprit fails.
 */
export class GroupCommit {
  readonly #db: PostgresDatabase<any>;
  readonly #schema: string;
  readonly #options: GroupCommitOptions;
  readonly #sequencer: string;
  readonly #channel: string;
  readonly #appendBatch: string;
  /** Called after a group that wrote something commits. */
  readonly #onWrite: (position: bigint) => void;

  #pending: Pending[] = [];
  readonly #busyStreams = new Set<string>();
  #inFlight = 0;
  /** Start time of each transaction in flight. */
  readonly #started = new Map<number, number>();
  #flushes = 0;
  #stallTimer: NodeJS.Timeout | undefined;
  #idle: (() => void)[] = [];

  constructor(db: PostgresDatabase<any>, schema: string, quotedSchema: string, options: GroupCommitOptions, onWrite: (position: bigint) => void) {
    this.#db = db;
    this.#schema = schema;
    this.#options = options;
    this.#sequencer = sequencerLockKey(schema).toString();
    this.#channel = notifyChannel(schema);
    this.#appendBatch = `SELECT o_kind AS kind, o_revision AS revision, o_position AS position, o_detail AS detail
                    FROM ${quotedSchema}.append_batch($1::jsonb, $2::bigint[], $3::bigint, $4::text)`;
    this.#onWrite = onWrite;
  }

  append(stream: string, expected: ExpectedRevision, events: readonly EventDraft[]): Promise<AppendResult> {
    let json: string;
    try {
      validateAppend(stream, expected, events);
      const want = typeof expected === 'bigint' ? expected.toString() : `"${expected}"`;
      json = `{"s":${JSON.stringify(stream)},"e":${want},"ev":[${events.map(eventJson).join(',')}]}`;
    } catch (err) {
      return Promise.reject(err);
    }
    const ids = events.map((e) => e.id);
    return new Promise<AppendResult>((resolve, reject) => {
      this.#pending.push({ stream, expected, ids, json, resolve, reject });
      this.#schedule();
    });
  }

  /** Stop the stall timer (closing). */
  stop(): void {
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
  }

  /** Resolves once no append is queued or in flight. */
  async idle(): Promise<void> {
    if (this.#inFlight > 0 || this.#pending.length > 0) {
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
  }

  #schedule(): void {
    while (this.#inFlight < this.#options.maxInFlight && this.#pending.length > 0) {
      // Another transaction in flight only pays when there is a lot to insert (small groups are
      // cheaper as one bigger group after the current commit), or when the one in flight is stuck.
      if (this.#inFlight > 0 && this.#pendingEvents() < this.#options.parallelEvents) {
        const waited = performance.now() - Math.min(...this.#started.values());
        if (waited < STALL_MS) {
          this.#stallTimer ??= setTimeout(() => {
            this.#stallTimer = undefined;
            this.#schedule();
          }, STALL_MS - waited);
          break;
        }
      }
      const batch = this.#take();
      if (batch.length === 0) break;
      this.#inFlight++;
      const flushId = this.#flushes++;
      this.#started.set(flushId, performance.now());
      void this.#flush(batch).finally(() => {
        this.#inFlight--;
        this.#started.delete(flushId);
        for (const p of batch) this.#busyStreams.delete(p.stream);
        this.#schedule();
        if (this.#inFlight === 0 && this.#pending.length === 0) {
          for (const done of this.#idle.splice(0)) done();
        }
      });
    }
  }

  #pendingEvents(): number {
    let n = 0;
    for (const p of this.#pending) n += p.ids.length;
    return n;
  }

  /** The next group: queue order, one append per stream, streams already in flight wait. */
  #take(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const held = new Set<string>();
    let events = 0;
    for (const p of this.#pending) {
      const full = batch.length > 0 && events + p.ids.length > this.#options.maxBatchEvents;
      if (full || held.has(p.stream) || this.#busyStreams.has(p.stream)) {
        held.add(p.stream); // keeps later appends to this stream behind this one
        rest.push(p);
        continue;
      }
      batch.push(p);
      held.add(p.stream);
      this.#busyStreams.add(p.stream);
      events += p.ids.length;
    }
    this.#pending = rest;
    return batch;
  }

  async #flush(batch: readonly Pending[]): Promise<void> {
    let outcomes: Outcome[] | undefined;
    let failure: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        outcomes = await this.#commit(batch);
        break;
      } catch (err) {
        failure = err;
        // A lone append retries what a concurrent writer in another process can cause (a unique
        // violation on an id it inserted too, a deadlock); the retry sees the committed row.
        if (batch.length === 1 && isRetryable(err)) continue;
        break;
      }
    }
    if (!outcomes) {
      if (batch.length > 1 && !isUnavailable(failure)) {
        // Isolate the culprit: one bad append must not fail the others.
        for (const p of batch) await this.#flush([p]);
      } else {
        for (const p of batch) p.reject(mapError(failure));
      }
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) p.resolve(o.result);
      else p.reject(o.error);
    });
    // The highest position this group wrote: readers that stop below it know a commit is still to be seen.
    let wrote: bigint | undefined;
    for (const o of outcomes) if (o.ok && o.wrote && (wrote === undefined || o.result.position > wrote)) wrote = o.result.position;
    if (wrote !== undefined) this.#onWrite(wrote);
  }

  /** One group commit: a single statement (one round trip) unless a test hook needs the gap before COMMIT. */
  async #commit(batch: readonly Pending[]): Promise<Outcome[]> {
    const keys = [...new Set(batch.map((p) => streamLockKey(this.#schema, p.stream)))];
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const params = [`[${batch.map((p) => p.json).join(',')}]`, `{${keys.join(',')}}`, this.#sequencer, this.#channel];
    const hook = this.#options.hooks?.beforeCommit;
    const rows = await this.#db.withSession(async (s: SqlSession) => {
      if (!hook) return s.query<BatchRow>(this.#appendBatch, params);
      await s.exec('BEGIN');
      const result = await s.query<BatchRow>(this.#appendBatch, params);
      await hook({
        streams: batch.map((p) => p.stream),
        positions: result.filter((r) => r.kind === 'write').map((r) => r.position!),
      });
      await s.exec('COMMIT');
      return result;
    });
    if (rows.length !== batch.length) throw new Error(`append_batch answered ${rows.length} of ${batch.length} appends`);
    return rows.map((r, i): Outcome => {
      const p = batch[i]!;
      switch (r.kind) {
        case 'write':
        case 'repeat':
          return { ok: true, result: { revision: r.revision!, position: r.position!, repeat: r.kind === 'repeat' }, wrote: r.kind === 'write' };
        case 'wrong':
          return {
            ok: false,
            error: new WrongExpectedRevisionError(p.stream, p.expected, r.revision! < 0n ? 'no-stream' : r.revision!),
          };
        case 'duplicate':
          return { ok: false, error: new DuplicateEventIdError(r.detail!) };
      }
    });
  }
}

// \u0000 cannot be stored in jsonb; reject it up front with a clear error instead of failing the group.
const NUL_ESCAPE = /(?<!\\)(?:\\\\)*\\u0000/;

function eventJson(e: EventDraft): string {
  const data = JSON.stringify(e.data);
  const metadata = JSON.stringify(e.metadata);
  if (NUL_ESCAPE.test(data) || NUL_ESCAPE.test(metadata)) {
    throw new TypeError(`append: event ${e.id} contains U+0000, which PostgreSQL jsonb cannot store`);
  }
  return `{"id":"${e.id}","t":${JSON.stringify(e.type)},"d":${data},"m":${metadata}}`;
}
