// Verifying a log on every core: each event's own checks (decode, hash, key chain, Ed25519: ≈ 80–110 µs an
// event on one core) are independent of every other event's, so batches of events are dealt to worker
// threads evenly, whatever their streams (one busy stream no longer leaves a core idle), each worker running
// ledger/verify.ts's checkEvent over the same key chain rebuilt from the same anchors and rotations. The
// links between a stream's events (revision, prevHash) are judged here, in the order the events were fed,
// by a ChainVerifier, as the results come back: the report is exactly the one a single ChainVerifier gives.
// While the workers check, this thread reads the next pages (`ready()` holds the reader back when they lag).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { RecordedEvent } from '../adapters/event-log/index.js';
import { ChainVerifier, Keyring, type ChainReport, type EventCheck } from '../ledger/index.js';
import { chainWorkerScript } from './chain-worker-script.js';
import { toWire, type ChainWorkerInit, type ChainWorkerMessage, type ChainWorkerResult } from './parallel-chain-wire.js';

export type { ChainWorkerInit } from './parallel-chain-wire.js';

const BATCH = 256;
/** Batches in flight per worker before `ready()` holds the reader back. */
const AHEAD = 4;
// From source (under tsx), the worker bundled in memory (commands/chain-worker-script.ts); compiled, the
// bundle bin/build.js wrote beside this file.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER = new URL('./parallel-chain-worker.js', import.meta.url);

interface Lane {
  readonly worker: Worker;
  inFlight: number;
}

interface Batch {
  readonly events: readonly RecordedEvent[];
  checks?: readonly EventCheck[];
}

export class ParallelChainVerifier {
  readonly #lanes: Lane[];
  /** Links judged here, from the workers' checks, in feed order. */
  readonly #links = new ChainVerifier(new Keyring([]));
  readonly #onChecked: ((r: RecordedEvent, check: EventCheck) => void) | undefined;
  /** Batches sent and not yet judged, by sequence number; `#next` is the first to judge. */
  readonly #batches = new Map<number, Batch>();
  #sent = 0;
  #next = 0;
  #pending: RecordedEvent[] = [];
  #failed: Error | undefined;
  #wake: (() => void) | undefined;

  /** `onChecked`: each event with its own checks, in feed order (a tenant's tree rebuilt from the same read). */
  constructor(init: ChainWorkerInit, workers = Math.max(2, availableParallelism()), onChecked?: (r: RecordedEvent, check: EventCheck) => void) {
    this.#onChecked = onChecked;
    this.#lanes = Array.from({ length: workers }, () => {
      const worker = FROM_SOURCE ? new Worker(chainWorkerScript(), { eval: true, workerData: init }) : new Worker(WORKER, { workerData: init });
      const lane: Lane = { worker, inFlight: 0 };
      worker.on('message', (result: ChainWorkerResult) => {
        lane.inFlight--;
        this.#batches.get(result.seq)!.checks = result.checks;
        this.#judge();
      });
      worker.once('error', (err) => this.#fail(err));
      worker.once('exit', (code) => this.#fail(new Error(`chain verification worker exited (${code}) before it reported`)));
      return lane;
    });
  }

  add(r: RecordedEvent): void {
    this.#pending.push(r);
    if (this.#pending.length >= BATCH) this.#send();
  }

  async addAll(events: Iterable<RecordedEvent> | AsyncIterable<RecordedEvent>): Promise<void> {
    for await (const r of events) {
      this.add(r);
      if (this.#pending.length === 0) await this.ready();
    }
  }

  /** Resolves when the workers have room for more (a reader awaits it between pages). */
  async ready(): Promise<void> {
    while (this.#failed === undefined && this.#sent - this.#next > AHEAD * this.#lanes.length) await this.#changed();
    if (this.#failed !== undefined) throw this.#failed;
  }

  async finish(): Promise<ChainReport> {
    try {
      this.#send();
      while (this.#failed === undefined && this.#next < this.#sent) await this.#changed();
      if (this.#failed !== undefined) throw this.#failed;
      return this.#links.finish();
    } finally {
      for (const l of this.#lanes) l.worker.removeAllListeners('exit');
      await Promise.all(this.#lanes.map((l) => l.worker.terminate()));
    }
  }

  /** The pending events as one batch, to the worker with the fewest batches in flight. */
  #send(): void {
    if (this.#pending.length === 0) return;
    const events = this.#pending;
    this.#pending = [];
    const lane = this.#lanes.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const seq = this.#sent++;
    this.#batches.set(seq, { events });
    lane.inFlight++;
    lane.worker.postMessage({ seq, events: events.map(toWire) } satisfies ChainWorkerMessage);
  }

  /** Judges the links of every batch whose checks are back, in order. */
  #judge(): void {
    for (let b = this.#batches.get(this.#next); b?.checks !== undefined; b = this.#batches.get(this.#next)) {
      try {
        for (let i = 0; i < b.events.length; i++) {
          const r = b.events[i]!;
          const c = b.checks[i]!;
          this.#links.addChecked(r, c);
          this.#onChecked?.(r, c);
        }
      } catch (err) {
        this.#fail(err instanceof Error ? err : new Error(String(err)));
      }
      this.#batches.delete(this.#next++);
    }
    this.#notify();
  }

  #fail(err: Error): void {
    this.#failed ??= err;
    this.#notify();
  }

  #changed(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve));
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
