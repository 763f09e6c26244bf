// What ParallelChainVerifier (commands/parallel-chain-verifier.ts) and its workers
// (commands/parallel-chain-worker.ts) say to each other. Apart from the verifier so that a worker's module
// graph is only what it runs: the worker is bundled into one script (commands/chain-worker-script.ts,
// bin/build.js), and the verifier's own imports (worker_threads, the script's bundling) are not its business.
import type { RecordedEvent } from '../adapters/event-log/index.js';
import { recordJsonText } from '../adapters/event-log/record-json.js';
import type { EventCheck, TrustAnchor } from '../ledger/index.js';
import type { JsonValue } from '../schemas/json.js';

/** What a worker is told first: the key chain's anchors and the rotations it follows. */
export interface ChainWorkerInit {
  readonly anchors: readonly TrustAnchor[];
  readonly rotations: readonly RecordedEvent[];
}

/**
 * A recorded event as posted to a worker: its plain fields, and its metadata and data as one JSON text
 * (`[metadata, data]`). Both are JSON values (the log returns them parsed from JSON), so the text parses back
 * to equal values; posting a string costs a copy, where a structured clone of the objects cost twice a
 * JSON.stringify here and twice a JSON.parse there.
 */
export interface WireEvent {
  readonly id: string;
  readonly stream: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly type: string;
  readonly json: string;
}

export interface ChainWorkerMessage {
  readonly seq: number;
  readonly events: readonly WireEvent[];
}

export interface ChainWorkerResult {
  readonly seq: number;
  /** One per event of the batch, in its order. */
  readonly checks: readonly EventCheck[];
}

/** The store's own JSON text when the record still carries it (ReadAllOptions.jsonText), else the values serialized. */
export function toWire(r: RecordedEvent): WireEvent {
  const json = recordJsonText(r) ?? JSON.stringify([r.metadata, r.data]);
  return { id: r.id, stream: r.stream, revision: r.revision, position: r.position, type: r.type, json };
}

export function recordedFromWire(w: WireEvent): RecordedEvent {
  const [metadata, data] = JSON.parse(w.json) as [JsonValue, JsonValue];
  return { id: w.id, stream: w.stream, revision: w.revision, position: w.position, type: w.type, metadata, data };
}
