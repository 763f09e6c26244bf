// Subscriptions to the PostgreSQL log: catch-up then live, woken by this process's commits and by
// LISTEN/NOTIFY from other processes, with polling as the fallback (notifications can be missed).
import { LogUnavailableError, type EventFilter, type LogSubscription, type RecordedEvent } from '../event-log.js';
import type { Listener, PostgresDatabase } from '../../read-store/postgres/database.js';
import type { AllPage } from './read.js';

/** Reads the $all page after a position (with the horizon when filtered). */
export type ReadPage = (after: bigint | undefined, max: number, filter: EventFilter | undefined) => Promise<AllPage>;

/** A log's open subscriptions and the one listener on its NOTIFY channel, started by the first subscription. */
export class Subscriptions {
  readonly #db: PostgresDatabase<any>;
  readonly #channel: string;
  readonly #read: ReadPage;
  readonly #batchSize: number;
  readonly #pollMs: number;
  readonly #open = new Set<PostgresSubscription>();
  #listener: Promise<Listener | undefined> | undefined;
  #closed = false;

  constructor(db: PostgresDatabase<any>, channel: string, read: ReadPage, batchSize: number, pollMs: number) {
    this.#db = db;
    this.#channel = channel;
    this.#read = read;
    this.#batchSize = batchSize;
    this.#pollMs = pollMs;
  }

  subscribe(after: bigint | undefined, filter: EventFilter | undefined): LogSubscription {
    const sub = new PostgresSubscription(
      { read: this.#read, ready: () => this.#ensureListener(), forget: (s) => this.#open.delete(s) },
      after,
      filter,
      this.#batchSize,
      this.#pollMs,
    );
    if (this.#closed) void sub.close();
    else this.#open.add(sub);
    return sub;
  }

  /** New events may be readable: wake every subscription. */
  signal(): void {
    for (const sub of this.#open) sub.signal();
  }

  /** Ends every subscription; later ones are born closed. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#open].map((s) => s.close()));
  }

  async stopListening(): Promise<void> {
    const listener = await this.#listener;
    await listener?.close();
  }

  #ensureListener(): Promise<unknown> {
    if (this.#closed && !this.#listener) return Promise.resolve();
    this.#listener ??= this.#db
      .listen(this.#channel, () => this.signal())
      .catch(() => undefined); // polling still works
    return this.#listener;
  }
}

interface SubscriptionSource {
  read: ReadPage;
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
        let page: AllPage;
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
