// The run aggregate's decisions: one stream per run id. People start, approve, retry, roll back and
// cancel; the executor reports admission, attempts and compensations. Repeats of a recorded fact are no-ops.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { durationMs, type StepSpec } from '../../schemas/plan.js';
import {
  RUN_SCHEMA_VERSION,
  type AttemptFail,
  type AttemptStart,
  type AttemptSucceed,
  type RunAdmit,
  type RunCancel,
  type RunComplete,
  type RunEvaluate,
  type RunEvent,
  type RunEventOf,
  type RunReject,
  type RunRollback,
  type RunStart,
  type RunStepApprove,
  type RunStepRetry,
} from '../../schemas/run.js';
import type { DecideContext, Decider } from '../command-handler.js';
import { domainError, validationError, type DomainError } from '../errors.js';
import { planVersion, type PlanState } from './plan.js';
import {
  TERMINAL,
  attemptKey,
  compensationKey,
  evolveRun,
  initialRunState,
  phaseOf,
  stepSpecOf,
  type ExistingRun,
  type RunState,
  type StepState,
} from './run-state.js';
import { compensationBlockers, completion, readySteps, unsettledSteps } from './schedule.js';

/** Streams run.start reads: the plan it instantiates. */
export interface RunRelated {
  readonly plan?: PlanState;
}

/**
 * `actor` (from DecideContext) is the verified principal's id, which the pipeline passes; decisions that
 * record who acted refuse without it rather than guess.
 */
export type RunContext = DecideContext<RunRelated>;

export type RunCommand =
  | { readonly type: 'run.start'; readonly data: RunStart }
  | { readonly type: 'run.step.approve'; readonly data: RunStepApprove }
  | { readonly type: 'run.step.retry'; readonly data: RunStepRetry }
  | { readonly type: 'run.rollback'; readonly data: RunRollback }
  | { readonly type: 'run.cancel'; readonly data: RunCancel }
  | { readonly type: 'run.evaluate'; readonly data: RunEvaluate }
  | { readonly type: 'run.admit'; readonly data: RunAdmit }
  | { readonly type: 'run.reject'; readonly data: RunReject }
  | { readonly type: 'run.step.start'; readonly data: AttemptStart }
  | { readonly type: 'run.step.attempt.succeed'; readonly data: AttemptSucceed }
  | { readonly type: 'run.step.attempt.fail'; readonly data: AttemptFail }
  | { readonly type: 'run.compensation.start'; readonly data: AttemptStart }
  | { readonly type: 'run.compensation.succeed'; readonly data: AttemptSucceed }
  | { readonly type: 'run.compensation.fail'; readonly data: AttemptFail }
  | { readonly type: 'run.complete'; readonly data: RunComplete };

type Decision = Either<DomainError, readonly RunEvent[]>;
const NOTHING: Decision = right([]);

const event = <T extends RunEvent['type']>(type: T, data: RunEventOf<T>['data']): RunEvent =>
  ({ type, schemaVersion: RUN_SCHEMA_VERSION, data }) as RunEvent;

const conflict = (detail: string): Decision => left(domainError('conflict', detail));

const addMs = (at: string, ms: number): string => new Date(Date.parse(at) + ms).toISOString();

// ---------------------------------------------------------------------------------------------------
// Guards

type Found = { readonly run: ExistingRun };
type FoundStep = Found & { readonly step: StepState; readonly spec: StepSpec };

function findRun(cmd: { readonly runId: string; readonly region: string }, state: RunState): Either<DomainError, Found> {
  if (state.status === 'absent') return left(domainError('not-found', `run ${cmd.runId} does not exist`));
  if (cmd.region !== state.region) {
    return left(domainError('region-mismatch', `run ${cmd.runId} lives in region ${state.region}, not ${cmd.region}`));
  }
  return right({ run: state });
}

