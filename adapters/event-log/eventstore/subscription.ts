// Subscriptions to the EventStoreDB log: $all catch-up then live through the client, resubscribing with a
// jittered backoff from the last position delivered whenever the call fails transiently or ends.
import { START, type AllStreamResolvedEvent, type AllStreamSubscription, type EventStoreDBClient } from '@eventstore/db-client';
import type { LogSubscription, RecordedEvent, SubscribeOptions } from '../event-log.js';
import { readToEnd } from './client.js';
import { isTransient, mapError } from './errors.js';
import { allPosition, compileFilter, isSystem, serverFilter, toRecorded, type RecordedLike } from './records.js';

/**
 * One port subscription: $all catch-up then live through the client, resubscribing with backoff from the last
 * position it saw whenever the call fails transiently or ends, so the consumer sees no gap and no repeat.
 */
export class EventStoreSubscription implements LogSubscription {
  private closed = false;
  private current: StreamingSource | undefined;
  private wakeSleep: (() => void) | undefined;
  private readonly iterator: AsyncGenerator<RecordedEvent>;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: SubscribeOptions,
    private readonly delays: { readonly initial: number; readonly max: number },
    private readonly onClose: () => void,
  ) {
    this.iterator = this.run();
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    return this.iterator;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeSleep?.();
    this.current?.finish();
    this.onClose();
  }

  private async *run(): AsyncGenerator<RecordedEvent> {
    const match = compileFilter(this.options.filter);
    const filter = serverFilter(this.options.filter);
    let last = this.options.after;
    let settled = last === undefined; // whether `last` is known to be an event's exact position
    let failures = 0;
    try {
      while (!this.closed) {
        try {
          if (!settled) {
            // A subscription starts after the first event at or after the given position, which skips an
            // event when no event sits exactly there. Read that first event to start from an exact position.
            const first = await this.firstAtOrAfter(last!);
            settled = true;
            if (first && first.position > last!) {
              last = first.position;
              if (first.event && !isSystem(first.event) && match(first.event.streamId, first.event.type)) {
                yield toRecorded(first.event, first.position);
              }
            }
            continue;
          }
          const source = new StreamingSource(
            this.client.subscribeToAll({
              fromPosition: last === undefined ? START : { commit: last, prepare: last },
              ...(filter ? { filter } : {}),
            }),
          );
          this.current = source;
          if (this.closed) source.finish();
          for (;;) {
            const resolved = await source.next();
            if (resolved === undefined) break; // ended by the server (resubscribe) or by close()
            failures = 0;
            const position = allPosition(resolved);
            if (last !== undefined && position <= last) continue; // never deliver twice
            last = position;
            const event = resolved.event;
            if (!event || isSystem(event) || !match(event.streamId, event.type)) continue;
            yield toRecorded(event, position);
          }
        } catch (err) {
          if (this.closed) break;
          if (!isTransient(err)) throw mapError(err);
        } finally {
          this.current?.finish();
          this.current = undefined;
        }
        if (this.closed) break;
        await this.sleep(backoff(this.delays, failures++));
      }
    } finally {
      await this.close();
    }
  }

  private async firstAtOrAfter(position: bigint): Promise<{ position: bigint; event: RecordedLike | undefined } | undefined> {
    const read = this.client.readAll({ fromPosition: { commit: position, prepare: position }, maxCount: 1 });
    const [resolved] = await readToEnd(read);
    return resolved && { position: allPosition(resolved), event: resolved.event };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = done;
    });
  }
}

/**
 * Pull-based reader over a client subscription: pauses the underlying stream when a batch is buffered, so the
 * consumer's pace bounds how far the subscription reads ahead. Errors and the end of the call surface in next().
 */
class StreamingSource {
  private readonly buffer: AllStreamResolvedEvent[] = [];
  private ended = false;
  private finished = false;
  private error: unknown;
  private wake: (() => void) | undefined;
  private static readonly BATCH = 64;

  constructor(private readonly stream: AllStreamSubscription) {
    stream.on('data', (event: AllStreamResolvedEvent) => {
      if (this.finished) return;
      this.buffer.push(event);
      if (this.buffer.length >= StreamingSource.BATCH) stream.pause();
      this.notify();
    });
    stream.on('error', (err: Error) => {
      this.error ??= err;
      this.notify();
    });
    // 'end' when the server completes the call; 'close' when the stream is torn down.
    stream.on('end', () => this.stop());
    stream.on('close', () => this.stop());
  }

  async next(): Promise<AllStreamResolvedEvent | undefined> {
    for (;;) {
      if (this.finished) return undefined;
      const event = this.buffer.shift();
      if (event) {
        if (this.buffer.length < StreamingSource.BATCH / 2 && this.stream.isPaused()) this.stream.resume();
        return event;
      }
      // Buffered events first: whatever arrived before a failure is delivered before it is reported.
      if (this.error !== undefined) throw this.error;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Stop reading and cancel the call; next() returns undefined from now on. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.buffer.length = 0;
    this.stop();
    this.stream.unsubscribe().catch(() => undefined);
    this.stream.destroy();
  }

  private stop(): void {
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

function backoff(delays: { readonly initial: number; readonly max: number }, attempt: number): number {
  const ceiling = Math.min(delays.max, delays.initial * 2 ** Math.min(attempt, 20));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
