// The outbound relay: follows the log from its checkpoint and publishes every committed event to the bus, many
// in flight, acknowledged in order; the checkpoint only passes acknowledged events, in batches. After a crash
// the events since it are re-sent with the same message id, which the bus's duplicate window drops.
// One active relay per name: a supervised follower (adapters/read-store/follower.ts) under the lock `relay:<name>`,
// its checkpoint moved by compare-and-set, so a relay that lost its lock stops at its next save instead of
// writing over its successor's. Built on ports only (log, bus, checkpoints, lock, message shape);
// adapters/nats/relay.ts composes it with PostgreSQL and NATS.
import type { EventFilter, EventLog, RecordedEvent } from '../adapters/event-log/index.js';
import type { Bus, PublishAck } from '../adapters/nats/bus.js';
import { FencedError } from '../adapters/read-store/checkpoints.js';
import { startFollower, type Follower, type FollowerTerm } from '../adapters/read-store/follower.js';
import type { ReadStore } from '../adapters/read-store/read-store.js';
import { Signal } from './signal.js';

/** Where the relay keeps its position (adapters/read-store/checkpoints.ts): compare-and-set. */
export interface RelayCheckpoints {
  /** undefined: nothing published yet (start from the beginning of the log). */
  load(name: string): Promise<bigint | undefined>;
  /** Moves it from `expected` to `next`; false when it was not at `expected` (another relay moved it). */
  advance(name: string, expected: bigint | undefined, next: bigint): Promise<boolean>;
}

/** One event as published. */
export interface RelayMessage {
  readonly subject: string;
  readonly msgId: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly data: Uint8Array;
}

export interface RelayPorts {
  readonly log: EventLog;
  readonly bus: Bus;
  readonly checkpoints: RelayCheckpoints;
  /** The followers' lock (ReadStore.tryLock), taken as `relay:<name>`: one relay of a name active. */
  readonly lock: Pick<ReadStore, 'tryLock'>;
  /** The message an event is published as. */
  readonly message: (event: RecordedEvent) => RelayMessage;
}

export interface OutboundRelayOptions {
  /** Checkpoint and lock name (default 'companyos-events'): relays of different names run independently. */
  readonly name?: string;
  /** Only these events (default: all). */
  readonly filter?: EventFilter;
  /** Publishes awaiting their ack (default 1000). */
  readonly maxInFlight?: number;
  /** Save the checkpoint after this many acknowledged events… (default 1000) */
  readonly checkpointEvery?: number;
  /** …or when this long has passed with unsaved progress (default 1000 ms). */
  readonly checkpointIntervalMs?: number;
  /** First pause after a failure; doubles up to 30 s (default 500 ms). */
  readonly retryDelayMs?: number;
  /** A standby relay tries to take the lock this often (default 5 s). */
  readonly lockRetryMs?: number;
  /** Failures (bus, log, database) are retried; this hears about them. Default: one line on stderr. */
  readonly onError?: (error: unknown) => void;
}

export interface RelayStats {
  /** Holds the lock and is publishing. */
  readonly active: boolean;
  /** Times this relay took the lock. */
  readonly activations: number;
  /** Highest log position the bus has acknowledged (with every position before it). */
  readonly acknowledged: bigint | undefined;
  /** Last saved checkpoint. */
  readonly checkpoint: bigint | undefined;
  /** Publishes acknowledged, and of those, acknowledged as duplicates (re-sends). */
  readonly published: number;
  readonly duplicates: number;
  readonly failures: number;
}

export interface RelayHandle {
  stats(): RelayStats;
  /** Stops reading, waits for the publishes in flight and saves the checkpoint. */
  close(): Promise<void>;
}

export function startOutboundRelay(ports: RelayPorts, options: OutboundRelayOptions = {}): RelayHandle {
  const relay = new Relay(ports, options);
  relay.start();
  return relay;
}

interface InFlight {
  readonly position: bigint;
  readonly ack: Promise<PublishAck>;
}

class Relay implements RelayHandle {
  readonly #deps: RelayPorts;
  readonly #name: string;
  readonly #options: OutboundRelayOptions;
  readonly #store: RelayCheckpoints;
  readonly #onError: (error: unknown) => void;
  #follower: Follower | undefined;

  #active = false;
  #activations = 0;
  #acknowledged: bigint | undefined;
  #checkpoint: bigint | undefined;
  #published = 0;
  #duplicates = 0;
  #failures = 0;