function findStep(cmd: { readonly runId: string; readonly region: string; readonly stepId: string }, state: RunState): Either<DomainError, FoundStep> {
  const found = findRun(cmd, state);
  if (found._tag === 'Left') return found;
  const { run } = found.right;
  const spec = stepSpecOf(run, cmd.stepId);
  if (spec === undefined) return left(domainError('not-found', `run ${cmd.runId} (plan ${run.plan.name} v${run.plan.version}) has no step ${cmd.stepId}`));
  return right({ run, step: run.steps[cmd.stepId]!, spec });
}

const actorOf = (ctx: RunContext, what: string): Either<DomainError, string> =>
  ctx.actor === undefined ? left(domainError('forbidden', `${what} needs the principal's identity, and none was given`)) : right(ctx.actor);

const describeStep = (id: string, s: StepState): string => `step ${id} is ${s.status.replace('_', ' ')}`;

// ---------------------------------------------------------------------------------------------------
// People

/** Start: the plan version (latest unless named) is copied into the run, so the run replays on its own. */
export function startRun(cmd: RunStart, state: RunState, ctx: RunContext): Decision {
  if (state.status !== 'absent') return conflict(`run ${cmd.runId} already exists (plan ${state.plan.name} v${state.plan.version}); choose another run id`);
  const requester = actorOf(ctx, 'starting a run');
  if (requester._tag === 'Left') return requester;
  const plan = ctx.related.plan ?? { status: 'absent' };
  const chosen = planVersion(plan, cmd.version);
  if (plan.status === 'absent') return left(domainError('not-found', `plan ${cmd.plan} is not registered`));
  if (chosen === undefined) return left(domainError('not-found', `plan ${cmd.plan} has no version ${cmd.version} (latest is ${plan.versions.length})`));
  return right([
    event('run.started', {
      runId: cmd.runId,
      region: cmd.region,
      plan: { name: cmd.plan, version: chosen.version, digest: chosen.digest },
      spec: chosen.spec,
      requester: requester.right,
      inputs: cmd.inputs ?? {},
      ...(cmd.reason === undefined ? {} : { reason: cmd.reason }),
    }),
  ]);
}

/**
 * Approve: before the step starts, while the run can still go forward. Nobody approves a
 * high-sensitivity or two-person step of their own run (the two-person rule); the same approver twice
 * counts once. Whether the approver holds the role of a `role:` policy is Cedar's check.
 */
export function approveStep(cmd: RunStepApprove, state: RunState, ctx: RunContext): Decision {
  const found = findStep(cmd, state);
  if (found._tag === 'Left') return found;
  const { run, step, spec } = found.right;
  const approver = actorOf(ctx, 'approving a step');
  if (approver._tag === 'Left') return approver;
  if (TERMINAL.includes(run.status) || phaseOf(run) === 'rolling_back') return conflict(`run ${run.runId} is ${run.status.replace('_', ' ')}; approvals no longer apply`);
  if (spec.approval_policy === 'none' && spec.action_type !== 'manual') return conflict(`step ${spec.id} needs no approval (approval_policy none)`);
  if (step.status !== 'pending' && step.status !== 'waiting_approval') return conflict(`${describeStep(spec.id, step)}; approvals are taken before a step starts`);
  if ((spec.sensitivity === 'high' || spec.approval_policy === 'two-person') && approver.right === run.requester) {
    return left(domainError('forbidden', `${approver.right} requested run ${run.runId}, so cannot approve its ${spec.sensitivity === 'high' ? 'high-sensitivity' : 'two-person'} step ${spec.id}; another person must`));
  }
  if (step.approvals.includes(approver.right)) return NOTHING;
  return right([event('run.step.approved', { stepId: spec.id, approver: approver.right, ...(cmd.comment === undefined ? {} : { comment: cmd.comment }) })]);
}

