// EventStoreDB adapter of the event-log port: one EventStoreDB stream per port stream, event ids as the server's
// idempotency key, port positions = $all commit positions (bigint), and $all catch-up subscriptions that
// resubscribe from the last position they delivered when the server drops them or becomes unavailable.
import {
  ANY,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  NotLeaderError,
  START,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  eventTypeFilter,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type Filter,
  type JSONType,
  type ResolvedEvent,
  type StreamingRead,
} from '@eventstore/db-client';
import type { Channel, Client as GrpcClient } from '@grpc/grpc-js';
import {
  DuplicateEventIdError,
  LogUnavailableError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventDraft,
  type EventFilter,
  type EventLog,
  type ExpectedRevision,
  type LogSubscription,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  validateAppend,
} from '../event-log.js';
import type { JsonValue } from '../../../schemas/json.js';

export interface EventStoreEventLogOptions {
  /** Resubscription backoff after a dropped subscription: first delay and cap, in ms (jittered, doubling). */
  readonly resubscribeDelayMs?: { readonly initial: number; readonly max: number };
  /** Events per $all page in readAll. */
  readonly readPageSize?: number;
}

/** Servers report "no position" as the all-ones 64-bit value. */
const NO_POSITION = 2n ** 64n - 1n;
// gRPC status codes (from @grpc/grpc-js `status`), for errors the client passes through unconverted.
const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_ABORTED = 10;
const GRPC_UNAVAILABLE = 14;
const CHANNEL_SHUTDOWN = 4; // ConnectivityState.SHUTDOWN

type RecordedLike = NonNullable<ResolvedEvent['event']> | NonNullable<AllStreamResolvedEvent['event']>;
type Matcher = (stream: string, type: string) => boolean;

