// One line per run event for people: what happened, to which step, in words (the run timeline).
import type { RunEvent } from '../../schemas/run.js';

export function summarize(e: RunEvent): string {
  switch (e.type) {
    case 'run.started':
      return `run started by ${e.data.requester}: plan ${e.data.plan.name} v${e.data.plan.version}${e.data.reason ? ` (${e.data.reason})` : ''}`;
    case 'run.evaluation.started':
      return 'the executor took the run and evaluates its gates';
    case 'run.admitted':
      return `admitted${e.data.gates.length > 0 ? `: gates ${e.data.gates.map((g) => g.name).join(', ')} passed` : ''}`;
    case 'run.rejected':
      return `rejected: ${e.data.reason}`;
    case 'run.step.approved':
      return `${e.data.approver} approved step ${e.data.stepId}${e.data.comment ? `: ${e.data.comment}` : ''}`;
    case 'run.step.started':
      return `step ${e.data.stepId} attempt ${e.data.attempt} started (idempotency key ${e.data.idempotencyKey}, deadline ${e.data.deadline})`;
    case 'run.step.succeeded':
      return `step ${e.data.stepId} succeeded on attempt ${e.data.attempt}`;
    case 'run.step.attempt_failed':
      return `step ${e.data.stepId} attempt ${e.data.attempt} failed (${e.data.cause}): ${e.data.error}${e.data.retryAt ? `; retry at ${e.data.retryAt}` : ''}`;
    case 'run.step.failed':
      return `step ${e.data.stepId} failed after ${e.data.attempts} attempt(s); on_failure ${e.data.onFailure}`;
    case 'run.step.retry_granted':
      return `${e.data.grantedBy} granted step ${e.data.stepId} a fresh set of attempts${e.data.reason ? `: ${e.data.reason}` : ''}`;
    case 'run.paused':
      return `paused for a person: step ${e.data.stepId} (${e.data.reason.replace('_', ' ')})`;
    case 'run.rollback.started':
      return e.data.reason === 'requested'
        ? `rollback requested by ${e.data.requestedBy ?? 'an operator'}${e.data.comment ? `: ${e.data.comment}` : ''}`
        : `rollback started: step ${e.data.stepId ?? '?'} failed`;
    case 'run.compensation.started':
      return `compensation of step ${e.data.stepId} attempt ${e.data.attempt} started (idempotency key ${e.data.idempotencyKey})`;
    case 'run.compensation.succeeded':
      return `step ${e.data.stepId} compensated (attempt ${e.data.attempt})`;
    case 'run.compensation.attempt_failed':
      return `compensation of step ${e.data.stepId} attempt ${e.data.attempt} failed (${e.data.cause}): ${e.data.error}${e.data.retryAt ? `; retry at ${e.data.retryAt}` : ''}`;
    case 'run.compensation.failed':
      return `compensation of step ${e.data.stepId} failed after ${e.data.attempts} attempt(s)`;
    case 'run.canceled':
      return `canceled by ${e.data.by}${e.data.reason ? `: ${e.data.reason}` : ''}`;
    case 'run.completed':
      return `run completed: ${e.data.status.replace('_', ' ')}`;
  }
}
