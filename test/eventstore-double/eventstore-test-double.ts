// EventStoreTestDouble: a TEST DOUBLE (mock) of an EventStoreDB server, speaking the real gRPC wire protocol on
// 127.0.0.1, because EventStoreDB cannot run on this machine. It reproduces the server semantics the event-log
// adapter relies on (appends, idempotency, stream and $all reads, $all catch-up subscriptions); it is not a database.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import type * as StreamsPbModule from '@eventstore/db-client/generated/streams_pb.js';
import type * as SharedPbModule from '@eventstore/db-client/generated/shared_pb.js';
import type * as FeaturesPbModule from '@eventstore/db-client/generated/serverfeatures_pb.js';
import type * as StreamsGrpcModule from '@eventstore/db-client/generated/streams_grpc_pb.js';
import type * as FeaturesGrpcModule from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import type * as StatusPbModule from '@eventstore/db-client/generated/status_pb.js';
import type * as AnyPbModule from 'google-protobuf/google/protobuf/any_pb.js';
import type * as EmptyPbModule from 'google-protobuf/google/protobuf/empty_pb.js';

// The generated modules are CommonJS; requiring them from the client's own package gives the very classes its
// serializers check with `instanceof`, so replies built here pass the client's checks.
const require = createRequire(import.meta.url);
const streamsPb = require('@eventstore/db-client/generated/streams_pb.js') as typeof StreamsPbModule;
const sharedPb = require('@eventstore/db-client/generated/shared_pb.js') as typeof SharedPbModule;
const featuresPb = require('@eventstore/db-client/generated/serverfeatures_pb.js') as typeof FeaturesPbModule;
const streamsGrpc = require('@eventstore/db-client/generated/streams_grpc_pb.js') as typeof StreamsGrpcModule;
const featuresGrpc = require('@eventstore/db-client/generated/serverfeatures_grpc_pb.js') as typeof FeaturesGrpcModule;
const statusPb = require('@eventstore/db-client/generated/status_pb.js') as typeof StatusPbModule;
const anyPb = require('google-protobuf/google/protobuf/any_pb.js') as typeof AnyPbModule;
const emptyPb = require('google-protobuf/google/protobuf/empty_pb.js') as typeof EmptyPbModule;

type ReadReq = StreamsPbModule.ReadReq;
type ReadResp = StreamsPbModule.ReadResp;
type AppendReq = StreamsPbModule.AppendReq;
type AppendResp = StreamsPbModule.AppendResp;
type BatchAppendReq = StreamsPbModule.BatchAppendReq;
type BatchAppendResp = StreamsPbModule.BatchAppendResp;
type ReadOptions = StreamsPbModule.ReadReq.Options;

const ReadOpts = streamsPb.ReadReq.Options;
const ExpectedCase = streamsPb.AppendReq.Options.ExpectedStreamRevisionCase;
const BatchExpectedCase = streamsPb.BatchAppendReq.Options.ExpectedStreamPositionCase;

/** One stored event, as the double keeps it. Commit and prepare positions are equal, as for every gRPC append. */
export interface DoubleEvent {
  readonly stream: string;
  readonly revision: bigint;
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
  readonly created: bigint;
  readonly position: bigint;
}

export interface EventStoreTestDoubleOptions {
  /** Seed $all with a few system events, as a fresh server has; default true. */
  readonly seedSystemEvents?: boolean;
  /**
   * Advertise and serve Streams.BatchAppend, as real servers (21.10+) do, so the client appends through it;
   * false makes the client fall back to Streams.Append. Default true.
   */
  readonly batchAppend?: boolean;
}

type Expected =
  | { readonly kind: 'any' }
  | { readonly kind: 'no-stream' }
  | { readonly kind: 'stream-exists' }
  | { readonly kind: 'revision'; readonly revision: bigint };

interface Proposed {
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
}

/** What a write came to, before it is put into either protocol's reply. */
type Outcome =
  | { readonly kind: 'success'; readonly last: DoubleEvent | undefined; readonly current: bigint }
  | { readonly kind: 'wrong-expected-version'; readonly current: bigint };

type CheckResult =
  | { readonly decision: 'ok'; readonly current: bigint }
  | { readonly decision: 'idempotent'; readonly last: DoubleEvent }
  | { readonly decision: 'wrong-expected-version'; readonly current: bigint };

interface Filter {
  readonly on: 'stream' | 'type';
  readonly prefixes: readonly string[];
  readonly regex: RegExp | undefined;
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
// The server's default filter search window; checkpoints come every multiplier × window events considered.
const DEFAULT_FILTER_WINDOW = 32;

class GrpcStatusError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
    readonly metadata: grpc.Metadata = new grpc.Metadata(),
  ) {
    super(details);
  }
}

