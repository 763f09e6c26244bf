// The projector runtime: follows the log from a checkpoint and applies events to a read model in batches,
// each batch and its checkpoint in one transaction; catch-up then live; one active instance per projection
// (a named lock: a standby takes over when the holder dies); rebuild from zero when the code's version moves.
// An event the projection cannot apply is skipped and recorded as a fault (faults.ts); the rest applies.
import { isLeft } from 'fp-ts/lib/Either.js';
import { envelopeOf, fromRecordedEvent } from '../ledger/index.js';
import type { EventLog, RecordedEvent } from '../adapters/event-log/index.js';
import { startFollower, type Follower, type FollowerTerm } from '../adapters/read-store/follower.js';
import type { ReadStore, SqlSession, SqlStatement } from '../adapters/read-store/read-store.js';
import { bulkLoadUnderWay, finishBulkLoad, startBulkLoad } from './bulk-load.js';
import { advanceCheckpointStatement, FencedError, isFencedByServer, loadCheckpoint, resetCheckpoint, type Checkpoint } from '../adapters/read-store/checkpoints.js';
import { isDeterministicFailure } from './failure-kind.js';
import { clearFaults, faultOf, faultStatement, listFaults, type ProjectionFault } from './faults.js';
import { inTransaction, inTransactionOpenedBy } from './in-transaction.js';
import { UnreadableEventError, type ProjectedEvent, type Projection } from './projection.js';

export interface ProjectorDeps {
  readonly log: EventLog;
  readonly store: ReadStore;
}

export interface ProjectorOptions {
  /** Schema of the read model and its checkpoint (default: the store's). */
  readonly schema?: string;
  /** Most events per transaction (default 1000). */
  readonly maxBatch?: number;
  /** A standby tries to take the lock this often (default 2 s). */
  readonly lockRetryMs?: number;
  /** First pause after a failure; doubles up to 30 s (default 500 ms). */
  readonly retryDelayMs?: number;
  /** How often the log's head is read for lag (default 1 s). */
  readonly headPollMs?: number;
  /** Failures are retried, events that cannot be applied skipped as faults; this hears about both. Default: a line on stderr. */
  readonly onError?: (error: unknown) => void;
  readonly clock?: () => number;
}

export type ProjectorState = 'standby' | 'catching-up' | 'live' | 'stopped';

export interface ProjectorStatus {
  readonly name: string;
  readonly state: ProjectorState;
  /** Last log position applied (undefined: none yet). */
  readonly checkpoint: bigint | undefined;
  /** The log's head at the last poll. */
  readonly head: bigint | undefined;
  /** Seconds between now and the sealing of the last applied event while behind; 0 when caught up. */
  readonly lagSeconds: number;
  readonly appliedEvents: number;
  readonly batches: number;
  /** Times this instance became the active one. */
  readonly activations: number;
  readonly failures: number;
  /** The last failure. */
  readonly lastError: string | undefined;
  /** The projection's unacknowledged faults in the read store, as last read (at activation, each fault, each head poll). */
  readonly faults: readonly ProjectionFault[];
  /** Has reached the head at least once since start (readiness: a first catch-up is not ready yet). */
  readonly caughtUpOnce: boolean;
}