/** Retry: only what the run is waiting on a person for; grants a fresh set of attempts. */
export function retryStep(cmd: RunStepRetry, state: RunState, ctx: RunContext): Decision {
  const found = findStep(cmd, state);
  if (found._tag === 'Left') return found;
  const { run, step, spec } = found.right;
  const by = actorOf(ctx, 'retrying a step');
  if (by._tag === 'Left') return by;
  if (run.status !== 'waiting_manual' || !run.blockedOn.includes(spec.id)) {
    return conflict(`run ${run.runId} is not waiting for a person about step ${spec.id} (${describeStep(spec.id, step)})`);
  }
  return right([event('run.step.retry_granted', { stepId: spec.id, grantedBy: by.right, ...(cmd.reason === undefined ? {} : { reason: cmd.reason }) })]);
}

/** Roll back: from the forward phase (running or paused in it); a run already rolling back is left alone. */
export function rollbackRun(cmd: RunRollback, state: RunState, ctx: RunContext): Decision {
  const found = findRun(cmd, state);
  if (found._tag === 'Left') return found;
  const { run } = found.right;
  const phase = phaseOf(run);
  if (phase === 'rolling_back') return NOTHING;
  if (phase === undefined) {
    return conflict(
      TERMINAL.includes(run.status) ? `run ${run.runId} has ended (${run.status.replace('_', ' ')})` : `run ${run.runId} has not started any step; cancel it instead`,
    );
  }
  const by = actorOf(ctx, 'rolling back a run');
  if (by._tag === 'Left') return by;
  return right([event('run.rollback.started', { reason: 'requested', requestedBy: by.right, ...(cmd.reason === undefined ? {} : { comment: cmd.reason }) })]);
}

/** Cancel: stops a live run where it is; undoes nothing (roll back for that). Cancelling twice is a no-op. */
export function cancelRun(cmd: RunCancel, state: RunState, ctx: RunContext): Decision {
  const found = findRun(cmd, state);
  if (found._tag === 'Left') return found;
  const { run } = found.right;
  if (run.status === 'canceled') return NOTHING;
  if (TERMINAL.includes(run.status)) return conflict(`run ${run.runId} has already ended (${run.status.replace('_', ' ')})`);
  const by = actorOf(ctx, 'canceling a run');
  if (by._tag === 'Left') return by;
  return right([event('run.canceled', { by: by.right, ...(cmd.reason === undefined ? {} : { reason: cmd.reason }) })]);
}

// ---------------------------------------------------------------------------------------------------
// The executor: admission

export function evaluateRun(cmd: RunEvaluate, state: RunState): Decision {
  const found = findRun(cmd, state);
  if (found._tag === 'Left') return found;
  const { run } = found.right;
  if (run.status === 'evaluating_policies') return NOTHING;
  if (run.status !== 'pending') return conflict(`run ${run.runId} is ${run.status.replace('_', ' ')}, not pending`);
  return right([event('run.evaluation.started', {})]);
}

export function admitRun(cmd: RunAdmit, state: RunState, ctx: RunContext): Decision {
  const found = findRun(cmd, state);
  if (found._tag === 'Left') return found;
  const { run } = found.right;
  if (run.status !== 'evaluating_policies') return conflict(`run ${run.runId} is ${run.status.replace('_', ' ')}; only a run under evaluation is admitted`);
  const gates = cmd.gates ?? [];
  const failed = gates.filter((g) => !g.passed);
  if (failed.length > 0) return left(validationError(failed.map((g) => `gates: ${g.name} did not pass; send run.reject instead`)));
  return right(withReadyStarted(state, [event('run.admitted', { gates })], cmd.startReady, ctx.now));
}

export function rejectRun(cmd: RunReject, state: RunState): Decision {
  const found = findRun(cmd, state);
  if (found._tag === 'Left') return found;
  const { run } = found.right;
  if (run.status !== 'evaluating_policies') return conflict(`run ${run.runId} is ${run.status.replace('_', ' ')}; only a run under evaluation is rejected`);
  return right([event('run.rejected', { reason: cmd.reason, gates: cmd.gates ?? [] })]);
}

