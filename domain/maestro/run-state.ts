// A run's state and how its events change it. Step states carry exactly what each state needs, so a
// running step always has its attempt and idempotency key, and a succeeded step can never be started.
import type { JsonObject } from '../../schemas/json.js';
import type { PlanSpec, StepSpec } from '../../schemas/plan.js';
import { topologicalOrder } from './plan-order.js';
import type { FailureCause, RunEvent, RunEventOf } from '../../schemas/run.js';

/** An attempt in flight: its number, how many more may follow, its idempotency key and deadline. */
export interface RunningAttempt {
  readonly attempt: number;
  readonly attemptsLeft: number;
  readonly idempotencyKey: string;
  readonly deadline: string;
}

/** The next attempt of something: its number, the attempts left including it, and when it may start. */
export interface NextAttempt {
  readonly attempt: number;
  readonly attemptsLeft: number;
  readonly notBefore?: string;
}

export type StepState =
  /** Some need has not succeeded yet; approvals may already arrive. */
  | { readonly status: 'pending'; readonly approvals: readonly string[] }
  /** Needs met; the approval policy is not satisfied yet. */
  | { readonly status: 'waiting_approval'; readonly approvals: readonly string[] }
  | ({ readonly status: 'ready' } & NextAttempt)
  | ({ readonly status: 'running' } & RunningAttempt)
  /** `compensation` is present when the step has one that has not run (or is due for another attempt). */
  | { readonly status: 'succeeded'; readonly attempts: number; readonly compensation?: NextAttempt }
  | { readonly status: 'failed'; readonly attempts: number; readonly cause: FailureCause; readonly error: string }
  | { readonly status: 'skipped'; readonly reason: 'rollback' | 'canceled' }
  | { readonly status: 'compensating'; readonly attempts: number; readonly compensation: RunningAttempt }
  | { readonly status: 'compensated'; readonly attempts: number; readonly compensationAttempts: number }
  | {
      readonly status: 'compensation_failed';
      readonly attempts: number;
      readonly compensationAttempts: number;
      readonly cause: FailureCause;
      readonly error: string;
    };
export type StepStatus = StepState['status'];

export interface RunFacts {
  readonly runId: string;
  readonly region: string;
  readonly plan: { readonly name: string; readonly version: number; readonly digest: string };
  readonly spec: PlanSpec;
  readonly requester: string;
  readonly inputs: JsonObject;
  /** Step ids in topological order (a step after everything it needs). */
  readonly order: readonly string[];
  readonly steps: { readonly [stepId: string]: StepState };
}

/** Forward: steps run. Rolling back: compensations run. */
export type Phase = 'running' | 'rolling_back';

export type RunState =
  | { readonly status: 'absent' }
  | (RunFacts & { readonly status: 'pending' | 'evaluating_policies' | Phase })
  /** Waiting for a person about the steps in `blockedOn`; `resumeTo` is the phase it was in. */
  | (RunFacts & { readonly status: 'waiting_manual'; readonly resumeTo: Phase; readonly blockedOn: readonly string[] })
  | (RunFacts & { readonly status: 'success' | 'failed' | 'canceled' | 'rolled_back' });
export type RunStatus = RunState['status'];
export type ExistingRun = Exclude<RunState, { readonly status: 'absent' }>;

export const TERMINAL: readonly RunStatus[] = ['success', 'failed', 'canceled', 'rolled_back'];

export const initialRunState: RunState = Object.freeze({ status: 'absent' });

/** The phase a live run is in (a paused run: the phase it paused in). */
export const phaseOf = (run: ExistingRun): Phase | undefined =>
  run.status === 'running' || run.status === 'rolling_back' ? run.status : run.status === 'waiting_manual' ? run.resumeTo : undefined;

export const stepSpecOf = (run: RunFacts, stepId: string): StepSpec | undefined => run.spec.steps.find((s) => s.id === stepId);

export const attemptKey = (runId: string, stepId: string, attempt: number): string => `${runId}:${stepId}:${attempt}`;
export const compensationKey = (runId: string, stepId: string, attempt: number): string => `${runId}:${stepId}:compensation:${attempt}`;

