// What a run waits for a person about, and who may act. The run's own state keeps `running` while steps
// wait for approval (the decider needs nothing more), but a reader must see the run is stuck until somebody
// approves, retries or cancels: this derives that view from the folded state, purely, for the read model.
import type { StepSpec } from '../../schemas/plan.js';
import { approvalsComplete, type ExistingRun, type RunState, type StepState } from './run-state.js';

/** approve: the step's approval policy is not satisfied; retry: the step failed (on_failure manual); compensation: its undo failed. */
export type WaitKind = 'approval' | 'retry' | 'compensation';

/** What a person may send about the step (run approve / retry / rollback / cancel). */
export type WaitAction = 'approve' | 'retry' | 'rollback' | 'cancel';

export interface Wait {
  readonly stepId: string;
  readonly for: WaitKind;
  /** One line for people: what is needed, and from whom. */
  readonly detail: string;
  readonly actions: readonly WaitAction[];
  /** Roles that may act under the default policy (commands/policies/default.cedar); admin holds every write but a role: approval. */
  readonly roles: readonly string[];
  /** Principals who may not act (the requester of a high-sensitivity or two-person step; who already approved). */
  readonly notBy: readonly string[];
  /** Approvals given so far, and how many more the policy needs (approval waits only). */
  readonly approvals?: readonly string[];
  readonly approvalsNeeded?: number;
  /** The step's manual instructions or runbook, when it has them. */
  readonly instructions?: string;
  readonly runbook?: string;
}

const OPERATORS = ['operator', 'release-manager', 'admin'];

const approvalsMissing = (spec: StepSpec, approvals: readonly string[]): number =>
  spec.approval_policy === 'two-person' ? Math.max(0, 2 - new Set(approvals).size) : approvalsComplete(spec, approvals) ? 0 : 1;

function approvalWait(run: ExistingRun, spec: StepSpec, approvals: readonly string[]): Wait {
  const role = spec.approval_policy.startsWith('role:') ? spec.approval_policy.slice('role:'.length) : undefined;
  const selfExcluded = spec.sensitivity === 'high' || spec.approval_policy === 'two-person';
  const notBy = [...new Set([...(selfExcluded ? [run.requester] : []), ...approvals])];
  const needed = approvalsMissing(spec, approvals);
  const who = role === undefined ? 'an operator or release manager' : `a holder of role ${role}`;
  const what = spec.action_type === 'manual' ? 'confirmation that the manual task is done' : 'approval';
  const detail = `${needed > 1 ? `${needed} approvals` : what} by ${who}${notBy.length > 0 ? ` other than ${notBy.join(', ')}` : ''}`;
  return {
    stepId: spec.id,
    for: 'approval',
    detail,
    actions: ['approve', 'cancel'],
    roles: role === undefined ? OPERATORS : [role],
    notBy,
    approvals,
    approvalsNeeded: needed,
    ...(spec.action_type === 'manual' ? { instructions: spec.manual.instructions } : {}),
    ...(spec.runbook === undefined ? {} : { runbook: spec.runbook }),
  };
}

function pausedWait(spec: StepSpec, step: StepState): Wait | undefined {
  const runbook = spec.runbook === undefined ? {} : { runbook: spec.runbook };
  if (step.status === 'failed') {
    return { stepId: spec.id, for: 'retry', detail: `step failed after ${step.attempts} attempt(s): an operator or release manager retries it, rolls the run back or cancels it`, actions: ['retry', 'rollback', 'cancel'], roles: OPERATORS, notBy: [], ...runbook };
  }
  if (step.status === 'compensation_failed') {
    return { stepId: spec.id, for: 'compensation', detail: `its compensation failed after ${step.compensationAttempts} attempt(s): an operator or release manager retries it or cancels the run`, actions: ['retry', 'cancel'], roles: OPERATORS, notBy: [], ...runbook };
  }
  return undefined;
}

/** Everything the run waits for a person about, in the plan's step order; empty for a run that needs nobody. */
export function waitsOf(state: RunState): readonly Wait[] {
  if (state.status === 'absent') return [];
  if (state.status === 'waiting_manual') {
    return state.spec.steps.filter((s) => state.blockedOn.includes(s.id)).flatMap((s) => pausedWait(s, state.steps[s.id]!) ?? []);
  }
  if (state.status !== 'running') return [];
  return state.spec.steps.flatMap((s) => {
    const step = state.steps[s.id]!;
    return step.status === 'waiting_approval' ? [approvalWait(state, s, step.approvals)] : [];
  });
}

/**
 * The run's status as people read it: `waiting_manual` also when it runs but nothing can move until a
 * person approves (steps wait for approval, none is ready or running). Otherwise the run's own status.
 */
export function visibleStatus(state: Exclude<RunState, { readonly status: 'absent' }>): ExistingRun['status'] {
  if (state.status !== 'running') return state.status;
  const steps = Object.values(state.steps);
  const moving = steps.some((s) => s.status === 'ready' || s.status === 'running');
  return !moving && steps.some((s) => s.status === 'waiting_approval') ? 'waiting_manual' : 'running';
}
