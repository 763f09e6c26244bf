// The supervised follower: one active instance per name among processes sharing a read store, the loop that
// projectors (projections/runtime.ts), the Maestro executor and the outbound relay each used to write by hand.
// What the three had in common, and this module is:
//   take the named lock (ReadStore.tryLock: a PostgreSQL session advisory lock on a dedicated connection, an
//   in-process lock on PGlite, whose directory one process owns) → none: stand by, try again every lockRetryMs;
//   held: run one term of the body → it returns: take the lock again at once; it throws: report, release the lock
//   (a standby may take over meanwhile) and back off (doubling, with jitter, up to a cap) → the lock is lost:
//   the term is told to stop, the body returns, back to standby → close: stop for good.
// A close that comes while the lock is being taken wins: the lock is released unused and no term starts; a
// term's stop hooks registered after the stop (the body was still loading its checkpoint) run at once. A
// follower closed during lock acquisition once subscribed afterwards and hung CI: follower.test.ts keeps it.
// Lives beside the read-store port because it is built on it alone; projections/ and commands/ may both import it.
import type { HeldLock, ReadStore } from './read-store.js';

/** One active period of a follower: the body runs while it holds the lock. */
export interface FollowerTerm {
  readonly lock: HeldLock;
  /** The term should end: the follower is closing or lost its lock. */
  readonly stopped: boolean;
  /** Runs `stop` when the term should end (at once if it already should). */
  onStop(stop: () => void): void;
}

export interface FollowerOptions {
  /** The lock that keeps one instance active. */
  readonly lockName: string;
  /** A standby tries to take the lock this often (ms). */
  readonly lockRetryMs: number;
  /** First pause after a failed term; doubles up to `maxRetryDelayMs`. */
  readonly retryDelayMs: number;
  /** Cap of the back-off (default 30 s). */
  readonly maxRetryDelayMs?: number;
  /** Jitter source in [0, 1) (default Math.random): a pause is between half and all of the back-off. */
  readonly random?: () => number;
  /** A failure taking the lock or of a term; the follower goes on. */
  onFailure(error: unknown, during: 'lock' | 'term'): void;
  /** Each time the lock is someone else's. */
  onStandby?(): void;
}

export interface Follower {
  /** Holds the lock and runs a term now. */
  readonly active: boolean;
  /** Stops the current term, waits for it, releases the lock; the follower never runs again. */
  close(): Promise<void>;
}

/** Starts following at once (standby until the lock is ours); `term` is the body, run once per active period. */
export function startFollower(store: Pick<ReadStore, 'tryLock'>, options: FollowerOptions, term: (term: FollowerTerm) => Promise<void>): Follower {
  return new SupervisedFollower(store, options, term);
}

class SupervisedFollower implements Follower {
  readonly #store: Pick<ReadStore, 'tryLock'>;
  readonly #options: FollowerOptions;
  readonly #body: (term: FollowerTerm) => Promise<void>;
  readonly #done: Promise<void>;
  #closing = false;
  #active = false;
  #wake: (() => void) | undefined;
  #stopTerm: (() => void) | undefined;

  constructor(store: Pick<ReadStore, 'tryLock'>, options: FollowerOptions, body: (term: FollowerTerm) => Promise<void>) {
    this.#store = store;
    this.#options = options;
    this.#body = body;
    this.#done = this.#run();
  }

  get active(): boolean {
    return this.#active;
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#wake?.();
    this.#stopTerm?.();
    await this.#done;
  }

  /** Waits `ms`, or less if closed meanwhile. */
  #pause(ms: number): Promise<void> {
    if (this.#closing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    }).finally(() => (this.#wake = undefined));
  }

  async #run(): Promise<void> {
    const { lockName, lockRetryMs, retryDelayMs, onFailure } = this.#options;
    const maxDelay = this.#options.maxRetryDelayMs ?? 30_000;
    const random = this.#options.random ?? Math.random;
    let delay = retryDelayMs;
    while (!this.#closing) {
      let lock: HeldLock | undefined;
      try {
        lock = await this.#store.tryLock(lockName);
      } catch (error) {
        onFailure(error, 'lock');
      }
      if (lock !== undefined && this.#closing) {
        // Closed while the lock was being taken: give it back unused.
        await lock.release().catch(() => undefined);
        break;
      }
      if (lock === undefined) {
        this.#options.onStandby?.();
        await this.#pause(lockRetryMs);
        continue;
      }
      let failed = false;
      this.#active = true;
      try {
        await this.#term(lock);
        delay = retryDelayMs;
      } catch (error) {
        failed = true;
        onFailure(error, 'term');
      } finally {
        this.#active = false;
        await lock.release().catch(() => undefined);
      }
      if (this.#closing) break;
      if (failed) {
        await this.#pause(delay * (0.5 + random() / 2));
        delay = Math.min(delay * 2, maxDelay);
      }
    }
  }

  async #term(lock: HeldLock): Promise<void> {
    let stopped = false;
    const hooks: (() => void)[] = [];
    const stop = () => {
      if (stopped) return;
      stopped = true;
      for (const h of hooks.splice(0)) h();
    };
    this.#stopTerm = stop;
    void lock.lost.then(stop);
    try {
      await this.#body({
        lock,
        get stopped() {
          return stopped;
        },
        onStop(hook) {
          if (stopped) hook();
          else hooks.push(hook);
        },
      });
    } finally {
      this.#stopTerm = undefined;
    }
  }
}