/**
 * Whether the approval policy is satisfied by these approvers (who may approve is checked when they do).
 * A `manual` step is a person's task: with policy none it still waits for one person to confirm it.
 */
export const approvalsComplete = (step: StepSpec, approvals: readonly string[]): boolean =>
  step.approval_policy === 'none'
    ? step.action_type !== 'manual' || approvals.length >= 1
    : step.approval_policy === 'two-person'
      ? new Set(approvals).size >= 2
      : approvals.length >= 1;

/** A need is met when it succeeded, or failed with on_failure continue (its failure is tolerated). */
const needMet = (run: RunFacts, id: string): boolean => {
  const s = run.steps[id];
  return s?.status === 'succeeded' || (s?.status === 'failed' && stepSpecOf(run, id)?.on_failure === 'continue');
};

const firstAttempt = (retries: { readonly max: number }): NextAttempt => ({ attempt: 1, attemptsLeft: retries.max + 1 });

/** While running, steps whose needs are met move on to waiting_approval or ready. */
function promote<R extends ExistingRun>(run: R): R {
  if (run.status !== 'running') return run;
  let steps = run.steps;
  for (const spec of run.spec.steps) {
    const s = steps[spec.id]!;
    if ((s.status !== 'pending' && s.status !== 'waiting_approval') || !spec.needs.every((n) => needMet(run, n))) continue;
    const next: StepState = approvalsComplete(spec, s.approvals) ? { status: 'ready', ...firstAttempt(spec.retries) } : { status: 'waiting_approval', approvals: s.approvals };
    if (next.status !== s.status) steps = { ...steps, [spec.id]: next };
  }
  return steps === run.steps ? run : { ...run, steps };
}

const withStep = <R extends ExistingRun>(run: R, stepId: string, step: StepState): R => ({ ...run, steps: { ...run.steps, [stepId]: step } });

/** Steps that never started are skipped when the run stops moving forward. */
const skipUnstarted = (steps: RunFacts['steps'], reason: 'rollback' | 'canceled'): RunFacts['steps'] =>
  Object.fromEntries(
    Object.entries(steps).map(([id, s]) => [id, s.status === 'pending' || s.status === 'waiting_approval' || s.status === 'ready' ? { status: 'skipped', reason } : s]),
  );

/** The facts of a run, without the fields of its current status. */
const factsOf = (run: ExistingRun): RunFacts => {
  const { runId, region, plan, spec, requester, inputs, order, steps } = run;
  return { runId, region, plan, spec, requester, inputs, order, steps };
};

function started(e: RunEventOf<'run.started'>): ExistingRun {
  const { runId, region, plan, spec, requester, inputs } = e.data;
  const steps = Object.fromEntries(spec.steps.map((s): [string, StepState] => [s.id, { status: 'pending', approvals: [] }]));
  return { status: 'pending', runId, region, plan, spec, requester, inputs, order: topologicalOrder(spec.steps), steps };
}

/** Events the decider could not have emitted in the current state leave it as it is. */
export function evolveRun(state: RunState, event: RunEvent): RunState {
  if (event.type === 'run.started') return state.status === 'absent' ? started(event) : state;
  if (state.status === 'absent') return state;
  return promote(evolveExisting(state, event));
}

