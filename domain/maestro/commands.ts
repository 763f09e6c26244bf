// Maestro's commands as the pipeline sees them: body codec, stream, region, Cedar resource and the
// decision. Plans live in `<tenant>/maestro.plan/<name>`, runs in `<tenant>/maestro.run/<runId>`.
import { NO_ACTIONS, type ActionCatalogue } from '../../schemas/actions.js';
import { PlanEvent, type Sensitivity } from '../../schemas/plan.js';
import type { JsonObject, JsonValue } from '../../schemas/json.js';
import {
  AttemptFail,
  AttemptStart,
  AttemptSucceed,
  RunAdmit,
  RunCancel,
  RunComplete,
  RunEvaluate,
  RunEvent,
  RunReject,
  RunRollback,
  RunStart,
  RunStepApprove,
  RunStepRetry,
} from '../../schemas/run.js';
import { streamName } from '../../schemas/streams.js';
import { foldWith, type CommandHandler, type DecideContext, type NoRelated } from '../command-handler.js';
import { evolvePlan, initialPlanState, registerPlan, type PlanState } from './plan.js';
import { PlanRegister } from './plan-source.js';
import * as run from './run.js';
import { evolveRun, initialRunState, stepSpecOf, type RunState } from './run-state.js';

export const planStream = (tenant: string, name: string): string => streamName(tenant, 'maestro.plan', name);
export const runStream = (tenant: string, runId: string): string => streamName(tenant, 'maestro.run', runId);

export const foldPlan = foldWith(PlanEvent, evolvePlan, initialPlanState);
export const foldRun = foldWith(RunEvent, evolveRun, initialRunState);

const SENSITIVITY_RANK: { readonly [S in Sensitivity]: number } = { low: 0, medium: 1, high: 2 };
const maxSensitivity = (steps: readonly { readonly sensitivity: Sensitivity }[]): Sensitivity =>
  steps.reduce<Sensitivity>((m, s) => (SENSITIVITY_RANK[s.sensitivity] > SENSITIVITY_RANK[m] ? s.sensitivity : m), 'low');

/** What a plan policy needs: who may register, and plans with high-sensitivity steps may need a stronger role. */
const planResource = (cmd: PlanRegister, state: PlanState): JsonObject => ({
  status: state.status,
  region: state.status === 'absent' ? cmd.region : state.region,
  name: cmd.spec.name,
  versions: state.status === 'absent' ? 0 : state.versions.length,
  maxSensitivity: maxSensitivity(cmd.spec.steps),
  highSensitivitySteps: cmd.spec.steps.filter((s) => s.sensitivity === 'high').length,
});

/**
 * What a run policy needs: the run's plan, requester and highest sensitivity; for step commands the
 * step's sensitivity, approval policy (and required role), action type and approvers so far, so Cedar
 * can require a role to approve, forbid self-approval, or let operators settle manual steps.
 */
const runResource = (cmd: { readonly runId: string; readonly region: string; readonly stepId?: string; readonly plan?: string }, state: RunState): JsonObject => {
  if (state.status === 'absent') return { status: 'absent', region: cmd.region, ...(cmd.plan === undefined ? {} : { plan: cmd.plan }) };
  const base = {
    status: state.status,
    region: state.region,
    plan: state.plan.name,
    planVersion: state.plan.version,
    requester: state.requester,
    maxSensitivity: maxSensitivity(state.spec.steps),
  };
  const spec = cmd.stepId === undefined ? undefined : stepSpecOf(state, cmd.stepId);
  if (spec === undefined) return base;
  const step = state.steps[spec.id]!;
  const stepResource: { [key: string]: JsonValue } = {
    id: spec.id,
    status: step.status,
    sensitivity: spec.sensitivity,
    approvalPolicy: spec.approval_policy,
    actionType: spec.action_type,
    approvals: step.status === 'pending' || step.status === 'waiting_approval' ? [...step.approvals] : [],
  };
  if (spec.approval_policy.startsWith('role:')) stepResource['requiredRole'] = spec.approval_policy.slice('role:'.length);
  return { ...base, step: stepResource };
};

/** The pipeline passes `{ now, related, actor }`; the actor (the principal's id) reaches the decider. */
const runContext = <R>(ctx: DecideContext<R>): run.RunContext => ({ now: ctx.now, related: {}, ...(ctx.actor === undefined ? {} : { actor: ctx.actor }) });

const noProvenance = { provenance: () => undefined, naturalKey: () => undefined } as const;

