// Maestro runs (seed §2.1/§2.2): the commands people and the executor send about one run, and the
// events of a run's stream. Every run command names its run and region: the stream and residency.
import * as t from 'io-ts';
import { eventCodec, eventUnion } from './event-body.js';
import { JsonObjectC } from './json.js';
import { PlanName, PlanSpec, StepId, OnFailure } from './plan.js';
import { Region, Sha256Hex, Timestamp, patternString } from './primitives.js';
import { text } from './provenance.js';
import { closedObject } from './validation.js';
import { describedAs } from './json-schema.js';

/** Run ids key the run's stream and prefix idempotency keys (`runId:stepId:attempt`), hence no ':' or '/'. */
export const RunId = patternString('RunId (1-128 characters: A-Z a-z 0-9 . _ -, starting with a letter or digit)', /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);

const Positive = new t.Type<number, number, unknown>(
  'positive integer',
  (u): u is number => Number.isSafeInteger(u) && (u as number) >= 1,
  (u, c) => (Number.isSafeInteger(u) && (u as number) >= 1 ? t.success(u as number) : t.failure(u, c)),
  t.identity,
);
describedAs(Positive, { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

/** Why an attempt failed: an error, the step's timeout, or an outcome its success condition rejects. */
export const FailureCause = t.keyof({ error: null, timeout: null, condition: null }, 'FailureCause');
export type FailureCause = t.TypeOf<typeof FailureCause>;

/** A gate the executor evaluated before admitting the run (error budget, change freeze, risk score…). */
export const Gate = closedObject('Gate', { name: text(128), passed: t.boolean }, { detail: text(1024) });
export type Gate = t.TypeOf<typeof Gate>;

const runRef = { runId: RunId, region: Region };
const stepRef = { ...runRef, stepId: StepId };
const attemptRef = { ...stepRef, attempt: Positive };

// ---------------------------------------------------------------------------------------------------
// Commands from people

/** `run.start`: run a registered plan (latest version unless `version` is given). The requester is the principal. */
export const RunStart = closedObject('RunStart', { ...runRef, plan: PlanName }, { version: Positive, inputs: JsonObjectC, reason: text(1024) });
export type RunStart = t.TypeOf<typeof RunStart>;

/** `run.step.approve`: the principal approves one step of the run. */
export const RunStepApprove = closedObject('RunStepApprove', stepRef, { comment: text(1024) });
export type RunStepApprove = t.TypeOf<typeof RunStepApprove>;

/** `run.step.retry`: an operator grants a failed step (or a failed compensation) a fresh set of attempts. */
export const RunStepRetry = closedObject('RunStepRetry', stepRef, { reason: text(1024) });
export type RunStepRetry = t.TypeOf<typeof RunStepRetry>;

/** `run.rollback`: an operator stops the run and undoes what succeeded. */
export const RunRollback = closedObject('RunRollback', runRef, { reason: text(1024) });
export type RunRollback = t.TypeOf<typeof RunRollback>;

/** `run.cancel`: stop the run where it is, undoing nothing. */
export const RunCancel = closedObject('RunCancel', runRef, { reason: text(1024) });
export type RunCancel = t.TypeOf<typeof RunCancel>;

// ---------------------------------------------------------------------------------------------------
// Commands from the executor

/** `run.evaluate`: the executor took the run and evaluates its gates. */
export const RunEvaluate = closedObject('RunEvaluate', runRef);
export type RunEvaluate = t.TypeOf<typeof RunEvaluate>;

/**
 * `startReady` (on `run.admit` and `run.step.attempt.succeed`): also start, in the same append, every step
 * the fact makes ready (as `run.step.start` would), or complete the run if the fact settles its last step
 * (as `run.complete` would), so a chain of steps advances one decision per step.
 */
const startReady = { startReady: t.boolean };

/** `run.admit`: every gate passed; steps may start. */
export const RunAdmit = closedObject('RunAdmit', runRef, { gates: t.readonlyArray(Gate), ...startReady });
export type RunAdmit = t.TypeOf<typeof RunAdmit>;

/** `run.reject`: a gate failed; the run ends failed without running anything. */
export const RunReject = closedObject('RunReject', { ...runRef, reason: text(1024) }, { gates: t.readonlyArray(Gate) });
export type RunReject = t.TypeOf<typeof RunReject>;

/** `run.step.start` / `run.compensation.start`: the executor is about to perform this attempt. */
export const AttemptStart = closedObject('AttemptStart', attemptRef);
export type AttemptStart = t.TypeOf<typeof AttemptStart>;

/** `run.step.attempt.succeed` / `run.compensation.succeed`: the attempt met its success condition. */
export const AttemptSucceed = closedObject('AttemptSucceed', attemptRef, { result: JsonObjectC, ...startReady });
export type AttemptSucceed = t.TypeOf<typeof AttemptSucceed>;

/**
 * `run.step.attempt.fail` / `run.compensation.fail`: the attempt failed. `retryAt` is when the next
 * attempt may start (the executor computes it with retryDelay); required while attempts remain.
 */
export const AttemptFail = closedObject('AttemptFail', { ...attemptRef, cause: FailureCause, error: text(4000) }, { retryAt: Timestamp });
export type AttemptFail = t.TypeOf<typeof AttemptFail>;

/** `run.complete`: every step is settled; the decider works out how the run ended. */
export const RunComplete = closedObject('RunComplete', runRef);
export type RunComplete = t.TypeOf<typeof RunComplete>;

// ---------------------------------------------------------------------------------------------------
// Events. Data codecs strip unknown fields: the log is read tolerantly.

export const RUN_SCHEMA_VERSION = 1;
const v1 = <T extends string, P extends t.Props, O extends t.Props = {}>(type: T, required: P, optional?: O) =>
  eventCodec(type, RUN_SCHEMA_VERSION, t.exact(t.intersection([t.type(required), t.partial(optional ?? ({} as O))])));

const PlanRef = t.readonly(t.type({ name: PlanName, version: Positive, digest: Sha256Hex }));

/** The run exists; it carries the plan's spec so the run's stream alone replays it. Status pending. */
export const RunStarted = v1('run.started', {
  runId: RunId,
  region: Region,
  plan: PlanRef,
  spec: PlanSpec,
  requester: t.string,
  inputs: JsonObjectC,
}, { reason: t.string });
/** The executor took the run and evaluates its gates. Status evaluating_policies. */
export const RunEvaluationStarted = v1('run.evaluation.started', {});
/** Gates passed. Status running; steps whose needs are met become ready or wait for approval. */
export const RunAdmitted = v1('run.admitted', { gates: t.readonlyArray(Gate) });
/** A gate failed. Status failed. */
export const RunRejected = v1('run.rejected', { reason: t.string, gates: t.readonlyArray(Gate) });

/** One approval of one step, by `approver` (a principal id). */
export const StepApproved = v1('run.step.approved', { stepId: StepId, approver: t.string }, { comment: t.string });
/** Attempt `attempt` of a step began; `idempotencyKey` = runId:stepId:attempt; `deadline` = start + timeout. */
export const StepStarted = v1('run.step.started', { stepId: StepId, attempt: Positive, idempotencyKey: t.string, deadline: Timestamp });
/** The attempt met its success condition; the step succeeded and is never run again. */
export const StepSucceeded = v1('run.step.succeeded', { stepId: StepId, attempt: Positive }, { result: JsonObjectC });
/** The attempt failed; with `retryAt` another attempt follows, without it the step's attempts are used up. */
export const StepAttemptFailed = v1('run.step.attempt_failed', { stepId: StepId, attempt: Positive, cause: FailureCause, error: t.string }, { retryAt: Timestamp });
/** The step failed for good; `onFailure` says what the run did about it. */
export const StepFailed = v1('run.step.failed', { stepId: StepId, attempts: Positive, onFailure: OnFailure });
/** An operator granted a failed step or compensation a fresh set of attempts. */
export const StepRetryGranted = v1('run.step.retry_granted', { stepId: StepId, grantedBy: t.string }, { reason: t.string });

/** The run waits for a person: a step failed with on_failure manual, or a compensation failed. */
export const RunPaused = v1('run.paused', { stepId: StepId, reason: t.keyof({ step_failed: null, compensation_failed: null }) });
/** No further step starts; compensations of succeeded steps run in reverse dependency order. */
export const RollbackStarted = v1(
  'run.rollback.started',
  { reason: t.keyof({ step_failed: null, requested: null }) },
  { stepId: StepId, requestedBy: t.string, comment: t.string },
);

/** Compensation attempt `attempt` of a step began; key runId:stepId:compensation:attempt. */
export const CompensationStarted = v1('run.compensation.started', { stepId: StepId, attempt: Positive, idempotencyKey: t.string, deadline: Timestamp });
export const CompensationSucceeded = v1('run.compensation.succeeded', { stepId: StepId, attempt: Positive }, { result: JsonObjectC });
export const CompensationAttemptFailed = v1(
  'run.compensation.attempt_failed',
  { stepId: StepId, attempt: Positive, cause: FailureCause, error: t.string },
  { retryAt: Timestamp },
);
/** The compensation's attempts are used up; the run pauses for a person. */
export const CompensationFailed = v1('run.compensation.failed', { stepId: StepId, attempts: Positive });

/** Stopped where it was, nothing undone; steps not yet started are skipped. */
export const RunCanceled = v1('run.canceled', { by: t.string }, { reason: t.string });
/** The run ended: success, failed (rolled back with nothing to undo) or rolled_back. */
export const RunCompleted = v1('run.completed', { status: t.keyof({ success: null, failed: null, rolled_back: null }) });

export const RunEvent = eventUnion('RunEvent', [
  RunStarted,
  RunEvaluationStarted,
  RunAdmitted,
  RunRejected,
  StepApproved,
  StepStarted,
  StepSucceeded,
  StepAttemptFailed,
  StepFailed,
  StepRetryGranted,
  RunPaused,
  RollbackStarted,
  CompensationStarted,
  CompensationSucceeded,
  CompensationAttemptFailed,
  CompensationFailed,
  RunCanceled,
  RunCompleted,
]);
export type RunEvent = t.TypeOf<typeof RunEvent>;
export type RunEventOf<T extends RunEvent['type']> = Extract<RunEvent, { readonly type: T }>;