function evolveExisting(run: ExistingRun, event: Exclude<RunEvent, RunEventOf<'run.started'>>): ExistingRun {
  const stepId = 'stepId' in event.data ? event.data.stepId : undefined;
  const step = stepId === undefined ? undefined : run.steps[stepId];
  const spec = stepId === undefined ? undefined : stepSpecOf(run, stepId);
  switch (event.type) {
    case 'run.evaluation.started':
      return { ...factsOf(run), status: 'evaluating_policies' };
    case 'run.admitted':
      return { ...factsOf(run), status: 'running' };
    case 'run.rejected':
      return { ...factsOf(run), status: 'failed' };
    case 'run.step.approved': {
      const { stepId, approver } = event.data;
      if (step?.status !== 'pending' && step?.status !== 'waiting_approval') return run;
      return withStep(run, stepId, { status: step.status, approvals: [...step.approvals, approver] });
    }
    case 'run.step.started': {
      const { stepId, attempt, idempotencyKey, deadline } = event.data;
      if (step?.status !== 'ready') return run;
      return withStep(run, stepId, { status: 'running', attempt, attemptsLeft: step.attemptsLeft - 1, idempotencyKey, deadline });
    }
    case 'run.step.succeeded': {
      const { stepId, attempt } = event.data;
      if (step?.status !== 'running' || spec === undefined) return run;
      const compensation = spec.compensation === undefined ? {} : { compensation: firstAttempt(spec.compensation.retries) };
      return withStep(run, stepId, { status: 'succeeded', attempts: attempt, ...compensation });
    }
    case 'run.step.attempt_failed': {
      const { stepId, attempt, retryAt, cause, error } = event.data;
      if (step?.status !== 'running') return run;
      return withStep(
        run,
        stepId,
        retryAt === undefined
          ? { status: 'failed', attempts: attempt, cause, error }
          : { status: 'ready', attempt: attempt + 1, attemptsLeft: step.attemptsLeft, notBefore: retryAt },
      );
    }
    case 'run.step.failed':
    case 'run.compensation.failed':
      // Markers for readers: attempt_failed without retryAt already settled the step.
      return run;
    case 'run.step.retry_granted': {
      const { stepId } = event.data;
      if (run.status !== 'waiting_manual' || spec === undefined) return run;
      let next: StepState | undefined;
      if (step?.status === 'failed') next = { status: 'ready', ...firstAttempt(spec.retries), attempt: step.attempts + 1 };
      if (step?.status === 'compensation_failed' && spec.compensation !== undefined) {
        next = { status: 'succeeded', attempts: step.attempts, compensation: { ...firstAttempt(spec.compensation.retries), attempt: step.compensationAttempts + 1 } };
      }
      if (next === undefined) return run;
      const blockedOn = run.blockedOn.filter((id) => id !== stepId);
      const resumed = blockedOn.length > 0 ? { ...run, blockedOn } : { ...factsOf(run), status: run.resumeTo };
      return withStep(resumed, stepId, next);
    }
    case 'run.paused': {
      const { stepId } = event.data;
      if (run.status === 'waiting_manual') return run.blockedOn.includes(stepId) ? run : { ...run, blockedOn: [...run.blockedOn, stepId] };
      if (run.status !== 'running' && run.status !== 'rolling_back') return run;
      return { ...factsOf(run), status: 'waiting_manual', resumeTo: run.status, blockedOn: [stepId] };
    }
    case 'run.rollback.started':
      return { ...factsOf(run), status: 'rolling_back', steps: skipUnstarted(run.steps, 'rollback') };
    case 'run.compensation.started': {
      const { stepId, attempt, idempotencyKey, deadline } = event.data;
      if (step?.status !== 'succeeded' || step.compensation === undefined) return run;
      const compensation = { attempt, attemptsLeft: step.compensation.attemptsLeft - 1, idempotencyKey, deadline };
      return withStep(run, stepId, { status: 'compensating', attempts: step.attempts, compensation });
    }
    case 'run.compensation.succeeded': {
      const { stepId, attempt } = event.data;
      if (step?.status !== 'compensating') return run;
      return withStep(run, stepId, { status: 'compensated', attempts: step.attempts, compensationAttempts: attempt });
    }
    case 'run.compensation.attempt_failed': {
      const { stepId, attempt, retryAt, cause, error } = event.data;
      if (step?.status !== 'compensating') return run;
      return withStep(
        run,
        stepId,
        retryAt === undefined
          ? { status: 'compensation_failed', attempts: step.attempts, compensationAttempts: attempt, cause, error }
          : { status: 'succeeded', attempts: step.attempts, compensation: { attempt: attempt + 1, attemptsLeft: step.compensation.attemptsLeft, notBefore: retryAt } },
      );
    }
    case 'run.canceled':
      return { ...factsOf(run), status: 'canceled', steps: skipUnstarted(run.steps, 'canceled') };
    case 'run.completed':
      return { ...factsOf(run), status: event.data.status };
  }
}
