// Backpressure on the routes that run commands: a request takes one of a bounded number of command slots
// (command-slots.ts) or is refused at once, 429 when its tenant holds its share, 503 when the process is
// full, both with Retry-After, so latency stays bounded instead of growing with the queue. An admitted
// command's caller waits at most the configured timeout; then it hears 503 with Retry-After. That command
// keeps running and its append may still commit: a retry with the same Idempotency-Key (or the same
// provenance.externalId) then answers with the first result instead of appending again.
import type { MiddlewareHandler } from 'hono';
import type { CommandSlots } from '../command-slots.js';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';
import { problem, sendProblem } from '../problem.js';

/** Seconds a refused or timed-out caller is told to wait: slots free as fast as commands finish. */
const RETRY_AFTER_SECONDS = '1';

export interface AdmissionOptions {
  readonly slots: CommandSlots;
  /** The longest a caller waits for its command's answer (ms). */
  readonly timeoutMs: number;
  readonly metrics: Metrics;
}

/** Bounds the POSTs under the path it is mounted on (every POST of the API runs a command); reads pass. */
export const admitCommands = ({ slots, timeoutMs, metrics }: AdmissionOptions): MiddlewareHandler<AppEnv> => async (c, next) => {
  if (c.req.method !== 'POST') return next();
  // Mounted after authentication the principal names the tenant; on a route that authenticates itself
  // (GitHub's signature) the tenant is not known yet and only the process bound applies.
  const tenant = (c.get('principal') as { tenant?: string } | undefined)?.tenant;
  const taken = slots.take(tenant);
  if (!taken.admitted) {
    metrics.commandsShed.inc({ reason: taken.full });
    c.header('retry-after', RETRY_AFTER_SECONDS);
    return sendProblem(
      c,
      taken.full === 'tenant'
        ? problem('tenant-busy', `tenant ${tenant} has ${slots.limits.maxInFlightPerTenant} commands in flight, its share; nothing was done; retry after Retry-After`, {
            maxInFlightPerTenant: slots.limits.maxInFlightPerTenant,
          })
        : problem('server-busy', `${slots.limits.maxInFlight} commands are in flight in this server, its limit; nothing was done; retry after Retry-After`, {
            maxInFlight: slots.limits.maxInFlight,
          }),
    );
  }
  // The slot is given back when the command finishes, even after its caller has been answered.
  const work = next().finally(taken.release);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, timeoutMs, 'timeout')));
  try {
    if ((await Promise.race([work.then(() => 'done' as const), timedOut])) === 'done') return;
  } finally {
    clearTimeout(timer);
  }
  // The late outcome has no caller left; an error in it was already answered (and reported) by the app.
  work.catch(() => {});
  metrics.commandsShed.inc({ reason: 'timeout' });
  c.header('retry-after', RETRY_AFTER_SECONDS);
  return sendProblem(
    c,
    problem(
      'command-timeout',
      `the command did not finish within ${timeoutMs / 1000} s; it may still be appended: retry with the same Idempotency-Key, which answers with the first result and never appends twice`,
      { timeoutSeconds: timeoutMs / 1000 },
    ),
  );
};
