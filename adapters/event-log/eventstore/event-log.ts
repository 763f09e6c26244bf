// EventStoreDB adapter of the event-log port: one EventStoreDB stream per port stream, event ids as the server's
// idempotency key, port positions = $all commit positions (bigint), and $all catch-up subscriptions that
// resubscribe from the last position they delivered when the server drops them or becomes unavailable.
// This class composes the parts: append.ts, read.ts, subscription.ts, records.ts, client.ts, errors.ts.
import { EventStoreDBClient } from '@eventstore/db-client';
import type { Channel } from '@grpc/grpc-js';
import {
  validateAppend,
  type AppendResult,
  type EventDraft,
  type EventLog,
  type ExpectedRevision,
  type LogSubscription,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
} from '../event-log.js';
import { appendEvents } from './append.js';
import { patchClient, toClientConnectionString } from './client.js';
import { headPosition, readAllEvents, readStreamEvents } from './read.js';
import { compileFilter } from './records.js';
import { EventStoreSubscription } from './subscription.js';

export { toClientConnectionString } from './client.js';
export { MissingPositionError } from './errors.js';

export interface EventStoreEventLogOptions {
  /** Resubscription backoff after a dropped subscription: first delay and cap, in ms (jittered, doubling). */
  readonly resubscribeDelayMs?: { readonly initial: number; readonly max: number };
  /** Events per $all page in readAll. */
  readonly readPageSize?: number;
}

/** Open the EventStoreDB log named by an `esdb://` connection string (EVENTSTORE_URL). Connects lazily. */
export async function openEventStoreLog(url: string, options: EventStoreEventLogOptions = {}): Promise<EventStoreEventLog> {
  return new EventStoreEventLog(url, options);
}

export class EventStoreEventLog implements EventLog {
  /** The underlying client, one per log (its BatchAppend bookkeeping is process-global: keep one log per process). */
  readonly client: EventStoreDBClient;
  private readonly subscriptions = new Set<EventStoreSubscription>();
  private readonly pageSize: number;
  private readonly delays: { readonly initial: number; readonly max: number };
  private readonly channels: Set<Channel>;
  private readonly appending = new Set<Promise<AppendResult>>();
  private closed = false;

  constructor(url: string, options: EventStoreEventLogOptions = {}) {
    this.client = EventStoreDBClient.connectionString(toClientConnectionString(url));
    this.pageSize = Math.max(2, options.readPageSize ?? 512);
    this.delays = options.resubscribeDelayMs ?? { initial: 100, max: 5_000 };
    this.channels = patchClient(this.client);
  }

  async append(stream: string, expected: ExpectedRevision, drafts: readonly EventDraft[]): Promise<AppendResult> {
    this.assertOpen();
    validateAppend(stream, expected, drafts);
    // close() lets appends already under way finish (each has the client's deadline) before it cancels calls.
    const pending = appendEvents(this.client, stream, expected, drafts);
    this.appending.add(pending);
    try {
      return await pending;
    } finally {
      this.appending.delete(pending);
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<readonly RecordedEvent[]> {
    this.assertOpen();
    return readStreamEvents(this.client, stream, options);
  }

  async readAll(options: ReadAllOptions = {}): Promise<readonly RecordedEvent[]> {
    this.assertOpen();
    return readAllEvents(this.client, this.pageSize, options);
  }

  async headPosition(): Promise<bigint | undefined> {
    this.assertOpen();
    return headPosition(this.client, this.pageSize);
  }

  /** EventStoreDB has no commit horizon: the last committed event is the head. */
  lastPosition(): Promise<bigint | undefined> {
    return this.headPosition();
  }

  subscribe(options: SubscribeOptions = {}): LogSubscription {
    this.assertOpen();
    if (options.after !== undefined && typeof options.after !== 'bigint') {
      throw new TypeError('subscribe: after must be a bigint');
    }
    compileFilter(options.filter); // validate now, not on first iteration
    const subscription = new EventStoreSubscription(this.client, options, this.delays, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await Promise.allSettled([...this.appending]);
    // A call that finished while its stream was paused never emits 'end'; let such streams flow out, since
    // dispose() waits for every stream it tracks to finish.
    const tracked = (this.client as unknown as { disposableStreams?: Set<{ resume?: () => void }> }).disposableStreams;
    for (const stream of tracked ?? []) stream.resume?.();
    await this.client.dispose();
    // dispose() cancels calls but leaves channels open; close them so nothing keeps the process alive.
    for (const channel of this.channels) channel.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('EventStoreEventLog is closed');
  }
}
