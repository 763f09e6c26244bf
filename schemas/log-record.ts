// The shapes of the log's records: an event as handed to the log and as stored. They are shapes, not the
// port: ledger/ (pure) maps sealed events to and from them; the event-log port (adapters/event-log) moves them.
import type { JsonValue } from './json.js';

/** An event as handed to the log. `id` is a UUID and is the log's idempotency key. */
export interface EventDraft {
  readonly id: string;
  readonly type: string;
  readonly data: JsonValue;
  readonly metadata: JsonValue;
}

/** An event as stored: its stream, revision within the stream and position in the global order. */
export interface RecordedEvent extends EventDraft {
  readonly stream: string;
  readonly revision: bigint;
  readonly position: bigint;
}
