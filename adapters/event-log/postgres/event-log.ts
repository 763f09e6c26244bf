// The EventLog port on PostgreSQL or PGlite: group-committed appends with optimistic concurrency and
// idempotent event ids, stream reads, and a global order that readers follow without ever skipping a
// late commit (xmin horizon + a short sequencer lock), live via LISTEN/NOTIFY with a polling fallback.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  DuplicateEventIdError,
  LogUnavailableError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventDraft,
  type EventFilter,
  type EventLog,
  type ExpectedRevision,
  type LogSubscription,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  validateAppend,
} from '../event-log.js';
import type { JsonValue } from '../../../schemas/json.js';
import {
  assertIdentifier,
  lockKey,
  migrate,
  openPostgres,
  quoteIdent,
  type Listener,
  type OpenPostgresOptions,
  type PostgresDatabase,
  type SqlSession,
} from '../../read-store/postgres/database.js';
import { eventLogMigrations } from './schema.js';

export { eventLogMigrations } from './schema.js';

export interface PostgresEventLogOptions {
  /** Schema holding `events` and `streams`; default: the database's schema. */
  readonly schema?: string;
  /** Group-commit transactions in flight at once (default 2 on a server, 1 on PGlite). */
  readonly maxInFlight?: number;
  /** Events per group-commit transaction before the rest waits for the next one (default 2000). */
  readonly maxBatchEvents?: number;
  /** Queued events needed before a further transaction starts while one is in flight (default 8). */
  readonly parallelEvents?: number;
  /** Subscriptions re-read at least this often, since notifications can be missed (default 500 ms). */
  readonly pollIntervalMs?: number;
  /** Events a subscription reads per query, i.e. how far it reads ahead of its consumer (default 500). */
  readonly subscriptionBatchSize?: number;
  /** close() also closes the database (set by openPostgresEventLog). */
  readonly closeDatabase?: boolean;
  /** Test hooks; never set in production. */
  readonly hooks?: PostgresEventLogHooks;
}

export interface PostgresEventLogHooks {
  /**
   * Runs after a group commit's rows are inserted (and the sequencer lock released), before COMMIT:
   * delaying here makes later appends commit first (the late-commit case readers must survive).
   * `positions` are the last positions of the appends written.
   */
  beforeCommit?(info: { readonly streams: readonly string[]; readonly positions: readonly bigint[] }): Promise<void>;
}

/**
 * Key of the sequencer lock (a session-level advisory lock) of a schema. A writer outside this adapter
 * must hold it while its transaction takes its xid and its positions (e.g. around its INSERT, as the
 * first write of the transaction) and may release it before COMMIT. See PostgresEventLog.
 */
export const sequencerLockKey = (schema: string): bigint => lockKey(`companyos.event-log.sequencer\0${schema}`);

/** NOTIFY channel of a schema's log (hashed: a short, safe identifier whatever the schema). */
export const notifyChannel = (schema: string): string =>
  `companyos_log_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}`;