/** Connection strings the configuration accepts, in the form this client parses (esdb:// or esdb+discover://). */
export function toClientConnectionString(url: string): string {
  return url.replace(/^(?:kurrentdb|kdb)(\+discover)?:\/\//i, (_, discover: string | undefined) =>
    discover ? 'esdb+discover://' : 'esdb://',
  );
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
    const pending = this.doAppend(stream, expected, drafts);
    this.appending.add(pending);
    try {
      return await pending;
    } finally {
      this.appending.delete(pending);
    }
  }

  private async doAppend(stream: string, expected: ExpectedRevision, drafts: readonly EventDraft[]): Promise<AppendResult> {
    const ids = new Set<string>();
    for (const d of drafts) {
      // The server would store both copies of an id repeated within one append; the port forbids it.
      if (ids.has(d.id)) throw new DuplicateEventIdError(d.id);
      ids.add(d.id);
    }
    const events = drafts.map((d) =>
      jsonEvent({
        id: d.id,
        type: d.type,
        data: d.data as JSONType,
        // Metadata goes as JSON bytes: the client drops falsy metadata (null, 0, '', false) given as a value.
        metadata: Uint8Array.from(Buffer.from(JSON.stringify(d.metadata), 'utf8')),
      }),
    );
    const expectedRevision: AppendExpectedRevision =
      expected === 'any' ? ANY : expected === 'no-stream' ? NO_STREAM : expected;
    try {
      const result = await this.client.appendToStream(stream, events, { expectedRevision });
      const revision = result.nextExpectedRevision;
      // Older servers send no position for an idempotent repeat; look the last event up then.
      const position = validPosition(result.position?.commit) ?? (await this.positionOf(stream, revision));
      return { revision, position };
    } catch (err) {
      if (!(err instanceof WrongExpectedVersionError)) throw mapError(err);
      const current = err.actualVersion;
      const actual = typeof current === 'bigint' && current >= 0n ? current : 'no-stream';
      const repeat = await this.repeatOf(stream, drafts);
      if (repeat) return repeat;
      throw new WrongExpectedRevisionError(stream, expected, actual);
    }
  }

  /**
   * The port answers a repeat of an earlier append with that append's result whatever revision the repeat
   * expects; EventStoreDB only when it expects the same revision, and a conflict otherwise. So on a conflict,
   * look for the ids in the stream: all of them in a row, in order, is a repeat; some of them is a
   * DuplicateEventIdError. (Ids stored in other streams cannot be seen: EventStoreDB has no index of ids.)
   */
  private async repeatOf(stream: string, drafts: readonly EventDraft[]): Promise<AppendResult | undefined> {
    let stored: readonly RecordedEvent[];
    try {
      stored = await this.readStreamEvents(stream, {});
    } catch (err) {
      throw mapError(err);
    }
    const index = new Map(stored.map((e, i) => [e.id, i]));
    const at = drafts.map((d) => index.get(d.id));
    const first = at[0];
    if (first !== undefined && at.every((i, k) => i === first + k)) {
      const last = stored[first + drafts.length - 1]!;
      return { revision: last.revision, position: last.position, repeat: true };
    }
    const known = drafts.find((d) => index.has(d.id));
    if (known) throw new DuplicateEventIdError(known.id);
    return undefined;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<readonly RecordedEvent[]> {
    this.assertOpen();
    return this.readStreamEvents(stream, options);
  }

  private async readStreamEvents(stream: string, options: ReadStreamOptions): Promise<readonly RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    checkMaxCount(options.maxCount);
    const from = options.fromRevision;
    if (from !== undefined && (typeof from !== 'bigint' || from < 0n)) {
      throw new RangeError('readStream: fromRevision must be a non-negative bigint');
    }
    if (options.maxCount === 0) return [];
    const out: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(stream, {
        fromRevision: options.fromRevision ?? (backwards ? END : START),
        direction: backwards ? BACKWARDS : FORWARDS,
        maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
      });
      for (const resolved of await readToEnd(read)) {
        const event = resolved.event;
        if (!event) continue;
        const position = validPosition(event.position?.commit);
        if (position === undefined) throw new MissingPositionError(stream);
        out.push(toRecorded(event, position));
      }
      return out;
    } catch (err) {
      if (err instanceof StreamNotFoundError) return [];
      throw mapError(err);
    }
  }

  async readAll(options: ReadAllOptions = {}): Promise<readonly RecordedEvent[]> {
    this.assertOpen();
    if (options.after !== undefined && typeof options.after !== 'bigint') throw new TypeError('readAll: after must be a bigint');
    checkMaxCount(options.maxCount);
    const limit = options.maxCount ?? Number.POSITIVE_INFINITY;
    const match = compileFilter(options.filter);
    const out: RecordedEvent[] = [];
    if (limit === 0) return out;
    // $all reads from a position include the event there, so each page starts at the last position seen and
    // drops it; `after` is handled the same way, which also copes with a position no event sits at.
    let from = options.after;
    try {
      for (;;) {
        // Without a filter, ask for no more than is still wanted (plus the repeated first event).
        const wanted = options.filter ? this.pageSize : Math.min(this.pageSize, limit - out.length + 1);
        const read = this.client.readAll({
          fromPosition: from === undefined ? START : { commit: from, prepare: from },
          maxCount: Math.max(2, wanted),
          direction: FORWARDS,
        });
        const page = await readToEnd(read);
        for (const resolved of page) {
          const position = allPosition(resolved);
          if (from !== undefined && position <= from) continue;
          const event = resolved.event;
          if (!event || isSystem(event) || !match(event.streamId, event.type)) continue;
          out.push(toRecorded(event, position));
          if (out.length >= limit) return out;
        }
        if (page.length < Math.max(2, wanted) || page.length === 0) return out;
        from = allPosition(page[page.length - 1]!);
      }
    } catch (err) {
      throw mapError(err);
    }
  }

  async headPosition(): Promise<bigint | undefined> {
    this.assertOpen();
    // Backwards from the end, past system events ($-streams), which readAll never returns.
    let from: bigint | undefined;
    try {
      for (;;) {
        const page = await readToEnd(
          this.client.readAll({
            fromPosition: from === undefined ? END : { commit: from, prepare: from },
            maxCount: this.pageSize,
            direction: BACKWARDS,
          }),
        );
        for (const resolved of page) {
          const position = allPosition(resolved);
          if (from !== undefined && position >= from) continue;
          if (resolved.event && !isSystem(resolved.event)) return position;
        }
        if (page.length < this.pageSize) return undefined;
        from = allPosition(page[page.length - 1]!);
      }
    } catch (err) {
      throw mapError(err);
    }
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

  /** The position of one stored event, for append replies that carry none. */
  private async positionOf(stream: string, revision: bigint): Promise<bigint> {
    const [event] = await this.readStreamEvents(stream, { fromRevision: revision, maxCount: 1 });
    if (!event || event.revision !== revision) throw new MissingPositionError(stream);
    return event.position;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('EventStoreEventLog is closed');
  }
}

/** The server did not report where an event sits in $all (older servers send no position on stream reads). */
export class MissingPositionError extends Error {
  override readonly name = 'MissingPositionError';
  constructor(readonly stream: string) {
    super(
      `EventStoreDB returned no $all position for an event of ${stream}: ` +
        'this adapter needs a server that reports positions on stream reads (recent EventStoreDB / KurrentDB)',
    );
  }
}

/**
 * One port subscription: $all catch-up then live through the client, resubscribing with backoff from the last
 * position it saw whenever the call fails transiently or ends, so the consumer sees no gap and no repeat.
 */
class EventStoreSubscription implements LogSubscription {
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

/**
 * Read a (bounded) client read to its end. Never leave one part-way: the client pipes the gRPC call into the
 * stream it returns, and abandoning that stream leaves a finished call paused short of its 'end', which the
 * client keeps in its set of live streams and its dispose() then waits for forever.
 */
async function readToEnd<T>(read: StreamingRead<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of read) out.push(item as T);
  return out;
}

/**
 * Two adjustments to the client's internals, which it exposes only as instance properties:
 * - it creates gRPC channels on demand and never closes the last one; record them so close() can.
 * - it runs each unary or client-streaming call as `new Promise(async (resolve, reject) => …)` on a cached gRPC
 *   client. When another call has just hit UNAVAILABLE, the client closes that channel; a call that already picked
 *   the cached client then throws "Channel has been shut down" inside that async executor, which leaves the append
 *   pending forever and raises an unhandled rejection. Re-fetch the gRPC client in that case (the client has
 *   replaced the channel by then), or fail as UNAVAILABLE, before the call starts.
 */