/**
 * `plan.register`, decided against the actions this server offers (the composition root passes the
 * operator's catalogue; the default offers none, so script steps are refused).
 */
export const planRegisterHandler = (actions: ActionCatalogue): CommandHandler<PlanRegister, PlanState, PlanEvent> => ({
  ...noProvenance,
  codec: PlanRegister,
  resourceType: 'Plan',
  action: 'register',
  resourceId: (cmd) => cmd.spec.name,
  resourceAttributes: planResource,
  region: (cmd) => cmd.region,
  streamOf: (tenant, cmd) => planStream(tenant, cmd.spec.name),
  relatedStreams: () => ({}),
  initialState: initialPlanState,
  evolve: evolvePlan,
  fold: foldPlan,
  decide: (cmd, state) => registerPlan(cmd, state, { actions }),
  encodeEvent: (e) => PlanEvent.encode(e),
});

const runBase = {
  ...noProvenance,
  resourceType: 'Run',
  resourceId: (cmd: { readonly runId: string }) => cmd.runId,
  resourceAttributes: runResource,
  region: (cmd: { readonly region: string }) => cmd.region,
  streamOf: (tenant: string, cmd: { readonly runId: string }) => runStream(tenant, cmd.runId),
  relatedStreams: () => ({}),
  initialState: initialRunState,
  evolve: evolveRun,
  fold: foldRun,
  encodeEvent: (e: RunEvent) => RunEvent.encode(e),
} as const;

type RunHandler<C> = CommandHandler<C, RunState, RunEvent, NoRelated>;
type Decide<C> = (cmd: C, state: RunState, ctx: run.RunContext) => ReturnType<typeof run.decideRun>;
const runHandler = <C extends { readonly runId: string; readonly region: string }>(
  codec: RunHandler<C>['codec'],
  action: string,
  decide: Decide<C>,
): RunHandler<C> => ({ ...runBase, codec, action, decide: (cmd, state, ctx) => decide(cmd, state, runContext(ctx)) });

/** run.start reads the plan's stream for the spec of the version it runs. */
export const runStart: CommandHandler<RunStart, RunState, RunEvent, { readonly plan: PlanState }> = {
  ...runBase,
  codec: RunStart,
  action: 'start',
  relatedStreams: (tenant, cmd) => ({ plan: { stream: planStream(tenant, cmd.plan), fold: foldPlan } }),
  decide: (cmd, state, ctx) => run.startRun(cmd, state, { ...runContext(ctx), related: { plan: ctx.related.plan } }),
};

/** Maestro's command handlers by command type. */
export const maestroCommands = Object.freeze({
  'plan.register': planRegisterHandler(NO_ACTIONS),
  'run.start': runStart,
  'run.step.approve': runHandler(RunStepApprove, 'step.approve', run.approveStep),
  'run.step.retry': runHandler(RunStepRetry, 'step.retry', run.retryStep),
  'run.rollback': runHandler(RunRollback, 'rollback', run.rollbackRun),
  'run.cancel': runHandler(RunCancel, 'cancel', run.cancelRun),
  // From the executor (a process manager calling through the same pipeline).
  'run.evaluate': runHandler(RunEvaluate, 'evaluate', run.evaluateRun),
  'run.admit': runHandler(RunAdmit, 'admit', run.admitRun),
  'run.reject': runHandler(RunReject, 'reject', run.rejectRun),
  'run.step.start': runHandler(AttemptStart, 'step.start', run.startStep),
  'run.step.attempt.succeed': runHandler(AttemptSucceed, 'step.attempt.succeed', run.succeedStep),
  'run.step.attempt.fail': runHandler(AttemptFail, 'step.attempt.fail', run.failStep),
  'run.compensation.start': runHandler(AttemptStart, 'compensation.start', run.startCompensation),
  'run.compensation.succeed': runHandler(AttemptSucceed, 'compensation.succeed', run.succeedCompensation),
  'run.compensation.fail': runHandler(AttemptFail, 'compensation.fail', run.failCompensation),
  'run.complete': runHandler(RunComplete, 'complete', run.completeRun),
});

/** Commands only the executor sends: the `run.execute` group a Cedar policy grants to the executor's role. */
export const EXECUTOR_COMMANDS: readonly (keyof typeof maestroCommands)[] = Object.freeze([
  'run.evaluate',
  'run.admit',
  'run.reject',
  'run.step.start',
  'run.step.attempt.succeed',
  'run.step.attempt.fail',
  'run.compensation.start',
  'run.compensation.succeed',
  'run.compensation.fail',
  'run.complete',
]);