function empty(): SharedPbModule.Empty {
  return new sharedPb.Empty();
}

function googleEmpty(): EmptyPbModule.Empty {
  return new emptyPb.Empty();
}

function decodeName(identifier: SharedPbModule.StreamIdentifier | undefined): string {
  if (!identifier) throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'stream identifier is required');
  return Buffer.from(identifier.getStreamName_asU8()).toString('utf8');
}

function streamIdentifier(name: string): SharedPbModule.StreamIdentifier {
  return new sharedPb.StreamIdentifier().setStreamName(Uint8Array.from(Buffer.from(name, 'utf8')));
}

function canonicalUuid(uuid: SharedPbModule.UUID | undefined): string {
  if (!uuid) throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'event id is required');
  let hex: string;
  if (uuid.hasStructured()) {
    const s = uuid.getStructured()!;
    const msb = BigInt.asUintN(64, BigInt(s.getMostSignificantBits()));
    const lsb = BigInt.asUintN(64, BigInt(s.getLeastSignificantBits()));
    hex = msb.toString(16).padStart(16, '0') + lsb.toString(16).padStart(16, '0');
  } else {
    const text = uuid.getString();
    if (!UUID_RE.test(text)) throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, `invalid event id ${text}`);
    hex = text.replace(/-/g, '').toLowerCase();
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function uuidMessage(id: string, structured: boolean): SharedPbModule.UUID {
  const uuid = new sharedPb.UUID();
  if (!structured) return uuid.setString(id);
  const hex = id.replace(/-/g, '');
  const msb = BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`));
  const lsb = BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`));
  return uuid.setStructured(
    new sharedPb.UUID.Structured().setMostSignificantBits(msb.toString()).setLeastSignificantBits(lsb.toString()),
  );
}

function toFilter(options: ReadOptions): Filter | undefined {
  if (options.getFilterOptionCase() !== ReadOpts.FilterOptionCase.FILTER) return undefined;
  const f = options.getFilter()!;
  const on = f.getFilterCase() === ReadOpts.FilterOptions.FilterCase.EVENT_TYPE ? 'type' : 'stream';
  const expr = on === 'type' ? f.getEventType() : f.getStreamIdentifier();
  const regex = expr?.getRegex() ? new RegExp(expr.getRegex()) : undefined;
  return { on, prefixes: expr?.getPrefixList() ?? [], regex };
}

function filterWindow(options: ReadOptions): number {
  const f = options.getFilter();
  if (!f) return DEFAULT_FILTER_WINDOW;
  const window = f.getWindowCase() === ReadOpts.FilterOptions.WindowCase.MAX ? f.getMax() : DEFAULT_FILTER_WINDOW;
  return Math.max(1, f.getCheckpointintervalmultiplier() || 1) * Math.max(1, window);
}

function matches(filter: Filter | undefined, event: DoubleEvent): boolean {
  if (!filter) return true;
  const value = filter.on === 'type' ? event.type : event.stream;
  if (filter.regex) return filter.regex.test(value);
  return filter.prefixes.some((p) => value.startsWith(p));
}

/** A live $all subscription: one cursor over the log that first catches up, then follows appends. */
class AllSubscription {
  private cursor: number;
  private considered = 0;
  private caughtUpSent = false;
  private waitingForDrain = false;
  private ended = false;

  constructor(
    private readonly double: EventStoreTestDouble,
    readonly call: grpc.ServerWritableStream<ReadReq, ReadResp>,
    start: number,
    private readonly minPosition: bigint,
    private readonly filter: Filter | undefined,
    private readonly checkpointEvery: number,
    private readonly structuredIds: boolean,
  ) {
    this.cursor = start;
  }

  /** Write what the consumer can take; HTTP/2 flow control stops us, 'drain' resumes us. */
  pump(): void {
    if (this.ended || this.waitingForDrain) return;
    const log = this.double.log;
    while (this.cursor < log.length) {
      const event = log[this.cursor++]!;
      if (event.position < this.minPosition) continue;
      this.considered++;
      let ok = true;
      if (matches(this.filter, event)) ok = this.call.write(this.double.readResp(event, this.structuredIds));
      else if (this.filter && this.considered % this.checkpointEvery === 0) {
        const checkpoint = new streamsPb.ReadResp.Checkpoint()
          .setCommitPosition(event.position.toString())
          .setPreparePosition(event.position.toString());
        ok = this.call.write(new streamsPb.ReadResp().setCheckpoint(checkpoint));
      }
      if (!ok) return this.awaitDrain();
    }
    if (!this.caughtUpSent) {
      this.caughtUpSent = true;
      if (!this.call.write(new streamsPb.ReadResp().setCaughtUp(new streamsPb.ReadResp.CaughtUp()))) this.awaitDrain();
    }
  }