function patchClient(client: EventStoreDBClient): Set<Channel> {
  type Execute = (ctor: unknown, name: string, action: (c: GrpcClient) => Promise<unknown>) => Promise<unknown>;
  const internals = client as unknown as {
    execute?: Execute;
    getGRPCClient?: (ctor: unknown, name: string) => Promise<GrpcClient>;
    createChannel?: () => Promise<Channel>;
  };
  const channels = new Set<Channel>();
  const { execute, getGRPCClient, createChannel } = internals;
  if (typeof createChannel !== 'function' || typeof execute !== 'function' || typeof getGRPCClient !== 'function')
    throw new Error('@eventstore/db-client internals changed: review adapters/event-log/eventstore/event-log.ts patchClient');
  internals.createChannel = async () => {
    const channel = await createChannel();
    channels.add(channel);
    return channel;
  };
  const isShutdown = (c: GrpcClient) => c.getChannel().getConnectivityState(false) === CHANNEL_SHUTDOWN;
  internals.execute = (ctor, name, action) =>
    execute(ctor, name, async (grpcClient) => {
      let c = grpcClient;
      if (isShutdown(c)) c = await getGRPCClient(ctor, name);
      if (isShutdown(c))
        throw Object.assign(new Error('Channel has been shut down'), {
          code: GRPC_UNAVAILABLE,
          details: 'Channel has been shut down',
        });
      return action(c);
    });
  return channels;
}

function validPosition(p: bigint | undefined): bigint | undefined {
  return p === undefined || p < 0n || p >= NO_POSITION ? undefined : p;
}

/** A $all event's position: the commit position of the read, else of the record. */
function allPosition(resolved: AllStreamResolvedEvent): bigint {
  const position = validPosition(resolved.commitPosition) ?? validPosition(resolved.event?.position?.commit);
  if (position === undefined) throw new Error('EventStoreDB returned a $all event without a position');
  return position;
}

function isSystem(event: RecordedLike): boolean {
  return event.streamId.startsWith('$') || event.type.startsWith('$');
}

/** Client-side match for a port filter (the server filters too; this also guards what it lets through). */
function compileFilter(filter: EventFilter | undefined): Matcher {
  if (!filter) return () => true;
  const byStream = 'streamPrefixes' in filter;
  const prefixes = byStream ? filter.streamPrefixes : filter.eventTypePrefixes;
  if (!Array.isArray(prefixes) || prefixes.length === 0) throw new TypeError('filter: at least one prefix');
  if (prefixes.some((p) => typeof p !== 'string')) throw new TypeError('filter: prefixes must be strings');
  return byStream
    ? (stream) => prefixes.some((p) => stream.startsWith(p))
    : (_, type) => prefixes.some((p) => type.startsWith(p));
}

function checkMaxCount(maxCount: number | undefined): void {
  if (maxCount !== undefined && (!Number.isSafeInteger(maxCount) || maxCount < 0)) {
    throw new RangeError('maxCount must be a non-negative integer');
  }
}


function serverFilter(filter: EventFilter | undefined): Filter | undefined {
  if (!filter) return undefined;
  if ('streamPrefixes' in filter) return streamNameFilter({ prefixes: [...filter.streamPrefixes] });
  return eventTypeFilter({ prefixes: [...filter.eventTypePrefixes] });
}

function toRecorded(event: RecordedLike, position: bigint): RecordedEvent {
  return {
    id: event.id,
    type: event.type,
    stream: event.streamId,
    revision: event.revision,
    position,
    data: toJson(event.data),
    metadata: toJson(event.metadata),
  };
}

/** The client parses JSON payloads; bytes it could not parse (foreign, non-JSON events) come back as text. */
function toJson(value: unknown): JsonValue {
  if (value === undefined) return null; // empty metadata
  if (value instanceof Uint8Array) {
    const text = Buffer.from(value).toString('utf8');
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      return text;
    }
  }
  return value as JsonValue;
}

function backoff(delays: { readonly initial: number; readonly max: number }, attempt: number): number {
  const ceiling = Math.min(delays.max, delays.initial * 2 ** Math.min(attempt, 20));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function isTransient(err: unknown): boolean {
  if (
    err instanceof UnavailableError ||
    err instanceof CancelledError ||
    err instanceof DeadlineExceededError ||
    err instanceof TimeoutError ||
    err instanceof NotLeaderError ||
    err instanceof LogUnavailableError
  )
    return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED || code === GRPC_ABORTED) return true;
  if (code === GRPC_CANCELLED && !/Cancelled on client/.test(err.message)) return true;
  // Raised synchronously by @grpc/grpc-js when a call is made on a channel the client just closed.
  return /Channel has been shut down|Channel closed before call started|write after end/.test(err.message);
}

function mapError(err: unknown): unknown {
  if (err instanceof LogUnavailableError || !isTransient(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new LogUnavailableError(`EventStoreDB unavailable: ${message}`, { cause: err });
}