// ---------------------------------------------------------------------------------------------------
// The executor: step attempts

/** Start: only a ready step, with its next attempt number, not before its retry time. Never a succeeded step. */
export function startStep(cmd: AttemptStart, state: RunState, ctx: RunContext): Decision {
  const found = findStep(cmd, state);
  if (found._tag === 'Left') return found;
  const { run, step, spec } = found.right;
  if (step.status === 'running' && step.attempt === cmd.attempt) return NOTHING;
  if (step.status === 'succeeded') return conflict(`step ${spec.id} already succeeded (attempt ${step.attempts}); a succeeded step never runs again`);
  if (run.status !== 'running') return conflict(`run ${run.runId} is ${run.status.replace('_', ' ')}; steps start only while it is running`);
  if (step.status !== 'ready') return conflict(`${describeStep(spec.id, step)}, not ready`);
  if (step.attempt !== cmd.attempt) return conflict(`the next attempt of step ${spec.id} is ${step.attempt}, not ${cmd.attempt}`);
  if (step.notBefore !== undefined && Date.parse(ctx.now) < Date.parse(step.notBefore)) {
    return conflict(`attempt ${step.attempt} of step ${spec.id} may start at ${step.notBefore}, not before`);
  }
  return right([stepStarted(run.runId, spec, cmd.attempt, ctx.now)]);
}

const stepStarted = (runId: string, spec: StepSpec, attempt: number, now: string): RunEvent =>
  event('run.step.started', { stepId: spec.id, attempt, idempotencyKey: attemptKey(runId, spec.id, attempt), deadline: addMs(now, durationMs(spec.timeout)!) });

/**
 * `events`, and with `startReady` the start of every step they make ready whose retry time has come
 * (what `run.step.start` would decide for each), or, when they settle the run's last step, its completion
 * (what `run.complete` would decide), in the same append.
 */
function withReadyStarted(state: RunState, events: readonly RunEvent[], startReady: boolean | undefined, now: string): readonly RunEvent[] {
  if (startReady !== true || events.length === 0) return events;
  const after = events.reduce(evolveRun, state);
  if (after.status === 'absent') return events;
  const due = readySteps(after).filter((w) => w.notBefore === undefined || Date.parse(w.notBefore) <= Date.parse(now));
  if (due.length > 0) return [...events, ...due.map((w) => stepStarted(after.runId, w.step, w.attempt, now))];
  const outcome = completion(after);
  return outcome === undefined ? events : [...events, event('run.completed', { status: outcome })];
}

/** Succeed: the running attempt's outcome. Also recorded after a cancel or rollback began: it happened. */
export function succeedStep(cmd: AttemptSucceed, state: RunState, ctx: RunContext): Decision {
  const found = findStep(cmd, state);
  if (found._tag === 'Left') return found;
  const { step, spec } = found.right;
  if (step.status === 'succeeded' && step.attempts === cmd.attempt) return NOTHING;
  if (step.status !== 'running' || step.attempt !== cmd.attempt) return conflict(`${describeStep(spec.id, step)}; attempt ${cmd.attempt} is not running`);
  const succeeded = event('run.step.succeeded', { stepId: spec.id, attempt: cmd.attempt, ...(cmd.result === undefined ? {} : { result: cmd.result }) });
  return right(withReadyStarted(state, [succeeded], cmd.startReady, ctx.now));
}

/**
 * Fail: with attempts left and the run going forward, the next attempt is scheduled at `retryAt`.
 * Otherwise the step fails for good, and while going forward its on_failure applies: rollback starts
 * the rollback, manual pauses the run for a person, continue lets dependents run anyway.
 */
