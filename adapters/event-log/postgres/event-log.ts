// The EventLog port on PostgreSQL or PGlite: group-committed appends with optimistic concurrency and
// idempotent event ids, stream reads, and a global order that readers follow without ever skipping a
// late commit (xmin horizon + a short sequencer lock), live via LISTEN/NOTIFY with a polling fallback.
// This class composes the parts: append.ts, read.ts, subscription.ts, errors.ts, schema.ts.
import type {
  AppendResult,
  EventDraft,
  EventLog,
  ExpectedRevision,
  LogSubscription,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
} from '../event-log.js';
import {
  assertIdentifier,
  migrate,
  openPostgres,
  quoteIdent,
  type OpenPostgresOptions,
  type PostgresDatabase,
} from '../../read-store/postgres/database.js';
import { GroupCommit } from './append.js';
import { LogReader } from './read.js';
import { eventLogMigrations, notifyChannel } from './schema.js';
import { Subscriptions } from './subscription.js';

export { eventLogMigrations, notifyChannel, sequencerLockKey } from './schema.js';

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

/**
 * PostgreSQL/PGlite implementation of the EventLog port.
 *
 * Appends are queued and group-committed (append.ts): one statement, append_batch (schema.ts), decides and
 * writes a whole group; each append gets its own result or error. At most one append per stream is in a group.
 *
 * Readers (read.ts) return only rows whose transaction is older than the snapshot's xmin, so a transaction
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
  readonly #appends: GroupCommit;
  readonly #reader: LogReader;
  readonly #subscriptions: Subscriptions;
  #closed = false;

  private constructor(database: PostgresDatabase<any>, options: PostgresEventLogOptions) {
    this.#db = database;
    this.#options = options;
    this.schema = assertIdentifier(options.schema ?? database.schema);
    const quoted = quoteIdent(this.schema);
    this.#appends = new GroupCommit(
      database,
      this.schema,
      quoted,
      {
        maxInFlight: Math.max(1, Math.min(options.maxInFlight ?? (database.kind === 'pg' ? 2 : 1), database.maxSessions)),
        maxBatchEvents: options.maxBatchEvents ?? 2000,
        parallelEvents: options.parallelEvents ?? 8,
        hooks: options.hooks,
      },
      // Wake this process's subscriptions now (other processes hear the NOTIFY sent with the commit).
      (position) => this.#subscriptions.signal(position),
    );
    this.#reader = new LogReader(database, quoted);
    this.#subscriptions = new Subscriptions(
      database,
      notifyChannel(this.schema),
      (after, max, filter) => this.#reader.readAllPage(after, max, filter, filter !== undefined),
      options.subscriptionBatchSize ?? 500,
      options.pollIntervalMs ?? 500,
    );
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

  append(stream: string, expected: ExpectedRevision, events: readonly EventDraft[]): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new Error('event log is closed'));
    return this.#appends.append(stream, expected, events);
  }

  readStream(stream: string, options: ReadStreamOptions = {}): Promise<readonly RecordedEvent[]> {
    return this.#reader.readStream(stream, options);
  }

  async readAll(options: ReadAllOptions = {}): Promise<readonly RecordedEvent[]> {
    return (await this.#reader.readAllPage(options.after, options.maxCount, options.filter, false, options.jsonText === true)).events;
  }

  headPosition(): Promise<bigint | undefined> {
    return this.#reader.headPosition();
  }

  lastPosition(): Promise<bigint | undefined> {
    return this.#reader.lastPosition();
  }

  subscribe(options: SubscribeOptions = {}): LogSubscription {
    if (options.after !== undefined && typeof options.after !== 'bigint') {
      throw new TypeError('subscribe: after must be a bigint');
    }
    return this.#subscriptions.subscribe(options.after, options.filter);
  }

  /** Ends subscriptions, lets queued appends finish, stops listening; closes the database if it owns it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#appends.stop();
    await this.#subscriptions.close();
    await this.#appends.idle();
    await this.#subscriptions.stopListening();
    if (this.#options.closeDatabase) await this.#db.close();
  }
}
