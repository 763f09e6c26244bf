// Verifying a log on every core: the signature and hash checks dominate (≈ 80 µs an event on one core), and
// they are independent across streams, so streams are dealt to worker threads (each stream whole to one
// worker, in the log's order, so its chain is judged as ledger/verify.ts's ChainVerifier judges it: that is
// what each worker runs, over the same key chain rebuilt from the same anchors and rotations). The report is
// the one a single ChainVerifier gives: counts summed, failures back in the order the events were fed.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { RecordedEvent } from '../adapters/event-log/index.js';
import type { ChainFailure, ChainReport, TrustAnchor } from '../ledger/index.js';

/** What a worker is told first: the key chain's anchors and the rotations it follows. */
export interface ChainWorkerInit {
  readonly anchors: readonly TrustAnchor[];
  readonly rotations: readonly RecordedEvent[];
}

export type ChainWorkerMessage = { readonly batch: readonly RecordedEvent[] } | { readonly finish: true };
export interface ChainWorkerResult {
  readonly eventsChecked: number;
  readonly streamsChecked: number;
  /** Each failure with its position in what this worker was fed. */
  readonly failures: readonly { readonly at: number; readonly failure: ChainFailure }[];
}

const BATCH = 256;
// The source under tsx, or the compiled file beside this one (bin/build.js).
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER = new URL(FROM_SOURCE ? './parallel-chain-worker.ts' : './parallel-chain-worker.js', import.meta.url);

/** Streams to workers by a hash of their name (FNV-1a): a stream's events always reach the same worker. */
function laneOf(stream: string, lanes: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

interface Lane {
  readonly worker: Worker;
  readonly fed: number[];
  pending: RecordedEvent[];
  readonly result: Promise<ChainWorkerResult>;
}

export class ParallelChainVerifier {
  readonly #lanes: Lane[];
  #fed = 0;

  constructor(init: ChainWorkerInit, workers = Math.max(2, availableParallelism())) {
    this.#lanes = Array.from({ length: workers }, () => {
      const worker = FROM_SOURCE
        // Under tsx (Node 20) a worker gets none of its loader: the worker registers it, then imports its entry.
        ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER.href)}); })`, { eval: true, workerData: init })
        : new Worker(WORKER, { workerData: init });
      const result = new Promise<ChainWorkerResult>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`chain verification worker exited (${code}) before it reported`)));
      });
      result.catch(() => {}); // reported where finish awaits it
      return { worker, fed: [], pending: [], result };
    });
  }

  add(r: RecordedEvent): void {
    const lane = this.#lanes[laneOf(r.stream, this.#lanes.length)]!;
    lane.fed.push(this.#fed++);
    lane.pending.push(r);
    if (lane.pending.length >= BATCH) this.#flush(lane);
  }

  async addAll(events: Iterable<RecordedEvent> | AsyncIterable<RecordedEvent>): Promise<void> {
    for await (const r of events) this.add(r);
  }

  async finish(): Promise<ChainReport> {
    try {
      for (const lane of this.#lanes) {
        this.#flush(lane);
        lane.worker.postMessage({ finish: true } satisfies ChainWorkerMessage);
      }
      const results = await Promise.all(this.#lanes.map((l) => l.result));
      const failures = results.flatMap((r, i) => r.failures.map((f) => ({ order: this.#lanes[i]!.fed[f.at]!, failure: f.failure })));
      failures.sort((a, b) => a.order - b.order);
      return {
        eventsChecked: results.reduce((n, r) => n + r.eventsChecked, 0),
        streamsChecked: results.reduce((n, r) => n + r.streamsChecked, 0),
        failures: failures.map((f) => f.failure),
      };
    } finally {
      await Promise.all(this.#lanes.map((l) => l.worker.terminate()));
    }
  }

  #flush(lane: Lane): void {
    if (lane.pending.length === 0) return;
    lane.worker.postMessage({ batch: lane.pending } satisfies ChainWorkerMessage);
    lane.pending = [];
  }
}
