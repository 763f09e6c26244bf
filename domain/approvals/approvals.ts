// A tenant's approvals (`<tenant>/approvals`) as an aggregate: the two-person rule as a mechanism. A
// dual-control command (dual-control.ts) is proposed (its type and body, the proposer, why, and the end of
// its approval window), then approved by a different principal within the window, who executes it (the
// outcome is recorded next), or rejected. The proposer can never approve their own proposal: that refusal
// is here, in the decider, so no policy set can lift it; policy decides who may propose, approve and reject.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import {
  APPROVAL_SCHEMA_VERSION,
  type ApprovalApprove,
  type ApprovalEvent,
  type ApprovalOutcome,
  type ApprovalOutcomeRecord,
  type ApprovalPropose,
  type ApprovalReject,
  type ApprovalState,
} from '../../schemas/approval.js';
import type { JsonObject } from '../../schemas/json.js';
import type { DecideContext, Decider } from '../command-handler.js';
import { domainError, type DomainError } from '../errors.js';
import { jsonEqual } from '../json-equal.js';
import { dualControlOf } from './dual-control.js';

export interface Approval {
  readonly id: string;
  readonly command: string;
  readonly body: JsonObject;
  readonly proposer: string;
  readonly reason: string;
  readonly proposedAt: string;
  readonly expiresAt: string;
  /** As recorded: pending until approved or rejected; approved until its outcome is recorded. */
  readonly status: 'pending' | 'approved' | 'rejected' | 'executed' | 'refused';
  readonly approver?: string;
  readonly approvedAt?: string;
  readonly approvalReason?: string;
  readonly rejectedBy?: string;
  readonly rejectionReason?: string;
  readonly outcome?: ApprovalOutcome;
}

export interface ApprovalsState {
  /** By id, in the order proposed. */
  readonly approvals: ReadonlyMap<string, Approval>;
}

export type ApprovalCommand =
  | { readonly type: 'approval.propose'; readonly data: ApprovalPropose }
  | { readonly type: 'approval.approve'; readonly data: ApprovalApprove }
  | { readonly type: 'approval.reject'; readonly data: ApprovalReject }
  | { readonly type: 'approval.outcome.record'; readonly data: ApprovalOutcomeRecord };

export const initialApprovalsState: ApprovalsState = Object.freeze({ approvals: new Map() });

const put = (state: ApprovalsState, a: Approval): ApprovalsState => ({ approvals: new Map(state.approvals).set(a.id, a) });

export function evolveApprovals(state: ApprovalsState, event: ApprovalEvent): ApprovalsState {
  switch (event.type) {
    case 'approval.proposed': {
      const d = event.data;
      return put(state, { id: d.id, command: d.command, body: d.body, proposer: d.proposer, reason: d.reason, proposedAt: d.proposedAt, expiresAt: d.expiresAt, status: 'pending' });
    }
    case 'approval.approved': {
      const a = state.approvals.get(event.data.id);
      if (a === undefined) return state;
      return put(state, { ...a, status: 'approved', approver: event.data.approver, approvedAt: event.data.approvedAt, ...(event.data.reason === undefined ? {} : { approvalReason: event.data.reason }) });
    }
    case 'approval.rejected': {
      const a = state.approvals.get(event.data.id);
      if (a === undefined) return state;
      return put(state, { ...a, status: 'rejected', rejectedBy: event.data.rejectedBy, rejectionReason: event.data.reason });
    }
    case 'approval.outcome.recorded': {
      const a = state.approvals.get(event.data.id);
      if (a === undefined) return state;
      return put(state, { ...a, status: event.data.outcome.kind, outcome: event.data.outcome });
    }
  }
}

/** The state a reader sees at `now`: a pending proposal past its window is expired. */
export const approvalState = (a: Approval, now: string): ApprovalState =>
  a.status === 'pending' && Date.parse(now) >= Date.parse(a.expiresAt) ? 'expired' : a.status;

function propose(cmd: ApprovalPropose, state: ApprovalsState, ctx: DecideContext): Either<DomainError, readonly ApprovalEvent[]> {
  const control = dualControlOf(cmd.command);
  if (control === undefined) return left(domainError('not-dual-control', `${cmd.command} is not a dual-control command; send it to POST /v1/commands/${cmd.command}`));
  const proposer = ctx.actor ?? 'unknown';
  const earlier = state.approvals.get(cmd.id);
  if (earlier !== undefined) {
    // The same proposal again (a retry under the same id): nothing new to record.
    if (earlier.command === cmd.command && earlier.proposer === proposer && jsonEqual(earlier.body, cmd.body)) return right([]);
    return left(domainError('conflict', `approval ${cmd.id} was already proposed (${earlier.command} by ${earlier.proposer})`));
  }
  const expiresAt = new Date(Date.parse(ctx.now) + control.windowSeconds * 1000).toISOString();
  return right([
    {
      type: 'approval.proposed',
      schemaVersion: APPROVAL_SCHEMA_VERSION,
      data: { id: cmd.id, command: cmd.command, body: cmd.body, proposer, reason: cmd.reason, proposedAt: ctx.now, expiresAt },
    },
  ]);
}