  private awaitDrain(): void {
    this.waitingForDrain = true;
    this.call.once('drain', () => {
      this.waitingForDrain = false;
      this.pump();
    });
  }

  /** End the call with a status, as a server does when it drops a subscription. */
  end(code: grpc.status, details: string): void {
    if (this.ended) return;
    this.ended = true;
    this.call.emit('error', { code, details, metadata: new grpc.Metadata() });
  }

  cancelled(): void {
    this.ended = true;
  }
}

/**
 * A mock EventStoreDB server for tests on this machine: real gRPC, in-memory storage.
 * Implements ServerFeatures.GetSupportedMethods, Streams.Append, Streams.BatchAppend (optional) and Streams.Read
 * for stream reads, $all reads and $all subscriptions (with filters and checkpoints). Nothing else: stream
 * subscriptions, deletes, persistent subscriptions, projections, gossip and users are absent.
 * Behaves like a recent single-node server: commit = prepare position per event, positions on stream reads and
 * on idempotent appends. Simplified: no auth, deadlines or size limits; idempotency is not bounded by a cache;
 * checkpoints carry the last considered event's position.
 */
export class EventStoreTestDouble {
  /** The whole log in $all order (package-visible for the subscription pump). */
  readonly log: DoubleEvent[] = [];
  private readonly streams = new Map<string, DoubleEvent[]>();
  private readonly subscriptions = new Set<AllSubscription>();
  private readonly batchCalls = new Set<grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>>();
  private nextPosition = 0n;
  private unavailable = false;
  private unavailableTimer: NodeJS.Timeout | undefined;
  private loseAcks = 0;
  private stopped = false;
  /** Calls received per gRPC method (e.g. 'Streams.Append'), to see which path the client took. */
  readonly calls: Record<string, number> = {};

  private constructor(
    private readonly server: grpc.Server,
    readonly port: number,
    private readonly batchAppend: boolean,
  ) {}

  /** Start on an ephemeral loopback port. */
  static async start(options: EventStoreTestDoubleOptions = {}): Promise<EventStoreTestDouble> {
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const double = new EventStoreTestDouble(server, port, options.batchAppend ?? true);
    double.install();
    if (options.seedSystemEvents ?? true) double.seedSystemEvents();
    return double;
  }

  /** Connection string for @eventstore/db-client: single node, no TLS. */
  get url(): string {
    return `esdb://127.0.0.1:${this.port}?tls=false`;
  }

  // ---- test controls -------------------------------------------------------------------------------------

  /** End every live subscription with status UNAVAILABLE, as when a node restarts. Returns how many. */
  dropSubscriptions(): number {
    const subs = [...this.subscriptions];
    this.subscriptions.clear();
    for (const sub of subs) sub.end(grpc.status.UNAVAILABLE, 'subscription dropped by EventStoreTestDouble');
    return subs.length;
  }

  /** While on, every call fails with UNAVAILABLE and live subscriptions are dropped. */
  setUnavailable(on: boolean): void {
    this.unavailable = on;
    if (this.unavailableTimer) clearTimeout(this.unavailableTimer);
    this.unavailableTimer = undefined;
    if (!on) return;
    this.dropSubscriptions();
    for (const call of [...this.batchCalls]) this.endCall(call, grpc.status.UNAVAILABLE, 'Server is unavailable');
  }

  /** Be unavailable for `ms` milliseconds, then recover. */
  unavailableFor(ms: number): void {
    this.setUnavailable(true);
    this.unavailableTimer = setTimeout(() => this.setUnavailable(false), ms);
  }

  /** The next `count` appends are written but answered with UNAVAILABLE, as when an ack is lost in transit. */
  loseNextAppendAcks(count = 1): void {
    this.loseAcks += count;
  }

  /** Append a system event ($-prefixed stream and type), as the server itself does from time to time. */
  appendSystemEvent(stream = '$stats-127.0.0.1:2113', type = '$statsCollected'): DoubleEvent {
    const events = this.streams.get(stream) ?? [];
    const data = Buffer.from('{}');
    return this.write(stream, BigInt(events.length) - 1n, [
      { id: randomUUID(), type, contentType: 'application/json', data, metadata: new Uint8Array() },
    ]).at(-1)!;
  }

  /** A snapshot of everything stored, in $all order. */
  events(): readonly DoubleEvent[] {
    return [...this.log];
  }

