// How the EventStoreDB log classifies client and gRPC errors: which are transient (the server is away or
// dropped the call: LogUnavailableError, subscriptions resubscribe), and the adapter's own error.
import { CancelledError, DeadlineExceededError, NotLeaderError, TimeoutError, UnavailableError } from '@eventstore/db-client';
import { LogUnavailableError } from '../event-log.js';

// gRPC status codes (from @grpc/grpc-js `status`), for errors the client passes through unconverted.
const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_ABORTED = 10;
export const GRPC_UNAVAILABLE = 14;

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

export function isTransient(err: unknown): boolean {
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

/** The error as the port reports it: a transient one as LogUnavailableError, anything else as is. */
export function mapError(err: unknown): unknown {
  if (err instanceof LogUnavailableError || !isTransient(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new LogUnavailableError(`EventStoreDB unavailable: ${message}`, { cause: err });
}
