// Subscriptions to the PostgreSQL log: catch-up then live, woken by this process's commits and by
// LISTEN/NOTIFY from other processes, with polling as the fallback (notifications can be missed).
// A subscription catches up by reading for itself; at the head it joins the process's one tail reader
// (tail.ts), which reads each new page once for every subscription. It keeps its own position and a
// buffer of at most a batch; when the buffer is full (its consumer is slow) or the tail's read fails, it
// reads for itself again from its position, and joins the tail again at the head.
import { LogUnavailableError, type EventFilter, type LogSubscription, type RecordedEvent } from '../event-log.js';
import { compileFilter, type Matcher } from '../event-filter.js';
import type { Listener, PostgresDatabase } from '../../read-store/postgres/database.js';
import type { AllPage } from './read.js';
import { LogTail, type TailFollower } from './tail.js';

/** Reads the $all page after a position (with the horizon when filtered). */
export type ReadPage = (after: bigint | undefined, max: number, filter: EventFilter | undefined) => Promise<AllPage>;

/** A log's open subscriptions, their shared tail, and the one listener on its NOTIFY channel, started by the first subscription. */
export class Subscriptions {
  readonly #db: PostgresDatabase<any>;
  readonly #channel: string;
  readonly #read: ReadPage;
  readonly #batchSize: number;
  readonly #pollMs: number;
  readonly #open = new Set<PostgresSubscription>();
  readonly tail: LogTail;
  #listener: Promise<Listener | undefined> | undefined;
  #closed = false;

  constructor(db: PostgresDatabase<any>, channel: string, read: ReadPage, batchSize: number, pollMs: number) {
    this.#db = db;
    this.#channel = channel;
    this.#read = read;
    this.#batchSize = batchSize;
    this.#pollMs = pollMs;
    this.tail = new LogTail(read, batchSize, pollMs);
  }

  subscribe(after: bigint | undefined, filter: EventFilter | undefined): LogSubscription {
    const sub = new PostgresSubscription(
      {
        read: this.#read,
        tail: this.tail,
        ready: () => this.#ensureListener(),
        forget: (s) => {
          this.#open.delete(s);
          this.tail.drop(s);
        },
      },
      after,
      filter,
      this.#batchSize,
      this.#pollMs,
    );
    if (this.#closed) void sub.close();
    else this.#open.add(sub);
    return sub;
  }

  /** New events may be readable (up to `committed`, when a commit announced it): wake the tail and every subscription reading for itself. */
  signal(committed?: bigint): void {
    this.tail.signal(committed);
    for (const sub of this.#open) sub.signal();
  }

  /** Ends every subscription; later ones are born closed. */
  async close(): Promise<void> {
    this.#closed = true;
    this.tail.close();
    await Promise.all([...this.#open].map((s) => s.close()));
  }

  async stopListening(): Promise<void> {
    const listener = await this.#listener;
    await listener?.close();
  }

  #ensureListener(): Promise<unknown> {
    if (this.#closed && !this.#listener) return Promise.resolve();
    this.#listener ??= this.#db
      .listen(this.#channel, (payload) => this.signal(announcedPosition(payload)))
      .catch(() => undefined); // polling still works
    return this.#listener;
  }
}

/** A NOTIFY's payload: the last position of the commit that sent it ('' from a reconnect, or from a log before event-log/0003). */
function announcedPosition(payload: string): bigint | undefined {
  return /^[0-9]{1,19}$/.test(payload) ? BigInt(payload) : undefined;
}

interface SubscriptionSource {
  read: ReadPage;
  tail: LogTail;
  ready(): Promise<unknown>;
  forget(sub: PostgresSubscription): void;
}

/**
 * Catch-up then live. Reading for itself: reads a page after its position, yields it, and at the head joins
 * the tail. Following the tail: yields what the tail put in its buffer, and waits for more.
 */
class PostgresSubscription implements LogSubscription, TailFollower {
  readonly filter: EventFilter | undefined;
  readonly #match: Matcher;
  /** Taken (or passed over) up to here: buffered events included. */
  #through: bigint | undefined;
  /** Events the tail handed over, not yet yielded: at most a batch. */
  #buffer: RecordedEvent[] = [];
  #following = false;
  #hungry = false;
  #closed = false;
  #wake: (() => void) | undefined;
  readonly #iterator: AsyncGenerator<RecordedEvent, void, undefined>;

  constructor(
    private readonly source: SubscriptionSource,
    after: bigint | undefined,
    filter: EventFilter | undefined,
    private readonly batchSize: number,
    private readonly pollMs: number,
  ) {
    this.filter = filter;
    this.#match = compileFilter(filter);
    this.#through = after;
    this.#iterator = this.#run();
  }

  get through(): bigint | undefined {
    return this.#through;
  }

  /** Its consumer asked for the next event and the buffer is empty. */
  get hungry(): boolean {
    return this.#hungry;
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    return this.#iterator;
  }

  /** New events may be readable (heard while reading for itself; the tail hears it while following). */
  signal(): void {
    if (!this.#following) this.#wake?.();
  }

  offer(events: readonly RecordedEvent[], reached: bigint): boolean {
    if (this.#closed) return false;
    const from = this.#through;
    let took = false;
    for (const e of events) {
      if (from !== undefined && e.position <= from) continue;
      if (this.#match(e.stream, e.type)) {
        if (this.#buffer.length >= this.batchSize) {
          // Full: the consumer is behind. It reads for itself from here once its buffer is drained.
          this.#following = false;
          this.#wake?.();
          return false;
        }
        this.#buffer.push(e);
        took = true;
      }
      this.#through = e.position;
    }
    if (this.#through === undefined || reached > this.#through) this.#through = reached;
    if (took) {
      this.#hungry = false; // fed: the tail waits for it to ask again
      this.#wake?.();
    }
    return true;
  }

  leave(): void {
    this.#following = false;
    this.#wake?.();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#following = false;
    this.#buffer = [];
    this.source.forget(this);
    this.#wake?.();
  }

  async *#run(): AsyncGenerator<RecordedEvent, void, undefined> {
    try {
      await this.source.ready();
      while (!this.#closed) {
        if (this.#buffer.length > 0) {
          yield this.#buffer.shift()!;
          continue;
        }
        if (this.#following) {
          this.#hungry = true;
          this.source.tail.hungry();
          if (this.#following && this.#buffer.length === 0) await this.#sleep(undefined);
          this.#hungry = false;
          continue;
        }
        const tailSignals = this.source.tail.signals;
        let page: AllPage;
        try {
          page = await this.source.read(this.#through, this.batchSize, this.filter);
        } catch (err) {
          if (!(err instanceof LogUnavailableError)) throw err;
          await this.#sleep(this.pollMs); // the server is away: keep the position, try again
          continue;
        }
        for (const e of page.events) {
          if (this.#closed) return;
          this.#through = e.position;
          yield e;
        }
        if (this.#closed) return;
        if (page.events.length < this.batchSize) {
          if (page.horizon !== undefined && (this.#through === undefined || page.horizon > this.#through)) {
            this.#through = page.horizon;
          }
          // At the head: from now on the tail reads for it.
          this.#following = true;
          this.source.tail.join(this, tailSignals);
        }
      }
    } finally {
      await this.close();
    }
  }

  /** Until woken (an offer, a signal while reading for itself, leaving the tail, closing) or `ms` have passed. */
  #sleep(ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      if (ms !== undefined) timer = setTimeout(done, ms);
      this.#wake = done;
      if (this.#closed) done();
    });
  }
}