  /** How many $all subscriptions are currently live. */
  get liveSubscriptions(): number {
    return this.subscriptions.size;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.unavailableTimer) clearTimeout(this.unavailableTimer);
    for (const sub of this.subscriptions) sub.end(grpc.status.UNAVAILABLE, 'EventStoreTestDouble stopped');
    this.subscriptions.clear();
    for (const call of [...this.batchCalls]) this.endCall(call, grpc.status.UNAVAILABLE, 'EventStoreTestDouble stopped');
    await new Promise<void>((resolve) => {
      // Give ended calls a moment to flush their status, then cut whatever is left.
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 1000);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  // ---- gRPC wiring ---------------------------------------------------------------------------------------

  private install(): void {
    this.server.addService(featuresGrpc.ServerFeaturesService, {
      getSupportedMethods: (
        _call: grpc.ServerUnaryCall<SharedPbModule.Empty, FeaturesPbModule.SupportedMethods>,
        callback: grpc.sendUnaryData<FeaturesPbModule.SupportedMethods>,
      ) => {
        this.count('ServerFeatures.GetSupportedMethods');
        if (this.unavailable) return callback(this.unavailableError());
        callback(null, this.supportedMethods());
      },
    });
    this.server.addService(streamsGrpc.StreamsService, {
      read: (call: grpc.ServerWritableStream<ReadReq, ReadResp>) => {
        this.count('Streams.Read');
        this.handleRead(call);
      },
      append: (call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>) => {
        this.count('Streams.Append');
        this.handleAppend(call, callback);
      },
      // Left out when not advertised, so a client that calls it anyway gets UNIMPLEMENTED.
      ...(this.batchAppend
        ? {
            batchAppend: (call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => {
              this.count('Streams.BatchAppend');
              this.handleBatchAppend(call);
            },
          }
        : {}),
    } as grpc.UntypedServiceImplementation);
  }

  private count(method: string): void {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
  }

  private supportedMethods(): FeaturesPbModule.SupportedMethods {
    const method = (service: string, name: string, features: string[] = []) =>
      new featuresPb.SupportedMethod().setServiceName(service).setMethodName(name).setFeaturesList(features);
    return new featuresPb.SupportedMethods()
      .setEventStoreServerVersion('24.10.0-eventstore-test-double')
      .setMethodsList([
        method('event_store.client.server_features.serverfeatures', 'getsupportedmethods'),
        method('event_store.client.streams.streams', 'read', ['position']),
        method('event_store.client.streams.streams', 'append'),
        ...(this.batchAppend ? [method('event_store.client.streams.streams', 'batchappend')] : []),
      ]);
  }

  private unavailableError(): grpc.ServiceError {
    return Object.assign(new Error('Server is unavailable (EventStoreTestDouble)'), {
      code: grpc.status.UNAVAILABLE,
      details: 'Server is unavailable (EventStoreTestDouble)',
      metadata: new grpc.Metadata(),
    });
  }

  private static toServiceError(err: unknown): grpc.ServiceError {
    if (err instanceof GrpcStatusError)
      return Object.assign(new Error(err.details), { code: err.code, details: err.details, metadata: err.metadata });
    const message = err instanceof Error ? err.message : String(err);
    return Object.assign(new Error(message), { code: grpc.status.INTERNAL, details: message, metadata: new grpc.Metadata() });
  }

  // ---- Streams.Append and Streams.BatchAppend ------------------------------------------------------------

  private handleAppend(
    call: grpc.ServerReadableStream<AppendReq, AppendResp>,
    callback: grpc.sendUnaryData<AppendResp>,
  ): void {
    if (this.unavailable) {
      call.on('data', () => undefined);
      return callback(this.unavailableError());
    }
    let stream: string | undefined;
    let expected: Expected | undefined;
    const proposed: Proposed[] = [];
    let failed: unknown;
    call.on('data', (req: AppendReq) => {
      if (failed) return;
      try {
        if (req.hasOptions()) {
          const options = req.getOptions()!;
          stream = decodeName(options.getStreamIdentifier());
          expected = EventStoreTestDouble.expected(options);
        } else if (req.hasProposedMessage()) {
          if (!stream) throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'options must come first');
          proposed.push(EventStoreTestDouble.proposed(req.getProposedMessage()!));
        }
      } catch (err) {
        failed = err;
      }
    });
    call.on('error', () => undefined);
    call.on('end', () => {
      if (failed) return callback(EventStoreTestDouble.toServiceError(failed));
      if (stream === undefined || expected === undefined)
        return callback(EventStoreTestDouble.toServiceError(new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'no options')));
      if (this.unavailable) return callback(this.unavailableError());
      const outcome = this.commit(stream, expected, proposed);
      if (this.loseAcks > 0) {
        this.loseAcks--;
        return callback(this.unavailableError());
      }
      callback(null, EventStoreTestDouble.appendResp(outcome, expected));
    });
  }