export interface Projector {
  readonly name: string;
  status(): ProjectorStatus;
  /** Resolves true once `position` is applied, false after `timeoutMs` (default 10 s) or on close. */
  waitFor(position: bigint, timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A live projector writes a checkpoint move past events it does not read at most this often (a restart passes
 * over them again); a batch it applies writes the checkpoint at once.
 */
const PASS_OVER_WRITE_MS = 1000;

const IDLE = Symbol('idle');
const nextTurn = () => new Promise<typeof IDLE>((resolve) => setImmediate(() => resolve(IDLE)));

/** IDLE after `ms`; `cancel` clears the timer (a pending one would hold the process open at close). */
function idleAfter(ms: number): { readonly idle: Promise<typeof IDLE>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = new Promise<typeof IDLE>((resolve) => (timer = setTimeout(() => resolve(IDLE), ms)));
  return { idle, cancel: () => clearTimeout(timer) };
}

/** Whether `projection` reads events of `type` (see Projection.eventTypes). */
const reads = (projection: Projection, type: string): boolean =>
  projection.eventTypes === undefined || projection.eventTypes.some((prefix) => type.startsWith(prefix));

/** The log's records as sealed events (only those `projection` reads, if given); throws UnreadableEventError at an unreadable one. */
export function toProjectedEvents(records: readonly RecordedEvent[], projection?: Projection): readonly ProjectedEvent[] {
  const { events, unreadable } = decodeRecords(records, projection);
  const first = unreadable[0];
  if (first !== undefined) throw new UnreadableEventError(first.position, first.eventId, first.error);
  return events;
}

/** A batch of the log's records as `projection` sees them: the events it reads, and the faults of those it cannot. */
export interface DecodedBatch {
  readonly events: readonly ProjectedEvent[];
  /** Records of a type the projection reads whose envelope does not decode: skipped, recorded as faults. */
  readonly unreadable: readonly ProjectionFault[];
}

/** The records `projection` reads (all, without one), decoded; an unreadable envelope becomes a fault. */
export function decodeRecords(records: readonly RecordedEvent[], projection?: Projection): DecodedBatch {
  const events: ProjectedEvent[] = [];
  const unreadable: ProjectionFault[] = [];
  for (const r of records) {
    if (projection !== undefined && !reads(projection, r.type)) continue;
    const decoded = fromRecordedEvent(r);
    if (isLeft(decoded)) {
      const tenant: unknown = envelopeOf(r).tenant;
      unreadable.push({
        projection: projection?.name ?? '',
        position: r.position,
        eventId: r.id,
        eventType: r.type,
        // For the operator, as the envelope claims it (the envelope is what failed to decode).
        tenant: typeof tenant === 'string' ? tenant : undefined,
        error: decoded.left,
      });
    } else events.push({ position: r.position, event: decoded.right });
  }
  return { events, unreadable };
}

export { FencedError };

export interface ApplyBatchOptions {
  /** The batch belongs to a bulk load under way (bulk-load.ts) and goes through Projection.bulkLoad. */
  readonly bulk?: boolean;
  /** Faults already known (unreadable envelopes, decodeRecords): recorded with the checkpoint. */
  readonly unreadable?: readonly ProjectionFault[];
}

/**
 * Applies one batch and moves the checkpoint from `expected` to `through` (the batch's last log position,
 * by default its last event's), in one transaction. Throws FencedError (and writes nothing) when the
 * checkpoint was not at `expected`. A batch of events the projection does not read only moves the checkpoint.
 *
 * The rule for an event the projection cannot apply: when the batch fails deterministically (failure-kind.ts),
 * it is applied again in halves under savepoints, down to the single events that fail deterministically on
 * their own; those are skipped and recorded as faults in the same transaction, and the rest applies. The
 * rule depends only on the events and the projection's code, so a replay skips the same events and ends with
 * the same rows, whatever its batch size. A transient failure (of the batch or of a part) throws: the caller
 * retries the whole batch.
 * Returns the faults recorded.
 */
export async function applyBatch(
  store: ReadStore,
  schema: string,
  projection: Projection,
  events: readonly ProjectedEvent[],
  expected: bigint | undefined,
  through: bigint | undefined = events[events.length - 1]?.position,
  options: ApplyBatchOptions = {},
): Promise<readonly ProjectionFault[]> {
  if (through === undefined) return [];
  const bulkLoad = options.bulk === true ? projection.bulkLoad : undefined;
  if (options.bulk === true && bulkLoad === undefined) throw new Error(`projection ${projection.name} has no bulk load`);
  const write = (session: SqlSession, batch: readonly ProjectedEvent[]) =>
    bulkLoad !== undefined ? bulkLoad.apply(session, schema, batch) : projection.apply(session, schema, batch);
  // The checkpoint first (the opening's last statement): its row lock orders concurrent writers, and the compare fences a stale one by
  // raising, so the batch's writes and COMMIT can go in the same round trip (in-transaction.ts). The opening goes to the server with the
  // batch's first statement: a batch whose writes the projection leaves to the runtime is one round trip in all.
  // The commit does not wait for its WAL to reach disk: a read model is derived, and its checkpoint is in
  // the same transaction, so a crash loses both together and the projector applies the batch again from the
  // log. Only the log's appends need the flush.
  const opening = [{ text: 'SET LOCAL synchronous_commit TO off' }, advanceCheckpointStatement(schema, projection.name, expected, through)];
  /** The batch's transaction: `work` writes, returns the writes left to send with COMMIT, and adds the faults it finds. */
  const transaction = async (work: (session: SqlSession, faults: ProjectionFault[]) => Promise<readonly SqlStatement[]>) => {
    const faults = (options.unreadable ?? []).map((f) => ({ ...f, projection: projection.name }));
    try {
      await store.withSession((session) =>
        inTransactionOpenedBy(session, opening, async (riding) => {
          const closing = await work(riding, faults);
          return [...closing, ...faults.map((fault) => faultStatement(schema, fault))];
        }),
      );
    } catch (error) {
      if (isFencedByServer(error)) throw new FencedError(`projection ${projection.name}: checkpoint is no longer at ${String(expected)}`);
      throw error;
    }
    return faults;
  };
  try {
    return await transaction(async (session) => (events.length > 0 ? write(session, events) : []));
  } catch (error) {
    if (events.length === 0 || !isDeterministicFailure(error)) throw error;
  }
  // Isolate the events at fault by halving: each part under a savepoint; a part that fails deterministically
  // is rolled back and halved again, down to single events. The same events fail as event by event (a part's
  // writes are its events' in order), at about 2·log2(n) applies per fault instead of n.
  return transaction(async (session, faults) => {
    const isolate = async (part: readonly ProjectedEvent[]): Promise<void> => {
      await session.query('SAVEPOINT projection_part');
      try {
        // The writes left to the runtime go here, so that they fail under the savepoint.
        await session.pipeline(await write(session, part));
        await session.query('RELEASE SAVEPOINT projection_part');
        return;
      } catch (error) {
        if (!isDeterministicFailure(error)) throw error;
        await session.query('ROLLBACK TO SAVEPOINT projection_part');
        await session.query('RELEASE SAVEPOINT projection_part');
        if (part.length === 1) faults.push(faultOf(projection.name, part[0]!, error));
      }
      if (part.length > 1) {
        const half = Math.ceil(part.length / 2);
        await isolate(part.slice(0, half));
        await isolate(part.slice(half));
      }
    };
    // The whole batch just failed: start from its halves.
    if (events.length === 1) await isolate(events);
    else {
      const half = Math.ceil(events.length / 2);
      await isolate(events.slice(0, half));
      await isolate(events.slice(half));
    }
    return [];
  });
}

/** The stored checkpoint; when it belongs to another version of the code, the read model is emptied first. */
export async function prepareCheckpoint(store: ReadStore, schema: string, projection: Projection): Promise<Checkpoint> {
  const stored = await store.withSession((s) => loadCheckpoint(s, schema, projection.name, projection.version));
  if (stored.version === projection.version) return stored;
  await resetProjection(store, schema, projection);
  return { position: undefined, version: projection.version };
}

/**
 * Empties the read model's tables, its faults and its checkpoint in one transaction: the next run rebuilds
 * from zero, and records again the faults of the events that still cannot be applied.
 */
export async function resetProjection(store: ReadStore, schema: string, projection: Projection): Promise<void> {
  const tables = projection.tables.map((t) => `"${schema}".${t.name}`).join(', ');
  await store.withSession((s) =>
    inTransaction(s, async () => {
      if (tables.length > 0) await s.query(`TRUNCATE ${tables}`);
      await clearFaults(s, schema, projection.name);
      await resetCheckpoint(s, schema, projection.name, projection.version);
    }),
  );
}

/**
 * Projects from the stored checkpoint up to `until` (inclusive; default the log's head when called), then
 * returns the checkpoint. No lock and no subscription: for replays into a schema nobody else writes.
 * From zero with more than one batch to go, a projection with a bulk load rebuilds through it (bulk-load.ts);
 * a bulk load found under way (an interrupted rebuild) goes on. Either way it is finished before returning.
 */
export async function projectUntil(
  deps: ProjectorDeps,
  projection: Projection,
  options: {
    readonly schema: string;
    readonly until?: bigint;
    readonly maxBatch?: number;
    /** Called after each committed batch with the position reached and the events in it (a rebuild's progress). */
    readonly onBatch?: (through: bigint, events: number) => void;
  },
): Promise<bigint | undefined> {
  const { store, log } = deps;
  const schema = options.schema;
  const until = options.until ?? (await log.headPosition());
  let checkpoint = (await prepareCheckpoint(store, schema, projection)).position;
  const underWay = await bulkLoadUnderWay(store, schema, projection);
  let bulk = underWay && projection.bulkLoad !== undefined;
  const maxCount = options.maxBatch ?? 1000;
  // Reading and decoding the next page overlaps the current page's SQL (the database and Node work in parallel).
  const readPage = async (after: bigint | undefined, last: bigint) => {
    const page = await log.readAll({ ...(after === undefined ? {} : { after }), maxCount });
    const wanted = page.filter((r) => r.position <= last);
    return {
      ...decodeRecords(wanted, projection),
      through: wanted[wanted.length - 1]?.position,
      complete: wanted.length === page.length && page.length === maxCount,
    };
  };
  if (until !== undefined && (checkpoint === undefined || checkpoint < until)) {
    let next = readPage(checkpoint, until);
    for (;;) {
      const { events, unreadable, through, complete } = await next;
      if (through === undefined) break;
      const more = complete && through < until;
      next = more ? readPage(through, until) : Promise.resolve({ events: [], unreadable: [], through: undefined, complete: false });
      next.catch(() => {}); // a failed read is reported where it is awaited, not as an unhandled rejection
      // From zero with more than this batch to go: a rebuild, the case a bulk load is for.
      if (!bulk && checkpoint === undefined && more && projection.bulkLoad !== undefined) {
        await startBulkLoad(store, schema, projection);
        bulk = true;
      }
      await applyBatch(store, schema, projection, events, checkpoint, through, { bulk, unreadable });
      checkpoint = through;
      options.onBatch?.(through, events.length + unreadable.length);
    }
  }
  if (bulk || underWay) await finishBulkLoad(store, schema, projection);
  return checkpoint;
}

/** Starts following the log for `projection`; returns at once (standby until the lock is ours). */
export function startProjector(deps: ProjectorDeps, projection: Projection, options: ProjectorOptions = {}): Projector {
  return new RunningProjector(deps, projection, options);
}

class RunningProjector implements Projector {
  readonly name: string;
  readonly #deps: ProjectorDeps;
  readonly #projection: Projection;
  readonly #schema: string;
  readonly #maxBatch: number;
  readonly #onError: (error: unknown) => void;
  readonly #clock: () => number;
  readonly #follower: Follower;
  readonly #headTimer: NodeJS.Timeout;
  #closing = false;
  #state: ProjectorState = 'standby';
  /** Where the projector has applied (or passed over) the log to. */
  #checkpoint: bigint | undefined;
  /** The stored checkpoint: behind #checkpoint while a pass-over is not yet written (PASS_OVER_WRITE_MS). */
  #stored: bigint | undefined;
  /** performance.now() when #stored was last written. */
  #storedAt = -Infinity;
  #head: bigint | undefined;
  #lastSealedAt: number | undefined;
  #applied = 0;
  #batches = 0;
  /** performance.now() when the last live batch started applying (batchIntervalMs counts from it). */
  #lastBatchAt = -Infinity;
  #activations = 0;
  #failures = 0;
  #lastError: string | undefined;
  #faults: readonly ProjectionFault[] = [];
  #caughtUpOnce = false;
  #waiters: { readonly position: bigint; readonly resolve: (ok: boolean) => void }[] = [];

  constructor(deps: ProjectorDeps, projection: Projection, options: ProjectorOptions) {
    this.name = projection.name;
    this.#deps = deps;
    this.#projection = projection;
    this.#schema = options.schema ?? deps.store.schema;
    this.#maxBatch = options.maxBatch ?? 1000;
    this.#onError = options.onError ?? ((e) => console.error(`companyos: projection ${projection.name}:`, e instanceof Error ? e.message : e));
    this.#clock = options.clock ?? Date.now;
    const pollHead = () => {
      void deps.log.headPosition().then(
        (head) => {
          this.#head = head;
          this.#noteCaughtUp();
        },
        () => {},
      );
      // While active: faults an operator acknowledged (or another process recorded) show within a poll.
      if (this.#state === 'catching-up' || this.#state === 'live') void this.#readFaults().catch(() => {});
    };
    pollHead();
    this.#headTimer = setInterval(pollHead, options.headPollMs ?? 1000);
    this.#headTimer.unref();
    this.#follower = startFollower(
      deps.store,
      {
        lockName: `projection:${this.name}`,
        lockRetryMs: options.lockRetryMs ?? 2000,
        retryDelayMs: options.retryDelayMs ?? 500,
        onFailure: (error) => this.#fail(error),
        onStandby: () => {
          this.#state = 'standby';
          // The active instance reports the faults; a standby's would go stale.
          this.#faults = [];
        },
      },
      (term) => {
        this.#activations++;
        return this.#project(term);
      },
    );
  }

  status(): ProjectorStatus {
    const caughtUp = this.#caughtUp();
    this.#noteCaughtUp();
    const state = this.#state === 'catching-up' || this.#state === 'live' ? (caughtUp ? 'live' : 'catching-up') : this.#state;
    return {
      name: this.name,
      state,
      checkpoint: this.#checkpoint,
      head: this.#head,
      lagSeconds: caughtUp || this.#lastSealedAt === undefined ? 0 : Math.max(0, (this.#clock() - this.#lastSealedAt) / 1000),
      appliedEvents: this.#applied,
      batches: this.#batches,
      activations: this.#activations,
      failures: this.#failures,
      lastError: this.#lastError,
      faults: this.#faults,
      caughtUpOnce: this.#caughtUpOnce,
    };
  }

  /**
   * Readiness waits for a first catch-up: noted here whenever the checkpoint or the head moves, not only when
   * someone asks for the status, or a projector that caught up between two asks and then stalled (its store
   * away) would keep a server out of rotation.
   */
  #noteCaughtUp(): void {
    if ((this.#state === 'catching-up' || this.#state === 'live') && this.#caughtUp()) this.#caughtUpOnce = true;
  }

  #caughtUp(): boolean {
    return this.#head === undefined || (this.#checkpoint !== undefined && this.#checkpoint >= this.#head);
  }

  waitFor(position: bigint, timeoutMs = 10_000): Promise<boolean> {
    if (this.#checkpoint !== undefined && this.#checkpoint >= position) return Promise.resolve(true);
    if (this.#closing) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter = {
        position,
        resolve: (ok: boolean) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#headTimer);
    await this.#follower.close();
    this.#state = 'stopped';
    for (const w of this.#waiters) w.resolve(false);
    this.#waiters = [];
  }

  #fail(error: unknown): void {
    this.#failures++;
    this.#lastError = error instanceof Error ? error.message : String(error);
    this.#onError(error);
  }

  async #readFaults(): Promise<void> {
    this.#faults = await this.#deps.store.withSession((s) => listFaults(s, this.#schema, { projection: this.name }));
  }

  /** Projects while the lock is held; returns when closing or the lock is lost. */
  async #project(term: FollowerTerm): Promise<void> {
    const { store, log } = this.#deps;
    this.#state = 'catching-up';
    this.#checkpoint = this.#stored = (await prepareCheckpoint(store, this.#schema, this.#projection)).position;
    this.#storedAt = performance.now();
    await this.#readFaults();
    // A rebuild interrupted in bulk (projectUntil) is finished first: live operation needs its indexes and derived rows.
    if (await bulkLoadUnderWay(store, this.#schema, this.#projection)) await finishBulkLoad(store, this.#schema, this.#projection);
    this.#noteCaughtUp();
    this.#settleWaiters();
    const subscription = log.subscribe(this.#checkpoint === undefined ? {} : { after: this.#checkpoint });
    let stopped = false;
    const stop = () => {
      stopped = true;
      void subscription.close();
    };
    // At once if close() came while the lock or the checkpoint was being taken.
    term.onStop(stop);
    try {
      const it = subscription[Symbol.asyncIterator]();
      let pending = it.next();
      for (;;) {
        // A pass-over not yet written is written once the log stays quiet for the rest of its interval.
        const unwritten = this.#stored !== this.#checkpoint;
        const timer = unwritten ? idleAfter(Math.max(0, this.#storedAt + PASS_OVER_WRITE_MS - performance.now())) : undefined;
        const first = await (timer === undefined ? pending : Promise.race([pending, timer.idle]).finally(timer.cancel));
        if (first === IDLE) {
          if (stopped) return;
          await this.#commit([], [], this.#checkpoint!);
          continue;
        }
        if (first.done || stopped) return;
        const batch: RecordedEvent[] = [first.value];
        pending = it.next();
        /** Adds events to the batch until `idle()` wins the race for the next one, the batch is full, or the end. */
        const gather = async (idle: () => Promise<typeof IDLE>): Promise<void> => {
          while (batch.length < this.#maxBatch && !stopped) {
            const next = await Promise.race([pending, idle()]);
            if (next === IDLE || next.done) return;
            batch.push(next.value);
            pending = it.next();
          }
        };
        // Whatever the subscription already holds joins the batch; a live trickle goes out one by one.
        await gather(nextTurn);
        // A projection with a batch interval also gathers what arrives until the interval since its last batch is out.
        const wait = this.#lastBatchAt + (this.#projection.batchIntervalMs ?? 0) - performance.now();
        if (wait > 0) {
          const timer = idleAfter(wait);
          try {
            await gather(() => timer.idle);
          } finally {
            timer.cancel();
          }
        }
        if (stopped) return;
        this.#lastBatchAt = performance.now();
        const { events, unreadable } = decodeRecords(batch, this.#projection);
        const through = batch[batch.length - 1]!.position;
        // A batch with nothing this projection reads only moves the checkpoint: in memory at once, in the store at
        // most every PASS_OVER_WRITE_MS (each move would otherwise be a transaction per batch of other events).
        const passOver = events.length === 0 && unreadable.length === 0 && performance.now() - this.#storedAt < PASS_OVER_WRITE_MS;
        const faults = passOver ? [] : await this.#commit(events, unreadable, through);
        this.#checkpoint = through;
        if (faults.length > 0) {
          this.#faults = [...this.#faults, ...faults];
          for (const f of faults) this.#onError(new Error(`event ${f.eventId} at position ${f.position} skipped, recorded as a fault: ${f.error}`));
        }
        // Lag runs to the batch's last event, read or not (its envelope holds when it was sealed).
        const sealedAt: unknown = envelopeOf(batch[batch.length - 1]!).sealedAt;
        if (typeof sealedAt === 'string') this.#lastSealedAt = Date.parse(sealedAt);
        if (this.#head === undefined || this.#head < through) this.#head = through;
        this.#noteCaughtUp();
        this.#applied += events.length - faults.length + unreadable.length;
        this.#batches++;
        this.#settleWaiters();
      }
    } finally {
      await subscription.close();
    }
  }

  /** Applies a batch and moves the stored checkpoint from where it is to `through`. */
  async #commit(events: readonly ProjectedEvent[], unreadable: readonly ProjectionFault[], through: bigint): Promise<readonly ProjectionFault[]> {
    const faults = await applyBatch(this.#deps.store, this.#schema, this.#projection, events, this.#stored, through, { unreadable });
    this.#stored = through;
    this.#storedAt = performance.now();
    return faults;
  }

  #settleWaiters(): void {
    const at = this.#checkpoint;
    if (at === undefined) return;
    const ready = this.#waiters.filter((w) => w.position <= at);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.position > at);
    for (const w of ready) w.resolve(true);
  }
}
