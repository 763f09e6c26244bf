// How the PostgreSQL log classifies driver errors: which mean the server is away (LogUnavailableError,
// callers may retry), which a lone append retries (races with a writer in another process), and the
// mapping to the port's errors.
import { LogTimeoutError, LogUnavailableError } from '../event-log.js';

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/** The server cannot be reached: socket errors, connection exceptions (08…), shutdowns (57P0x), too many clients. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof LogUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '53300') {
      return true;
    }
  }
  return /Connection terminated|connection error|Client was closed|not queryable/i.test(err.message) || isTimeout(err);
}

/** pg gave up waiting: a statement unanswered past query_timeout, or a connection not made within connectionTimeoutMillis. */
export const isTimeout = (err: unknown): boolean =>
  err instanceof Error && /^Query read timeout$|timeout exceeded when trying to connect|due to connection timeout/i.test(err.message);

// unique_violation, deadlock_detected, serialization_failure
export const isRetryable = (err: unknown): boolean =>
  ['23505', '40P01', '40001'].includes(String((err as { code?: unknown } | undefined)?.code));

/** The error as the port reports it: an unreachable server as LogUnavailableError (LogTimeoutError when it may have run), anything else as is. */
export function mapError(err: unknown): unknown {
  if (isTimeout(err)) return new LogTimeoutError(`event log did not answer in time: ${(err as Error).message}`, { cause: err });
  if (isUnavailable(err) && !(err instanceof LogUnavailableError)) {
    return new LogUnavailableError(`event log unavailable: ${(err as Error).message}`, { cause: err });
  }
  return err;
}