  private static appendResp(outcome: Outcome, expected: Expected): AppendResp {
    const response = new streamsPb.AppendResp();
    if (outcome.kind === 'wrong-expected-version') {
      const wev = new streamsPb.AppendResp.WrongExpectedVersion();
      if (outcome.current < 0n) wev.setCurrentNoStream(empty());
      else wev.setCurrentRevision(outcome.current.toString());
      if (expected.kind === 'any') wev.setExpectedAny(empty());
      else if (expected.kind === 'stream-exists') wev.setExpectedStreamExists(empty());
      else if (expected.kind === 'no-stream') wev.setExpectedNoStream(empty());
      else wev.setExpectedRevision(expected.revision.toString());
      return response.setWrongExpectedVersion(wev);
    }
    const success = new streamsPb.AppendResp.Success();
    const { last } = outcome;
    if (last) {
      success.setCurrentRevision(last.revision.toString());
      // The append's position is the last event's: commit and prepare alike for a self-committed write.
      success.setPosition(
        new streamsPb.AppendResp.Position()
          .setCommitPosition(last.position.toString())
          .setPreparePosition(last.position.toString()),
      );
    } else {
      if (outcome.current < 0n) success.setNoStream(empty());
      else success.setCurrentRevision(outcome.current.toString());
      success.setNoPosition(empty());
    }
    return response.setSuccess(success);
  }

  private handleBatchAppend(call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
    if (this.unavailable) return void call.emit('error', this.unavailableError());
    const pending = new Map<string, { stream: string; expected: Expected; proposed: Proposed[] }>();
    this.batchCalls.add(call);
    const forget = () => this.batchCalls.delete(call);
    call.on('cancelled', forget);
    call.on('error', forget);
    call.on('end', () => {
      forget();
      call.end();
    });
    call.on('data', (req: BatchAppendReq) => {
      if (!this.batchCalls.has(call)) return;
      const correlation = req.getCorrelationId();
      const key = canonicalUuid(correlation);
      const reply = (stream: string | undefined) => {
        const resp = new streamsPb.BatchAppendResp().setCorrelationId(correlation);
        return stream === undefined ? resp : resp.setStreamIdentifier(streamIdentifier(stream));
      };
      let stream: string | undefined;
      try {
        if (req.hasOptions()) {
          const options = req.getOptions()!;
          stream = decodeName(options.getStreamIdentifier());
          pending.set(key, { stream, expected: EventStoreTestDouble.batchExpected(options), proposed: [] });
        }
        const write = pending.get(key);
        if (!write) return;
        stream = write.stream;
        for (const message of req.getProposedMessagesList()) write.proposed.push(EventStoreTestDouble.proposed(message));
        if (!req.getIsFinal()) return;
        pending.delete(key);
        if (this.unavailable) return this.endCall(call, grpc.status.UNAVAILABLE, 'Server is unavailable (EventStoreTestDouble)');
        const outcome = this.commit(write.stream, write.expected, write.proposed);
        if (this.loseAcks > 0) {
          // A lost ack on a batch stream means the stream itself died: every pending append on it fails.
          this.loseAcks--;
          return this.endCall(call, grpc.status.UNAVAILABLE, 'connection lost (EventStoreTestDouble)');
        }
        call.write(EventStoreTestDouble.batchAppendResp(reply(write.stream), outcome, write.expected));
      } catch (err) {
        pending.delete(key);
        const message = err instanceof Error ? err.message : String(err);
        const status = new statusPb.Status().setCode(3 /* INVALID_ARGUMENT */).setMessage(message);
        const details = new anyPb.Any();
        details.pack(new sharedPb.BadRequest().setMessage(message).serializeBinary(), 'event_store.client.BadRequest');
        call.write(reply(stream).setError(status.setDetails(details)));
      }
    });
  }

  private endCall(call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>, code: grpc.status, details: string): void {
    this.batchCalls.delete(call);
    call.emit('error', { code, details, metadata: new grpc.Metadata() });
  }