function found(state: ApprovalsState, id: string): Either<DomainError, Approval> {
  const a = state.approvals.get(id);
  return a === undefined ? left(domainError('not-found', `no approval ${id} in this tenant`)) : right(a);
}

function approve(cmd: ApprovalApprove, state: ApprovalsState, ctx: DecideContext): Either<DomainError, readonly ApprovalEvent[]> {
  const f = found(state, cmd.id);
  if (f._tag === 'Left') return f;
  const a = f.right;
  const approver = ctx.actor ?? 'unknown';
  if (a.status === 'rejected') return left(domainError('conflict', `approval ${a.id} was rejected by ${a.rejectedBy}: ${a.rejectionReason}`));
  if (a.status !== 'pending') {
    // Approving again: the approver's repeat is nothing new (their command then answers as a repeat too).
    if (a.approver === approver) return right([]);
    return left(domainError('conflict', `approval ${a.id} was already approved by ${a.approver}`));
  }
  if (approvalState(a, ctx.now) === 'expired') {
    return left(domainError('approval-expired', `approval ${a.id} (${a.command} proposed by ${a.proposer}) could be approved until ${a.expiresAt}; propose it again`));
  }
  if (approver === a.proposer) {
    return left(domainError('two-person-rule', `${approver} proposed approval ${a.id} (${a.command}); a different principal must approve it`));
  }
  return right([
    {
      type: 'approval.approved',
      schemaVersion: APPROVAL_SCHEMA_VERSION,
      data: { id: a.id, command: a.command, proposer: a.proposer, approver, approvedAt: ctx.now, ...(cmd.reason === undefined ? {} : { reason: cmd.reason }) },
    },
  ]);
}

function reject(cmd: ApprovalReject, state: ApprovalsState, ctx: DecideContext): Either<DomainError, readonly ApprovalEvent[]> {
  const f = found(state, cmd.id);
  if (f._tag === 'Left') return f;
  const a = f.right;
  const by = ctx.actor ?? 'unknown';
  if (a.status === 'rejected') return a.rejectedBy === by ? right([]) : left(domainError('conflict', `approval ${a.id} was already rejected by ${a.rejectedBy}`));
  if (a.status !== 'pending') return left(domainError('conflict', `approval ${a.id} was already approved by ${a.approver}`));
  if (approvalState(a, ctx.now) === 'expired') return left(domainError('approval-expired', `approval ${a.id} expired at ${a.expiresAt}; there is nothing to reject`));
  return right([
    {
      type: 'approval.rejected',
      schemaVersion: APPROVAL_SCHEMA_VERSION,
      data: { id: a.id, command: a.command, proposer: a.proposer, rejectedBy: by, reason: cmd.reason, rejectedAt: ctx.now },
    },
  ]);
}

function recordOutcome(cmd: ApprovalOutcomeRecord, state: ApprovalsState, ctx: DecideContext): Either<DomainError, readonly ApprovalEvent[]> {
  const f = found(state, cmd.id);
  if (f._tag === 'Left') return f;
  const a = f.right;
  if (a.status === 'executed' || a.status === 'refused') return right([]);
  if (a.status !== 'approved') return left(domainError('conflict', `approval ${a.id} is ${a.status}: only an approved command has an outcome`));
  if (a.approver !== ctx.actor) return left(domainError('conflict', `approval ${a.id} was approved by ${a.approver}; only the approver's execution is recorded`));
  return right([{ type: 'approval.outcome.recorded', schemaVersion: APPROVAL_SCHEMA_VERSION, data: { id: a.id, outcome: cmd.outcome } }]);
}

export const approvalsDecider: Decider<ApprovalCommand, ApprovalsState, ApprovalEvent, DecideContext> = {
  initialState: initialApprovalsState,
  evolve: evolveApprovals,
  decide: (command, state, ctx) => {
    switch (command.type) {
      case 'approval.propose':
        return propose(command.data, state, ctx);
      case 'approval.approve':
        return approve(command.data, state, ctx);
      case 'approval.reject':
        return reject(command.data, state, ctx);
      case 'approval.outcome.record':
        return recordOutcome(command.data, state, ctx);
    }
  },
};