/** Open a database (pg when `url` is set, else PGlite) with the log's migrations applied; close() closes both. */
export async function openPostgresEventLog(
  options: OpenPostgresOptions & PostgresEventLogOptions = {},
): Promise<PostgresEventLog> {
  const database = await openPostgres(options);
  try {
    return await PostgresEventLog.open(database, { ...options, closeDatabase: true });
  } catch (err) {
    await database.close();
    throw err;
  }
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

interface EventRow {
  readonly position: bigint;
  readonly stream: string;
  readonly revision: bigint;
  readonly id: string;
  readonly type: string;
  /** jsonb as text: parsed on first read (see toRecorded). */
  readonly data: string;
  readonly metadata: JsonValue;
}

/**
 * PostgreSQL/PGlite implementation of the EventLog port.
 *
 * Appends are queued and group-committed: one statement (append_batch, see event-log-schema.ts) takes
 * per-stream advisory locks in a stable order, reads the streams' revisions and any stored event ids,
 * decides every queued append (expected revision, idempotent repeat, duplicate id), inserts the
 * winners and commits; each append gets its own result or error. If the statement fails as a whole
 * (a value PostgreSQL rejects, a race with another process), the appends are retried one by one so
 * that only the culprit fails. At most one append per stream is in a group.
 *
 * Readers return only rows whose transaction is older than the snapshot's xmin, so a transaction
 * that commits late stalls them but is never skipped. That rule needs position order to be
 * transaction-id order, which a plain identity column does not give (a transaction can take its xid
 * first and its positions last); so every group takes its xid and its positions under a short
 * session advisory lock, the sequencer, released before COMMIT so that commits still overlap.
 * The horizon is cluster-wide: any long write transaction on the server delays readers (not writers).
 */
export class PostgresEventLog implements EventLog {
  readonly schema: string;
  readonly #db: PostgresDatabase<any>;
  readonly #options: PostgresEventLogOptions;
  readonly #maxInFlight: number;
  readonly #maxBatchEvents: number;
  readonly #parallelEvents: number;
  readonly #sequencer: string;
  readonly #channel: string;
  readonly #sql: ReturnType<typeof statements>;

  #pending: Pending[] = [];
  readonly #busyStreams = new Set<string>();
  #inFlight = 0;
  /** Start time of each transaction in flight. */
  readonly #started = new Map<number, number>();
  #flushes = 0;
  #stallTimer: NodeJS.Timeout | undefined;
  #idle: (() => void)[] = [];
  #closed = false;

  readonly #subscriptions = new Set<PostgresSubscription>();
  #listener: Promise<Listener | undefined> | undefined;

  private constructor(database: PostgresDatabase<any>, options: PostgresEventLogOptions) {
    this.#db = database;
    this.#options = options;
    this.schema = assertIdentifier(options.schema ?? database.schema);
    const sessions = database.maxSessions;
    this.#maxInFlight = Math.max(1, Math.min(options.maxInFlight ?? (database.kind === 'pg' ? 2 : 1), sessions));
    this.#maxBatchEvents = options.maxBatchEvents ?? 2000;
    this.#parallelEvents = options.parallelEvents ?? 8;
    this.#sequencer = sequencerLockKey(this.schema).toString();
    this.#channel = notifyChannel(this.schema);
    this.#sql = statements(quoteIdent(this.schema));
  }

  /** Apply the log's migrations to `options.schema` (default: the database's) and open the log on it. */
  static async open(database: PostgresDatabase<any>, options: PostgresEventLogOptions = {}): Promise<PostgresEventLog> {
    const log = new PostgresEventLog(database, options);
    await migrate(database, eventLogMigrations, log.schema);
    return log;
  }

  get database(): PostgresDatabase<any> {
    return this.#db;
  }

  // ---- append -----------------------------------------------------------------------------------

  append(stream: string, expected: ExpectedRevision, events: readonly EventDraft[]): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new Error('event log is closed'));
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

  #schedule(): void {
    while (this.#inFlight < this.#maxInFlight && this.#pending.length > 0) {
      // Another transaction in flight only pays when there is a lot to insert (small groups are
      // cheaper as one bigger group after the current commit), or when the one in flight is stuck.
      if (this.#inFlight > 0 && this.#pendingEvents() < this.#parallelEvents) {
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
      const full = batch.length > 0 && events + p.ids.length > this.#maxBatchEvents;
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
    if (outcomes.some((o) => o.ok && o.wrote)) this.#afterCommit();
  }

  /** One group commit: a single statement (one round trip) unless a test hook needs the gap before COMMIT. */
  async #commit(batch: readonly Pending[]): Promise<Outcome[]> {
    const keys = [...new Set(batch.map((p) => lockKey(`companyos.event-log.stream\0${this.schema}\0${p.stream}`)))];
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const params = [`[${batch.map((p) => p.json).join(',')}]`, `{${keys.join(',')}}`, this.#sequencer, this.#channel];
    const hook = this.#options.hooks?.beforeCommit;
    const rows = await this.#db.withSession(async (s: SqlSession) => {
      if (!hook) return s.query<BatchRow>(this.#sql.appendBatch, params);
      await s.exec('BEGIN');
      const result = await s.query<BatchRow>(this.#sql.appendBatch, params);
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

  /** Wake this process's subscriptions now (other processes hear the NOTIFY sent with the commit). */
  #afterCommit(): void {
    for (const sub of this.#subscriptions) sub.signal();
  }

  // ---- reads ------------------------------------------------------------------------------------

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<readonly RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const limit = limitParam(options.maxCount);
    if (limit === '0') return [];
    const from = options.fromRevision;
    if (from !== undefined && (typeof from !== 'bigint' || from < 0n)) {
      throw new RangeError('readStream: fromRevision must be a non-negative bigint');
    }
    const text = backwards ? this.#sql.readStreamBackwards : this.#sql.readStreamForwards;
    const rows = await this.#read(text, [stream, from === undefined ? null : from.toString(), limit]);
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<readonly RecordedEvent[]> {
    return (await this.#readAllPage(options.after, options.maxCount, options.filter, false)).events;
  }

  /**
   * Events after `after` below the xmin horizon, in position order. With `horizon`, also the highest
   * settled position of any stream (same snapshot), so a filtered reader can move past events it
   * does not want instead of scanning them again on every poll.
   */
  async #readAllPage(
    after: bigint | undefined,
    maxCount: number | undefined,
    filter: EventFilter | undefined,
    horizon: boolean,
  ): Promise<{ events: RecordedEvent[]; horizon: bigint | undefined }> {
    if (after !== undefined && typeof after !== 'bigint') throw new TypeError('readAll: after must be a bigint');
    const limit = limitParam(maxCount);
    if (limit === '0') return { events: [], horizon: undefined };
    const params: (string | null)[] = [(after ?? -1n).toString(), limit];
    let where = '';
    if (filter) {
      const { column, prefixes } =
        'streamPrefixes' in filter
          ? { column: 'stream', prefixes: filter.streamPrefixes }
          : { column: 'type', prefixes: filter.eventTypePrefixes };
      if (!Array.isArray(prefixes) || prefixes.length === 0) throw new TypeError('filter: at least one prefix');
      const terms = prefixes.map((p) => {
        if (typeof p !== 'string') throw new TypeError('filter: prefixes must be strings');
        params.push(escapeLike(p) + '%');
        return `${column} LIKE $${params.length}`;
      });
      where = `AND (${terms.join(' OR ')})`;
    }
    const s = quoteIdent(this.schema);
    const page = `SELECT position, stream, revision, id::text AS id, type, data::text AS data, metadata FROM ${s}.events
      WHERE position > $1::bigint AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) ${where}
      ORDER BY position LIMIT $2::bigint`;
    if (!horizon) return { events: (await this.#read(page, params)).map(toRecorded), horizon: undefined };
    const rows = await this.#read(
      `SELECT * FROM (${page}) page
       UNION ALL
       SELECT (SELECT max(position) FROM ${s}.events
                WHERE position > $1::bigint AND tx_id < pg_snapshot_xmin(pg_current_snapshot())),
              NULL, NULL, NULL, NULL, NULL, NULL`,
      params,
    );
    const events: RecordedEvent[] = [];
    let top: bigint | undefined;
    for (const r of rows) {
      if (r.stream === null) top = r.position ?? undefined;
      else events.push(toRecorded(r));
    }
    return { events, horizon: top };
  }

  async headPosition(): Promise<bigint | undefined> {
    // Descending on the position index, skipping rows above the horizon (commits still in flight).
    const rows = await this.#read(
      `SELECT position FROM ${quoteIdent(this.schema)}.events
       WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY position DESC LIMIT 1`,
      [],
    );
    return rows[0]?.position ?? undefined;
  }

  async #read(text: string, params: (string | null)[]): Promise<EventRow[]> {
    try {
      return await this.#db.withSession((s) => s.query<EventRow>(text, params));
    } catch (err) {
      throw mapError(err);
    }
  }

  // ---- subscriptions ----------------------------------------------------------------------------

  subscribe(options: SubscribeOptions = {}): LogSubscription {
    if (options.after !== undefined && typeof options.after !== 'bigint') {
      throw new TypeError('subscribe: after must be a bigint');
    }
    const sub = new PostgresSubscription(
      {
        read: (after, max, filter) => this.#readAllPage(after, max, filter, filter !== undefined),
        ready: () => this.#ensureListener(),
        forget: (s) => this.#subscriptions.delete(s),
      },
      options.after,
      options.filter,
      this.#options.subscriptionBatchSize ?? 500,
      this.#options.pollIntervalMs ?? 500,
    );
    if (this.#closed) void sub.close();
    else this.#subscriptions.add(sub);
    return sub;
  }

  #ensureListener(): Promise<unknown> {
    if (this.#closed && !this.#listener) return Promise.resolve();
    this.#listener ??= this.#db
      .listen(this.#channel, () => {
        for (const sub of this.#subscriptions) sub.signal();
      })
      .catch(() => undefined); // polling still works
    return this.#listener;
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  /** Ends subscriptions, lets queued appends finish, stops listening; closes the database if it owns it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    if (this.#inFlight > 0 || this.#pending.length > 0) {
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
    const listener = await this.#listener;
    await listener?.close();
    if (this.#options.closeDatabase) await this.#db.close();
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

/**
 * The row as a recorded event whose `data` is parsed when first read. Most consumers of `$all` (projectors
 * of other event types, the audit index) look at the type and metadata only; a metering batch's 10,000
 * records are ~1 MB of JSON that every one of them would otherwise parse.
 */
function toRecorded(r: EventRow): RecordedEvent {
  let text: string | undefined = r.data;
  let data: JsonValue = null;
  return {
    id: r.id,
    stream: r.stream,
    revision: r.revision,
    position: r.position,
    type: r.type,
    get data(): JsonValue {
      if (text !== undefined) {
        data = JSON.parse(text) as JsonValue;
        text = undefined;
      }
      return data;
    },
    metadata: r.metadata,
  };
}

function limitParam(maxCount: number | undefined): string | null {
  if (maxCount === undefined) return null;
  if (!Number.isSafeInteger(maxCount) || maxCount < 0) throw new RangeError('maxCount must be a non-negative integer');
  return String(maxCount);
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, '\\$&');

function statements(s: string) {
  return {
    appendBatch: `SELECT o_kind AS kind, o_revision AS revision, o_position AS position, o_detail AS detail
                    FROM ${s}.append_batch($1::jsonb, $2::bigint[], $3::bigint, $4::text)`,
    readStreamForwards: `
      SELECT position, stream, revision, id::text AS id, type, data::text AS data, metadata FROM ${s}.events
       WHERE stream = $1 AND revision >= coalesce($2::bigint, 0)
       ORDER BY revision LIMIT $3::bigint`,
    readStreamBackwards: `
      SELECT position, stream, revision, id::text AS id, type, data::text AS data, metadata FROM ${s}.events
       WHERE stream = $1 AND ($2::bigint IS NULL OR revision <= $2::bigint)
       ORDER BY revision DESC LIMIT $3::bigint`,
  };
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

function isUnavailable(err: unknown): boolean {
  if (err instanceof LogUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '53300') {
      return true;
    }
  }
  return /Connection terminated|connection error|Client was closed|not queryable/i.test(err.message);
}

// unique_violation, deadlock_detected, serialization_failure
const isRetryable = (err: unknown): boolean =>
  ['23505', '40P01', '40001'].includes(String((err as { code?: unknown } | undefined)?.code));

function mapError(err: unknown): unknown {
  if (isUnavailable(err) && !(err instanceof LogUnavailableError)) {
    return new LogUnavailableError(`event log unavailable: ${(err as Error).message}`, { cause: err });
  }
  return err;
}

interface SubscriptionSource {
  read(
    after: bigint | undefined,
    max: number,
    filter: EventFilter | undefined,
  ): Promise<{ events: RecordedEvent[]; horizon: bigint | undefined }>;
  ready(): Promise<unknown>;
  forget(sub: PostgresSubscription): void;
}

/** Catch-up then live: reads a page after its position, yields it, and waits for a signal or the poll timer. */
class PostgresSubscription implements LogSubscription {
  #after: bigint | undefined;
  #closed = false;
  #signals = 0;
  #wake: (() => void) | undefined;
  readonly #iterator: AsyncGenerator<RecordedEvent, void, undefined>;

  constructor(
    private readonly source: SubscriptionSource,
    after: bigint | undefined,
    private readonly filter: EventFilter | undefined,
    private readonly batchSize: number,
    private readonly pollMs: number,
  ) {
    this.#after = after;
    this.#iterator = this.#run();
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    return this.#iterator;
  }

  /** New events may be readable. */
  signal(): void {
    this.#signals++;
    this.#wake?.();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.source.forget(this);
    this.#wake?.();
  }

  async *#run(): AsyncGenerator<RecordedEvent, void, undefined> {
    try {
      await this.source.ready();
      while (!this.#closed) {
        const seen = this.#signals;
        let page: { events: RecordedEvent[]; horizon: bigint | undefined };
        try {
          page = await this.source.read(this.#after, this.batchSize, this.filter);
        } catch (err) {
          if (!(err instanceof LogUnavailableError)) throw err;
          await this.#sleep(); // the server is away: keep the position, try again
          continue;
        }
        for (const e of page.events) {
          if (this.#closed) return;
          this.#after = e.position;
          yield e;
        }
        if (this.#closed) return;
        if (page.events.length < this.batchSize) {
          if (page.horizon !== undefined && (this.#after === undefined || page.horizon > this.#after)) {
            this.#after = page.horizon;
          }
          if (this.#signals === seen) await this.#sleep();
        }
      }
    } finally {
      await this.close();
    }
  }

  /** Until signalled, closed, or the poll interval has passed. */
  #sleep(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      this.#wake = done;
      if (this.#closed) done();
    });
  }
}
