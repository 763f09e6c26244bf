// What the executor should do next, as pure functions of a run's folded state: which steps and
// compensations to start, what was in flight when it stopped, when to retry, and whether the run is done.
import { durationMs, type RetryPolicy, type StepSpec } from '../../schemas/plan.js';
import { attemptKey, compensationKey, type ExistingRun, type RunFacts, type RunState } from './run-state.js';

/** One attempt to perform: send `run.step.start` (or `run.compensation.start`) with this attempt number. */
export interface Work {
  readonly stepId: string;
  readonly attempt: number;
  /** Pass it to the target system: the same attempt always has the same key. */
  readonly idempotencyKey: string;
  /** Not before this instant (a retry's backoff); absent means now. */
  readonly notBefore?: string;
  readonly step: StepSpec;
}

/** An attempt started but not finished: after a restart, perform it again with the same key, or time it out at the deadline. */
export interface InFlight {
  readonly kind: 'action' | 'compensation';
  readonly stepId: string;
  readonly attempt: number;
  readonly idempotencyKey: string;
  readonly deadline: string;
  readonly step: StepSpec;
}

export type RunOutcome = 'success' | 'failed' | 'rolled_back';

const live = (state: RunState): state is ExistingRun => state.status !== 'absent';
const specOf = (run: RunFacts, id: string): StepSpec => run.spec.steps.find((s) => s.id === id)!;

/** Steps to start now (in dependency order), only while the run is running. Succeeded steps never appear. */
export function readySteps(state: RunState): readonly Work[] {
  if (!live(state) || state.status !== 'running') return [];
  return state.order.flatMap((id): Work[] => {
    const s = state.steps[id]!;
    if (s.status !== 'ready') return [];
    return [{ stepId: id, attempt: s.attempt, idempotencyKey: attemptKey(state.runId, id, s.attempt), ...(s.notBefore === undefined ? {} : { notBefore: s.notBefore }), step: specOf(state, id) }];
  });
}

/** Attempts started and not settled, actions and compensations alike: what a restarted executor resumes. */
export function inFlight(state: RunState): readonly InFlight[] {
  if (!live(state)) return [];
  return state.order.flatMap((id): InFlight[] => {
    const s = state.steps[id]!;
    if (s.status === 'running') return [{ kind: 'action', stepId: id, attempt: s.attempt, idempotencyKey: s.idempotencyKey, deadline: s.deadline, step: specOf(state, id) }];
    if (s.status === 'compensating') {
      const c = s.compensation;
      return [{ kind: 'compensation', stepId: id, attempt: c.attempt, idempotencyKey: c.idempotencyKey, deadline: c.deadline, step: specOf(state, id) }];
    }
    return [];
  });
}

/** Steps that need `stepId`, directly or through others. */
export function dependentsOf(run: RunFacts, stepId: string): readonly string[] {
  const found = new Set<string>();
  const queue = [stepId];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const s of run.spec.steps) if (s.needs.includes(id) && !found.has(s.id)) (found.add(s.id), queue.push(s.id));
  }
  return run.order.filter((id) => found.has(id));
}

/**
 * Dependents of `stepId` that must be undone (or finish) before it is: reverse dependency order means a
 * step is compensated only once nothing built on it is still running or waiting to be compensated.
 */
export function compensationBlockers(run: RunFacts, stepId: string): readonly string[] {
  return dependentsOf(run, stepId).filter((id) => {
    const s = run.steps[id]!;
    return s.status === 'running' || s.status === 'compensating' || s.status === 'compensation_failed' || (s.status === 'succeeded' && s.compensation !== undefined);
  });
}

/** Compensations to start now, latest steps first, only while the run is rolling back. */
export function nextCompensations(state: RunState): readonly Work[] {
  if (!live(state) || state.status !== 'rolling_back') return [];
  return [...state.order].reverse().flatMap((id): Work[] => {
    const s = state.steps[id]!;
    if (s.status !== 'succeeded' || s.compensation === undefined || compensationBlockers(state, id).length > 0) return [];
    const c = s.compensation;
    return [{ stepId: id, attempt: c.attempt, idempotencyKey: compensationKey(state.runId, id, c.attempt), ...(c.notBefore === undefined ? {} : { notBefore: c.notBefore }), step: specOf(state, id) }];
  });
}

/**
 * Milliseconds to wait after failed attempt `attempt` (1 = the first) before the next:
 * min(base_delay·2^(attempt-1), max_delay), shortened by up to `jitter` of itself (`random` in [0, 1),
 * e.g. Math.random()), so retries from many runs spread out instead of arriving together.
 */
export function retryDelay(retries: RetryPolicy, attempt: number, random: number): number {
  const base = durationMs(retries.base_delay) ?? 1_000;
  const cap = durationMs(retries.max_delay) ?? base;
  const exponential = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  const r = Math.min(Math.max(random, 0), 1);
  return Math.round(exponential * (1 - retries.jitter * r));
}

/** Steps with work left in the run's phase: forward, not yet succeeded (nor failed with on_failure continue); rolling back, not yet undone. */
export function unsettledSteps(run: ExistingRun): readonly string[] {
  return run.order.filter((id) => {
    const s = run.steps[id]!;
    if (run.status === 'rolling_back') {
      return s.status === 'running' || s.status === 'compensating' || s.status === 'compensation_failed' || (s.status === 'succeeded' && s.compensation !== undefined);
    }
    return !(s.status === 'succeeded' || (s.status === 'failed' && specOf(run, id).on_failure === 'continue'));
  });
}

/**
 * How the run ends if it ends now, or undefined while work remains (or it is not running or rolling
 * back). Forward: every step succeeded or failed with on_failure continue → success. Rolling back:
 * nothing running or left to compensate → rolled_back if some compensation ran, else failed (there
 * was nothing to undo).
 */
export function completion(state: RunState): RunOutcome | undefined {
  if (!live(state) || (state.status !== 'running' && state.status !== 'rolling_back')) return undefined;
  if (unsettledSteps(state).length > 0) return undefined;
  if (state.status === 'running') return 'success';
  return Object.values(state.steps).some((s) => s.status === 'compensated') ? 'rolled_back' : 'failed';
}