export function failStep(cmd: AttemptFail, state: RunState): Decision {
  const found = findStep(cmd, state);
  if (found._tag === 'Left') return found;
  const { run, step, spec } = found.right;
  const recorded = (step.status === 'failed' && step.attempts === cmd.attempt) || (step.status === 'ready' && step.attempt > cmd.attempt);
  if (recorded) return NOTHING;
  if (step.status !== 'running' || step.attempt !== cmd.attempt) return conflict(`${describeStep(spec.id, step)}; attempt ${cmd.attempt} is not running`);
  const failure = { stepId: spec.id, attempt: cmd.attempt, cause: cmd.cause, error: cmd.error };
  const forward = phaseOf(run) === 'running';
  if (forward && step.attemptsLeft > 0) {
    if (cmd.retryAt === undefined) return left(validationError([`retryAt: missing; step ${spec.id} has ${step.attemptsLeft} attempt(s) left`]));
    return right([event('run.step.attempt_failed', { ...failure, retryAt: cmd.retryAt })]);
  }
  const events = [event('run.step.attempt_failed', failure), event('run.step.failed', { stepId: spec.id, attempts: cmd.attempt, onFailure: spec.on_failure })];
  if (forward && spec.on_failure === 'rollback') events.push(event('run.rollback.started', { reason: 'step_failed', stepId: spec.id }));
  if (forward && spec.on_failure === 'manual') events.push(event('run.paused', { stepId: spec.id, reason: 'step_failed' }));
  return right(events);
}

// ---------------------------------------------------------------------------------------------------
// The executor: compensations, in reverse dependency order

export function startCompensation(cmd: AttemptStart, state: RunState, ctx: RunContext): Decision {
  const found = findStep(cmd, state);
  if (found._tag === 'Left') return found;
  const { run, step, spec } = found.right;
  if (spec.compensation === undefined) return conflict(`step ${spec.id} has no compensation`);
  if (step.status === 'compensating' && step.compensation.attempt === cmd.attempt) return NOTHING;
  if (run.status !== 'rolling_back') return conflict(`run ${run.runId} is ${run.status.replace('_', ' ')}; compensations start only while it is rolling back`);
  if (step.status !== 'succeeded' || step.compensation === undefined) return conflict(`${describeStep(spec.id, step)}; only a succeeded step is compensated`);
  if (step.compensation.attempt !== cmd.attempt) return conflict(`the next compensation attempt of step ${spec.id} is ${step.compensation.attempt}, not ${cmd.attempt}`);
  const { notBefore } = step.compensation;
  if (notBefore !== undefined && Date.parse(ctx.now) < Date.parse(notBefore)) {
    return conflict(`compensation attempt ${cmd.attempt} of step ${spec.id} may start at ${notBefore}, not before`);
  }
  const blockers = compensationBlockers(run, spec.id);
  if (blockers.length > 0) return conflict(`step ${spec.id} is compensated after the steps that need it: ${blockers.join(', ')} first`);
  return right([
    event('run.compensation.started', {
      stepId: spec.id,
      attempt: cmd.attempt,
      idempotencyKey: compensationKey(run.runId, spec.id, cmd.attempt),
      deadline: addMs(ctx.now, durationMs(spec.compensation.timeout)!),
    }),
  ]);
}

export function succeedCompensation(cmd: AttemptSucceed, state: RunState): Decision {
  if (cmd.startReady !== undefined) return left(validationError(['startReady: applies to run.step.attempt.succeed, not to a compensation']));
  const found = findStep(cmd, state);
  if (found._tag === 'Left') return found;
  const { step, spec } = found.right;
  if (step.status === 'compensated' && step.compensationAttempts === cmd.attempt) return NOTHING;
  if (step.status !== 'compensating' || step.compensation.attempt !== cmd.attempt) {
    return conflict(`${describeStep(spec.id, step)}; compensation attempt ${cmd.attempt} is not running`);
  }
  return right([event('run.compensation.succeeded', { stepId: spec.id, attempt: cmd.attempt, ...(cmd.result === undefined ? {} : { result: cmd.result }) })]);
}

