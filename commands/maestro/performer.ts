// The performer port: how the executor has one step attempt performed in the world (http, script, wait,
// manual), and the deadline it puts on each. The composition root (bin/system.ts) injects the real one
// (adapters/maestro/actions.ts); tests inject their own.
import type { JsonObject } from '../../schemas/json.js';
import type { ActionSpec } from '../../schemas/plan.js';
import type { FailureCause } from '../../schemas/run.js';
import type { Clock } from './clock.js';

/** How an attempt ended; a timeout is decided by the executor, which aborts `signal`. */
export type Outcome =
  | { readonly ok: true; readonly result: JsonObject }
  | { readonly ok: false; readonly cause: FailureCause; readonly error: string };

export interface AttemptRequest {
  readonly action: ActionSpec;
  /** runId:stepId:attempt (or …:compensation:attempt): the same attempt always sends the same key. */
  readonly idempotencyKey: string;
  readonly signal: AbortSignal;
}

/** Performs one attempt. */
export type Performer = (request: AttemptRequest) => Promise<Outcome>;

const fail = (cause: FailureCause, error: string): Outcome => ({ ok: false, cause, error: error.slice(0, 4000) });
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Runs `perform` for at most `timeoutMs` on `clock`: at the deadline the attempt is aborted and fails
 * with cause timeout. A performer that throws fails with cause error.
 */
export async function withTimeout(clock: Clock, timeoutMs: number, perform: (signal: AbortSignal) => Promise<Outcome>, outer?: AbortSignal): Promise<Outcome> {
  const attempt = new AbortController();
  const timer = new AbortController();
  const onOuter = () => attempt.abort(outer!.reason);
  outer?.addEventListener('abort', onOuter, { once: true });
  const timedOut = clock.sleep(timeoutMs, timer.signal).then(
    (): Outcome => fail('timeout', `no outcome within ${timeoutMs} ms (the step's timeout)`),
    () => new Promise<Outcome>(() => {}),
  );
  try {
    const outcome = await Promise.race([perform(attempt.signal).catch((e: unknown) => fail('error', message(e))), timedOut]);
    if (!outcome.ok && outcome.cause === 'timeout') attempt.abort(new Error('timeout'));
    return outcome;
  } finally {
    timer.abort();
    outer?.removeEventListener('abort', onOuter);
  }
}