  constructor(deps: RelayPorts, options: OutboundRelayOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#name = options.name ?? 'companyos-events';
    this.#store = deps.checkpoints;
    this.#onError = options.onError ?? ((e) => console.error(`companyos relay ${this.#name}: ${e instanceof Error ? e.message : String(e)}`));
  }

  start(): void {
    this.#follower = startFollower(
      this.#deps.lock,
      {
        lockName: `relay:${this.#name}`,
        lockRetryMs: this.#options.lockRetryMs ?? 5000,
        retryDelayMs: this.#options.retryDelayMs ?? 500,
        onFailure: (error, during) => {
          if (during === 'term') this.#failures++;
          this.#onError(error);
        },
      },
      async (term) => {
        this.#active = true;
        this.#activations++;
        try {
          await this.#relay(term);
        } finally {
          this.#active = false;
        }
      },
    );
  }

  stats(): RelayStats {
    return {
      active: this.#active,
      activations: this.#activations,
      acknowledged: this.#acknowledged,
      checkpoint: this.#checkpoint,
      published: this.#published,
      duplicates: this.#duplicates,
      failures: this.#failures,
    };
  }

  async close(): Promise<void> {
    await this.#follower?.close();
  }

  /** One active period: resume after the checkpoint; returns when told to stop, throws on a failure. */
  async #relay(term: FollowerTerm): Promise<void> {
    const { log, bus } = this.#deps;
    const maxInFlight = this.#options.maxInFlight ?? 1000;
    const every = this.#options.checkpointEvery ?? 1000;
    const intervalMs = this.#options.checkpointIntervalMs ?? 1000;

    const from = await this.#store.load(this.#name);
    this.#checkpoint = from;
    this.#acknowledged = from;
    const subscription = log.subscribe({ after: from, ...(this.#options.filter ? { filter: this.#options.filter } : {}) });
    const window: InFlight[] = [];
    const pushed = new Signal();
    const space = new Signal();
    let failure: { error: unknown } | undefined;
    let stopped = false;
    const stop = () => {
      stopped = true;
      void subscription.close();
      space.notify();
    };
    // At once if close() came while the lock or the checkpoint was being taken.
    term.onStop(stop);

    let readingDone = false;
    let unsaved = 0;
    let savedAt = Date.now();
    const save = async () => {
      const position = this.#acknowledged;
      if (position === undefined || position === this.#checkpoint) return;
      if (!(await this.#store.advance(this.#name, this.#checkpoint, position))) {
        throw new FencedError(`relay ${this.#name}: checkpoint is no longer at ${String(this.#checkpoint)}`);
      }
      this.#checkpoint = position;
      unsaved = 0;
      savedAt = Date.now();
    };

    // Acknowledgements in publish order: the checkpoint may only pass an event once all before it are in.
    const acknowledging = (async () => {
      for (;;) {
        const head = window[0];
        if (head === undefined) {
          if (readingDone) return;
          if (unsaved > 0) {
            const left = intervalMs - (Date.now() - savedAt);
            if (left <= 0) await save();
            else await pushed.wait(left);
          } else await pushed.wait();
          continue;
        }
        const ack = await head.ack; // a rejection ends this period; the caller starts over from the checkpoint
        window.shift();
        space.notify();
        this.#acknowledged = head.position;
        this.#published++;
        if (ack.duplicate) this.#duplicates++;
        if (++unsaved >= every || Date.now() - savedAt >= intervalMs) await save();
      }
    })().catch((error: unknown) => {
      failure ??= { error };
      stop();
    });

    try {
      for await (const event of subscription) {
        while (window.length >= maxInFlight && !stopped) await space.wait();
        if (stopped) break;
        const m = this.#deps.message(event);
        const ack = bus.publish(m.subject, m.data, { msgId: m.msgId, headers: m.headers });
        ack.catch(() => {}); // observed in order by the acknowledging loop
        window.push({ position: event.position, ack });
        pushed.notify();
      }
      if (!stopped) failure ??= { error: new Error('the log subscription ended') };
    } catch (error) {
      failure ??= { error };
    } finally {
      readingDone = true;
      pushed.notify();
      await subscription.close();
    }
    await acknowledging;
    if (failure !== undefined) {
      // Keep what was acknowledged before the failure; a lost save only means more re-sends.
      await save().catch(() => {});
      throw failure.error;
    }
    await save();
  }
}