/** Fail: retried while attempts remain; then the run pauses for a person (seed §2.1: compensations failed). */
export function failCompensation(cmd: AttemptFail, state: RunState): Decision {
  const found = findStep(cmd, state);
  if (found._tag === 'Left') return found;
  const { run, step, spec } = found.right;
  const recorded =
    (step.status === 'compensation_failed' && step.compensationAttempts === cmd.attempt) ||
    (step.status === 'succeeded' && step.compensation !== undefined && step.compensation.attempt > cmd.attempt);
  if (recorded) return NOTHING;
  if (step.status !== 'compensating' || step.compensation.attempt !== cmd.attempt) {
    return conflict(`${describeStep(spec.id, step)}; compensation attempt ${cmd.attempt} is not running`);
  }
  const failure = { stepId: spec.id, attempt: cmd.attempt, cause: cmd.cause, error: cmd.error };
  const rollingBack = run.status === 'rolling_back';
  if (rollingBack && step.compensation.attemptsLeft > 0) {
    if (cmd.retryAt === undefined) return left(validationError([`retryAt: missing; the compensation of step ${spec.id} has ${step.compensation.attemptsLeft} attempt(s) left`]));
    return right([event('run.compensation.attempt_failed', { ...failure, retryAt: cmd.retryAt })]);
  }
  const events = [event('run.compensation.attempt_failed', failure), event('run.compensation.failed', { stepId: spec.id, attempts: cmd.attempt })];
  if (rollingBack) events.push(event('run.paused', { stepId: spec.id, reason: 'compensation_failed' }));
  return right(events);
}

/** Complete: the outcome follows from the steps (see completion); the executor cannot choose it. */
export function completeRun(cmd: RunComplete, state: RunState): Decision {
  const found = findRun(cmd, state);
  if (found._tag === 'Left') return found;
  const { run } = found.right;
  // Already ended by completion (or by rejection, which is final too): nothing left to record.
  if (run.status === 'success' || run.status === 'rolled_back' || run.status === 'failed') return NOTHING;
  const outcome = completion(run);
  if (outcome === undefined) {
    const waiting = run.status === 'running' || run.status === 'rolling_back' ? `; unsettled steps: ${unsettledSteps(run).join(', ')}` : '';
    return conflict(`run ${run.runId} is ${run.status.replace('_', ' ')} and cannot complete yet${waiting}`);
  }
  return right([event('run.completed', { status: outcome })]);
}

export function decideRun(command: RunCommand, state: RunState, ctx: RunContext): Decision {
  switch (command.type) {
    case 'run.start':
      return startRun(command.data, state, ctx);
    case 'run.step.approve':
      return approveStep(command.data, state, ctx);
    case 'run.step.retry':
      return retryStep(command.data, state, ctx);
    case 'run.rollback':
      return rollbackRun(command.data, state, ctx);
    case 'run.cancel':
      return cancelRun(command.data, state, ctx);
    case 'run.evaluate':
      return evaluateRun(command.data, state);
    case 'run.admit':
      return admitRun(command.data, state, ctx);
    case 'run.reject':
      return rejectRun(command.data, state);
    case 'run.step.start':
      return startStep(command.data, state, ctx);
    case 'run.step.attempt.succeed':
      return succeedStep(command.data, state, ctx);
    case 'run.step.attempt.fail':
      return failStep(command.data, state);
    case 'run.compensation.start':
      return startCompensation(command.data, state, ctx);
    case 'run.compensation.succeed':
      return succeedCompensation(command.data, state);
    case 'run.compensation.fail':
      return failCompensation(command.data, state);
    case 'run.complete':
      return completeRun(command.data, state);
  }
}

export const runDecider: Decider<RunCommand, RunState, RunEvent, RunContext> = Object.freeze({
  initialState: initialRunState,
  evolve: evolveRun,
  decide: decideRun,
});
