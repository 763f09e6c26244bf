// The EventStoreDB client as this adapter uses it: connection strings, two adjustments to its internals
// (channel tracking, calls on a shut-down channel) and reading a bounded read to its end.
import type { EventStoreDBClient, StreamingRead } from '@eventstore/db-client';
import type { Channel, Client as GrpcClient } from '@grpc/grpc-js';
import { GRPC_UNAVAILABLE } from './errors.js';

const CHANNEL_SHUTDOWN = 4; // ConnectivityState.SHUTDOWN

/** Connection strings the configuration accepts, in the form this client parses (esdb:// or esdb+discover://). */
export function toClientConnectionString(url: string): string {
  return url.replace(/^(?:kurrentdb|kdb)(\+discover)?:\/\//i, (_, discover: string | undefined) =>
    discover ? 'esdb+discover://' : 'esdb://',
  );
}

/**
 * Read a (bounded) client read to its end. Never leave one part-way: the client pipes the gRPC call into the
 * stream it returns, and abandoning that stream leaves a finished call paused short of its 'end', which the
 * client keeps in its set of live streams and its dispose() then waits for forever.
 */
export async function readToEnd<T>(read: StreamingRead<T>): Promise<T[]> {
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
export function patchClient(client: EventStoreDBClient): Set<Channel> {
  type Execute = (ctor: unknown, name: string, action: (c: GrpcClient) => Promise<unknown>) => Promise<unknown>;
  const internals = client as unknown as {
    execute?: Execute;
    getGRPCClient?: (ctor: unknown, name: string) => Promise<GrpcClient>;
    createChannel?: () => Promise<Channel>;
  };
  const channels = new Set<Channel>();
  const { execute, getGRPCClient, createChannel } = internals;
  if (typeof createChannel !== 'function' || typeof execute !== 'function' || typeof getGRPCClient !== 'function')
    throw new Error('@eventstore/db-client internals changed: review adapters/event-log/eventstore/client.ts patchClient');
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