  private static batchExpected(options: StreamsPbModule.BatchAppendReq.Options): Expected {
    switch (options.getExpectedStreamPositionCase()) {
      case BatchExpectedCase.STREAM_POSITION:
        return { kind: 'revision', revision: BigInt(options.getStreamPosition()) };
      case BatchExpectedCase.NO_STREAM:
        return { kind: 'no-stream' };
      case BatchExpectedCase.ANY:
        return { kind: 'any' };
      case BatchExpectedCase.STREAM_EXISTS:
        return { kind: 'stream-exists' };
      default:
        throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'expected stream position is required');
    }
  }

  private static batchAppendResp(resp: BatchAppendResp, outcome: Outcome, expected: Expected): BatchAppendResp {
    if (expected.kind === 'any') resp.setAny(googleEmpty());
    else if (expected.kind === 'no-stream') resp.setNoStream(googleEmpty());
    else if (expected.kind === 'stream-exists') resp.setStreamExists(googleEmpty());
    else resp.setStreamPosition(expected.revision.toString());
    if (outcome.kind === 'wrong-expected-version') {
      // The server packs the details into a google.rpc.Status; the client unpacks them by type name.
      const wev = new sharedPb.WrongExpectedVersion();
      if (outcome.current < 0n) wev.setCurrentNoStream(googleEmpty());
      else wev.setCurrentStreamRevision(outcome.current.toString());
      if (expected.kind === 'any') wev.setExpectedAny(googleEmpty());
      else if (expected.kind === 'stream-exists') wev.setExpectedStreamExists(googleEmpty());
      else if (expected.kind === 'no-stream') wev.setExpectedNoStream(googleEmpty());
      else wev.setExpectedStreamPosition(expected.revision.toString());
      const details = new anyPb.Any();
      details.pack(wev.serializeBinary(), 'event_store.client.WrongExpectedVersion');
      const status = new statusPb.Status().setCode(9 /* FAILED_PRECONDITION */).setMessage('WrongExpectedVersion');
      return resp.setError(status.setDetails(details));
    }
    const success = new streamsPb.BatchAppendResp.Success();
    const { last } = outcome;
    if (last) {
      success.setCurrentRevision(last.revision.toString());
      success.setPosition(
        new sharedPb.AllStreamPosition()
          .setCommitPosition(last.position.toString())
          .setPreparePosition(last.position.toString()),
      );
    } else {
      if (outcome.current < 0n) success.setNoStream(googleEmpty());
      else success.setCurrentRevision(outcome.current.toString());
      success.setNoPosition(googleEmpty());
    }
    return resp.setSuccess(success);
  }

  private static expected(options: StreamsPbModule.AppendReq.Options): Expected {
    switch (options.getExpectedStreamRevisionCase()) {
      case ExpectedCase.REVISION:
        return { kind: 'revision', revision: BigInt(options.getRevision()) };
      case ExpectedCase.NO_STREAM:
        return { kind: 'no-stream' };
      case ExpectedCase.ANY:
        return { kind: 'any' };
      case ExpectedCase.STREAM_EXISTS:
        return { kind: 'stream-exists' };
      default:
        throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'expected stream revision is required');
    }
  }

  private static proposed(
    message: StreamsPbModule.AppendReq.ProposedMessage | StreamsPbModule.BatchAppendReq.ProposedMessage,
  ): Proposed {
    const meta = message.getMetadataMap();
    const type = meta.get('type');
    const contentType = meta.get('content-type');
    // The server names a missing property in the `exception` trailer the client turns into an error type.
    for (const [key, value] of [['type', type], ['content-type', contentType]] as const) {
      if (value === undefined) {
        const trailer = new grpc.Metadata();
        trailer.set('exception', 'missing-required-metadata-property');
        trailer.set('required-properties', key);
        throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, `required metadata property ${key} missing`, trailer);
      }
    }
    return {
      id: canonicalUuid(message.getId()),
      type: type!,
      contentType: contentType!,
      data: message.getData_asU8(),
      metadata: message.getCustomMetadata_asU8(),
    };
  }

  /** EventStoreDB's write path: optimistic concurrency with idempotency on event ids (IndexWriter.CheckCommit). */
  private commit(stream: string, expected: Expected, proposed: readonly Proposed[]): Outcome {
    const check = this.check(stream, expected, proposed);
    if (check.decision === 'wrong-expected-version') return { kind: 'wrong-expected-version', current: check.current };
    if (check.decision === 'idempotent') return { kind: 'success', last: check.last, current: check.last.revision };
    const last = this.write(stream, check.current, proposed).at(-1);
    return { kind: 'success', last, current: last?.revision ?? check.current };
  }

  private check(stream: string, expected: Expected, proposed: readonly Proposed[]): CheckResult {
    const events = this.streams.get(stream) ?? [];
    const current = BigInt(events.length) - 1n;
    if (expected.kind === 'stream-exists' && current < 0n) return { decision: 'wrong-expected-version', current };
    if (expected.kind === 'any' || expected.kind === 'stream-exists') {
      // Idempotent when the first id is already in this stream; a partial match is corrupted idempotency,
      // which the server answers as a wrong expected version.
      if (proposed.length === 0) return { decision: 'ok', current };
      const byId = new Map(events.map((e) => [e.id, e]));
      const found = proposed.map((p) => byId.get(p.id));
      if (!found[0]) return { decision: 'ok', current };
      if (found.some((e) => !e)) return { decision: 'wrong-expected-version', current };
      return { decision: 'idempotent', last: found.at(-1)! };
    }
    const exp = expected.kind === 'no-stream' ? -1n : expected.revision;
    if (exp < current) {
      // The same ids at the same revisions after the same expected revision: repeat of a committed write.
      if (proposed.length === 0) return { decision: 'wrong-expected-version', current };
      let last: DoubleEvent | undefined;
      for (const [i, p] of proposed.entries()) {
        const stored = events[Number(exp) + 1 + i];
        if (!stored || stored.id !== p.id) return { decision: 'wrong-expected-version', current };
        last = stored;
      }
      return { decision: 'idempotent', last: last! };
    }
    if (exp > current) return { decision: 'wrong-expected-version', current };
    return { decision: 'ok', current };
  }

  private write(stream: string, current: bigint, proposed: readonly Proposed[]): DoubleEvent[] {
    let events = this.streams.get(stream);
    if (!events) this.streams.set(stream, (events = []));
    const created = BigInt(Date.now()) * 10_000n; // .NET ticks since the Unix epoch
    const written: DoubleEvent[] = [];
    for (const [i, p] of proposed.entries()) {
      const event: DoubleEvent = {
        stream,
        revision: current + 1n + BigInt(i),
        id: p.id,
        type: p.type,
        contentType: p.contentType,
        data: p.data,
        metadata: p.metadata,
        created,
        position: this.nextPosition,
      };
      // Positions are byte offsets in the transaction log, so they grow by the record's size, not by one.
      this.nextPosition += BigInt(
        96 + Buffer.byteLength(stream) + Buffer.byteLength(p.type) + p.data.length + p.metadata.length,
      );
      events.push(event);
      this.log.push(event);
      written.push(event);
    }
    for (const sub of this.subscriptions) sub.pump();
    return written;
  }

  private seedSystemEvents(): void {
    const json = (v: unknown) => Buffer.from(JSON.stringify(v));
    const seed = (stream: string, type: string, data: unknown) =>
      this.write(stream, BigInt((this.streams.get(stream) ?? []).length) - 1n, [
        { id: randomUUID(), type, contentType: 'application/json', data: json(data), metadata: new Uint8Array() },
      ]);
    seed('$$$users', '$metadata', { $acl: { $r: '$admins' } });
    seed('$users', '$User', { loginName: 'admin' });
    seed('$user-admin', '$UserCreated', { loginName: 'admin', fullName: 'Event Store Administrator' });
  }

  // ---- Streams.Read ---------------------------------------------------------------------------------------

  /** Build the ReadResp for one event, the way the server does for self-committed events. */
  readResp(event: DoubleEvent, structuredIds: boolean): ReadResp {
    const recorded = new streamsPb.ReadResp.ReadEvent.RecordedEvent()
      .setId(uuidMessage(event.id, structuredIds))
      .setStreamIdentifier(streamIdentifier(event.stream))
      .setStreamRevision(event.revision.toString())
      .setCommitPosition(event.position.toString())
      .setPreparePosition(event.position.toString())
      .setData(event.data)
      .setCustomMetadata(event.metadata);
    recorded
      .getMetadataMap()
      .set('type', event.type)
      .set('content-type', event.contentType)
      .set('created', event.created.toString());
    const read = new streamsPb.ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(event.position.toString());
    return new streamsPb.ReadResp().setEvent(read);
  }

  private handleRead(call: grpc.ServerWritableStream<ReadReq, ReadResp>): void {
    if (this.unavailable) return void call.emit('error', this.unavailableError());
    try {
      const options = call.request.getOptions();
      if (!options) throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'read options are required');
      const structured = options.getUuidOption()?.getContentCase() === ReadOpts.UUIDOption.ContentCase.STRUCTURED;
      const isAll = options.getStreamOptionCase() === ReadOpts.StreamOptionCase.ALL;
      const isSubscription = options.getCountOptionCase() === ReadOpts.CountOptionCase.SUBSCRIPTION;
      if (isAll && isSubscription) return this.subscribeToAll(call, options, structured);
      if (isSubscription)
        throw new GrpcStatusError(grpc.status.UNIMPLEMENTED, 'stream subscriptions are not implemented by the double');
      const count = BigInt(options.getCount() || '0');
      const backwards = options.getReadDirection() === ReadOpts.ReadDirection.BACKWARDS;
      if (isAll) {
        const filter = toFilter(options);
        const selected = this.readAll(options.getAll()!, backwards)
          .filter((e) => matches(filter, e))
          .slice(0, Number(count > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : count));
        return void this.writeAll(call, selected, structured);
      }
      const streamOptions = options.getStream()!;
      const name = decodeName(streamOptions.getStreamIdentifier());
      const events = this.streams.get(name);
      if (!events) {
        const notFound = new streamsPb.ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(name));
        call.write(new streamsPb.ReadResp().setStreamNotFound(notFound));
        return void call.end();
      }
      const selected = this.readStream(events, streamOptions, backwards).slice(
        0,
        Number(count > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : count),
      );
      void this.writeAll(call, selected, structured);
    } catch (err) {
      call.emit('error', EventStoreTestDouble.toServiceError(err));
    }
  }

  private readStream(
    events: readonly DoubleEvent[],
    options: StreamsPbModule.ReadReq.Options.StreamOptions,
    backwards: boolean,
  ): DoubleEvent[] {
    const last = BigInt(events.length) - 1n;
    const Case = ReadOpts.StreamOptions.RevisionOptionCase;
    const kind = options.getRevisionOptionCase();
    if (!backwards) {
      const from = kind === Case.REVISION ? BigInt(options.getRevision()) : kind === Case.END ? last + 1n : 0n;
      return from > last ? [] : events.slice(Number(from));
    }
    // Backwards from a revision past the end starts at the last event, as the server does.
    let from = kind === Case.REVISION ? BigInt(options.getRevision()) : kind === Case.START ? 0n : last;
    if (from > last) from = last;
    return events.slice(0, Number(from) + 1).reverse();
  }

  private readAll(options: StreamsPbModule.ReadReq.Options.AllOptions, backwards: boolean): DoubleEvent[] {
    const Case = ReadOpts.AllOptions.AllOptionCase;
    const kind = options.getAllOptionCase();
    if (!backwards) {
      if (kind === Case.END) return [];
      const from = kind === Case.POSITION ? BigInt(options.getPosition()!.getCommitPosition()) : 0n;
      // Forward $all reads include the event at the given position.
      return this.log.slice(this.firstIndexAtOrAfter(from));
    }
    if (kind === Case.START) return [];
    // Backward $all reads return what lies before the given position.
    const before = kind === Case.POSITION ? BigInt(options.getPosition()!.getCommitPosition()) : undefined;
    const end = before === undefined ? this.log.length : this.firstIndexAtOrAfter(before);
    return this.log.slice(0, end).reverse();
  }

  private firstIndexAtOrAfter(position: bigint): number {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.log[mid]!.position < position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private async writeAll(
    call: grpc.ServerWritableStream<ReadReq, ReadResp>,
    events: readonly DoubleEvent[],
    structured: boolean,
  ): Promise<void> {
    let cancelled = false;
    call.on('cancelled', () => (cancelled = true));
    for (const event of events) {
      if (cancelled) return;
      if (!call.write(this.readResp(event, structured))) await new Promise((r) => call.once('drain', r));
    }
    call.end();
  }

  private subscribeToAll(
    call: grpc.ServerWritableStream<ReadReq, ReadResp>,
    options: ReadOptions,
    structured: boolean,
  ): void {
    const all = options.getAll()!;
    const Case = ReadOpts.AllOptions.AllOptionCase;
    let start = 0;
    let minPosition = 0n;
    if (all.getAllOptionCase() === Case.END) start = this.log.length;
    else if (all.getAllOptionCase() === Case.POSITION) {
      // A subscription from a position is exclusive: the server reads one event from there and starts after
      // it; with nothing there yet, it waits for events at or after that position.
      minPosition = BigInt(all.getPosition()!.getCommitPosition());
      const at = this.firstIndexAtOrAfter(minPosition);
      start = Math.min(at + 1, this.log.length);
    }
    const filter = toFilter(options);
    const sub = new AllSubscription(this, call, start, minPosition, filter, filterWindow(options), structured);
    this.subscriptions.add(sub);
    call.on('cancelled', () => {
      sub.cancelled();
      this.subscriptions.delete(sub);
    });
    call.on('error', () => undefined);
    const confirmation = new streamsPb.ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID());
    call.write(new streamsPb.ReadResp().setConfirmation(confirmation));
    sub.pump();
  }
}
