// What the app answers for an error a route or middleware threw: every known error becomes its
// catalogued problem; anything else is reported (with the request id) and answered as a 500 problem
// carrying that id, so an operator can find the stack trace in the log; a caller never sees it.
import type { Context, ErrorHandler } from 'hono';
import { failure, Refusal, type Failure } from '../../commands/failure.js';
import { RevisionConflictError } from '../../commands/stream-writer.js';
import { LogTimeoutError, LogUnavailableError, WrongExpectedRevisionError } from '../event-log/index.js';
import { AuthenticationError } from '../auth/jwt.js';
import { AnalyticsUnavailableError } from '../analytics-store/analytics-store.js';
import type { AppEnv } from './env.js';
import { problem, problemOf, sendProblem } from './problem.js';

/** Where unexpected errors go; the request id ties the log line to the answer. */
export type ErrorReport = (error: unknown, requestId: string | undefined) => void;

/** The catalogued failure a known error stands for; undefined for an unexpected one. */
export function failureOfError(error: unknown): Failure | undefined {
  if (error instanceof Refusal) return error.failure;
  if (error instanceof LogTimeoutError) {
    return failure('log-unavailable', 'the event log did not answer in time; the write may have been recorded: retry with the same Idempotency-Key');
  }
  if (error instanceof LogUnavailableError) return failure('log-unavailable', 'the event log cannot be reached; nothing was written; retry');
  if (error instanceof AnalyticsUnavailableError) {
    return failure('analytics-unavailable', 'the audit index and cost store (ClickHouse) cannot be reached; retry');
  }
  if (error instanceof RevisionConflictError || error instanceof WrongExpectedRevisionError) {
    return failure('revision-conflict', `${error.message}; retry`);
  }
  if (error instanceof AuthenticationError) return failure('unauthenticated', error.message);
  return undefined;
}

export const answerError = (report: ErrorReport): ErrorHandler<AppEnv> => (error: Error, c: Context<AppEnv>) => {
  const known = failureOfError(error);
  if (known !== undefined) {
    // Every 503 is transient: the server will be back, so say when to retry.
    if (known.status === 503) c.header('retry-after', '1');
    return sendProblem(c, problemOf(known));
  }
  report(error, c.get('requestId'));
  return sendProblem(c, problem('internal', 'the server failed to handle the request; it has been logged with the request id'));
};
