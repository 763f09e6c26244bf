// Creates the JetStream streams and the durable ingest consumer if they are missing, and leaves existing
// ones as an operator configured them (creation races between processes are harmless).
import { AckPolicy, DeliverPolicy, DiscardPolicy, NatsError, nanos, RetentionPolicy, StorageType, type JetStreamManager } from 'nats';

export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly description: string;
  /** Message ids are remembered this long; re-sends within it are acknowledged, not stored again. */
  readonly duplicateWindowMs: number;
  /** 'workqueue': a message is removed once acknowledged (ingest); 'limits': kept (events, dead letters). */
  readonly retention: 'limits' | 'workqueue';
  /** 0 or unset: kept until removed. */
  readonly maxAgeMs?: number;
}

export interface ConsumerSpec {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject: string;
  /** Unacknowledged messages are redelivered after this long. */
  readonly ackWaitMs: number;
  /** Messages handed out and not yet acknowledged, across every client of the consumer. */
  readonly maxAckPending: number;
}

const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;

const apiCode = (err: unknown): number | undefined => (err instanceof NatsError ? err.api_error?.err_code : undefined);

export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<void> {
  try {
    await jsm.streams.info(spec.name);
    return;
  } catch (err) {
    if (apiCode(err) !== STREAM_NOT_FOUND) throw err;
  }
  try {
    await jsm.streams.add({
      name: spec.name,
      subjects: [...spec.subjects],
      description: spec.description,
      retention: spec.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      duplicate_window: nanos(spec.duplicateWindowMs),
      max_age: nanos(spec.maxAgeMs ?? 0),
    });
  } catch (err) {
    // Another process created it between our look and our add.
    if (!(await exists(() => jsm.streams.info(spec.name)))) throw err;
  }
}

export async function ensureConsumer(jsm: JetStreamManager, spec: ConsumerSpec): Promise<void> {
  try {
    await jsm.consumers.info(spec.stream, spec.durable);
    return;
  } catch (err) {
    if (apiCode(err) !== CONSUMER_NOT_FOUND) throw err;
  }
  try {
    await jsm.consumers.add(spec.stream, {
      durable_name: spec.durable,
      filter_subject: spec.filterSubject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(spec.ackWaitMs),
      // Unlimited here: the ingest decides when a message has failed often enough (see ingest.ts).
      max_deliver: -1,
      max_ack_pending: spec.maxAckPending,
    });
  } catch (err) {
    if (!(await exists(() => jsm.consumers.info(spec.stream, spec.durable)))) throw err;
  }
}

async function exists(look: () => Promise<unknown>): Promise<boolean> {
  try {
    await look();
    return true;
  } catch {
    return false;
  }
}
