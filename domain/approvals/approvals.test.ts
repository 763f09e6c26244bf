// Decider specifications of the two-person rule (domain/approvals): proposing a dual-control command (only
// those the catalogue marks), approving within the window by a different principal (the proposer never can;
// an expired proposal cannot be approved; a repeat is nothing new, a second approver a conflict), rejecting,
// and recording what the approved command did.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DeciderSpecification } from '../../test/decider-spec.js';
import type { ApprovalEvent } from '../../schemas/approval.js';
import type { DecideContext } from '../command-handler.js';
import { approvalsDecider, approvalState, evolveApprovals, initialApprovalsState } from './approvals.js';
import { DUAL_CONTROL } from './dual-control.js';

const ID = '7d2f1c3a-0b5e-4e6f-8a9b-1c2d3e4f5a6b';
const T0 = '2026-12-07T10:00:00.000Z';
const WINDOW = DUAL_CONTROL.get('policy.set.publish')!.windowSeconds;
const EXPIRES = new Date(Date.parse(T0) + WINDOW * 1000).toISOString();
const at = (now: string, actor: string): DecideContext => ({ now, related: {}, actor });
const BODY = { region: 'eu-west', version: 'a'.repeat(64) };

const proposed: ApprovalEvent = {
  type: 'approval.proposed', schemaVersion: 1,
  data: { id: ID, command: 'policy.set.publish', body: BODY, proposer: 'user:alice', reason: 'CHG-42', proposedAt: T0, expiresAt: EXPIRES },
};
const approved = (approver: string, approvedAt: string): ApprovalEvent => ({
  type: 'approval.approved', schemaVersion: 1, data: { id: ID, command: 'policy.set.publish', proposer: 'user:alice', approver, approvedAt },
});
const executed: ApprovalEvent = {
  type: 'approval.outcome.recorded', schemaVersion: 1,
  data: { id: ID, outcome: { kind: 'executed', stream: 'acme/policy', position: '42', events: [{ id: 'e1', type: 'policy.set.published', revision: 3 }] } },
};

const approvals = suite('approvals decider (two-person rule)');
const spec = DeciderSpecification.for(approvalsDecider);

approvals('a dual-control command is proposed with its body, proposer, reason and the end of its window', () => {
  spec.given([]).when({ type: 'approval.propose', data: { region: 'eu-west', id: ID, command: 'policy.set.publish', body: BODY, reason: 'CHG-42' } }, at(T0, 'user:alice'))
    .then([proposed]);
});

approvals('a command the catalogue does not mark is refused (not-dual-control); the same id again is a repeat, another proposal under it a conflict', () => {
  const refused = spec.given([]).when({ type: 'approval.propose', data: { region: 'eu-west', id: ID, command: 'graph.node.upsert', body: {}, reason: 'x' } }, at(T0, 'user:alice'))
    .thenFails('not-dual-control', 'graph.node.upsert');
  assert.is(refused.status, 422);
  spec.given([proposed]).when({ type: 'approval.propose', data: { region: 'eu-west', id: ID, command: 'policy.set.publish', body: BODY, reason: 'again' } }, at(T0, 'user:alice')).thenNothing();
  spec.given([proposed]).when({ type: 'approval.propose', data: { region: 'eu-west', id: ID, command: 'policy.set.publish', body: BODY, reason: 'mine' } }, at(T0, 'user:bob')).thenFails('conflict', 'already proposed');
});

approvals('a different principal approves within the window; the proposer cannot (two-person-rule, 403)', () => {
  const later = '2026-12-07T11:00:00.000Z';
  spec.given([proposed]).when({ type: 'approval.approve', data: { region: 'eu-west', id: ID, reason: 'reviewed' } }, at(later, 'user:bob'))
    .then([{ type: 'approval.approved', schemaVersion: 1, data: { id: ID, command: 'policy.set.publish', proposer: 'user:alice', approver: 'user:bob', approvedAt: later, reason: 'reviewed' } }]);
  const self = spec.given([proposed]).when({ type: 'approval.approve', data: { region: 'eu-west', id: ID } }, at(later, 'user:alice')).thenFails('two-person-rule', 'a different principal');
  assert.is(self.status, 403);
});

approvals('past its window a proposal cannot be approved (approval-expired, 410) nor rejected; it reads as expired', () => {
  const expired = spec.given([proposed]).when({ type: 'approval.approve', data: { region: 'eu-west', id: ID } }, at(EXPIRES, 'user:bob')).thenFails('approval-expired', EXPIRES);
  assert.is(expired.status, 410);
  spec.given([proposed]).when({ type: 'approval.reject', data: { region: 'eu-west', id: ID, reason: 'late' } }, at(EXPIRES, 'user:bob')).thenFails('approval-expired');
  const state = evolveApprovals(initialApprovalsState, proposed);
  assert.is(approvalState(state.approvals.get(ID)!, T0), 'pending');
  assert.is(approvalState(state.approvals.get(ID)!, EXPIRES), 'expired');
});

approvals('approving twice: the approver again is nothing new; another principal is a conflict (409)', () => {
  const given = [proposed, approved('user:bob', T0)];
  spec.given(given).when({ type: 'approval.approve', data: { region: 'eu-west', id: ID } }, at(T0, 'user:bob')).thenNothing();
  const other = spec.given(given).when({ type: 'approval.approve', data: { region: 'eu-west', id: ID } }, at(T0, 'user:carol')).thenFails('conflict', 'already approved by user:bob');
  assert.is(other.status, 409);
  // Even after its window: the approval was given in time; a repeat only answers again.
  spec.given([...given, executed]).when({ type: 'approval.approve', data: { region: 'eu-west', id: ID } }, at(EXPIRES, 'user:bob')).thenNothing();
});

approvals('rejecting: anyone allowed to (the proposer too, withdrawing); a rejected proposal is never approved', () => {
  spec.given([proposed]).when({ type: 'approval.reject', data: { region: 'eu-west', id: ID, reason: 'not now' } }, at(T0, 'user:alice'))
    .then([{ type: 'approval.rejected', schemaVersion: 1, data: { id: ID, command: 'policy.set.publish', proposer: 'user:alice', rejectedBy: 'user:alice', reason: 'not now', rejectedAt: T0 } }]);
  const rejected: ApprovalEvent = { type: 'approval.rejected', schemaVersion: 1, data: { id: ID, command: 'policy.set.publish', proposer: 'user:alice', rejectedBy: 'user:carol', reason: 'no', rejectedAt: T0 } };
  spec.given([proposed, rejected]).when({ type: 'approval.approve', data: { region: 'eu-west', id: ID } }, at(T0, 'user:bob')).thenFails('conflict', 'rejected by user:carol');
  spec.given([proposed, rejected]).when({ type: 'approval.reject', data: { region: 'eu-west', id: ID, reason: 'no' } }, at(T0, 'user:carol')).thenNothing();
  spec.given([proposed, approved('user:bob', T0)]).when({ type: 'approval.reject', data: { region: 'eu-west', id: ID, reason: 'too late' } }, at(T0, 'user:carol')).thenFails('conflict', 'approved by user:bob');
  spec.given([]).when({ type: 'approval.reject', data: { region: 'eu-west', id: ID, reason: 'x' } }, at(T0, 'user:carol')).thenFails('not-found');
});

approvals("the approver's execution is recorded once; not before approval, not by someone else", () => {
  const outcome = executed.type === 'approval.outcome.recorded' ? executed.data.outcome : undefined!;
  spec.given([proposed, approved('user:bob', T0)]).when({ type: 'approval.outcome.record', data: { region: 'eu-west', id: ID, outcome } }, at(T0, 'user:bob')).then([executed]);
  spec.given([proposed, approved('user:bob', T0), executed]).when({ type: 'approval.outcome.record', data: { region: 'eu-west', id: ID, outcome } }, at(T0, 'user:bob')).thenNothing();
  spec.given([proposed]).when({ type: 'approval.outcome.record', data: { region: 'eu-west', id: ID, outcome } }, at(T0, 'user:bob')).thenFails('conflict', 'is pending');
  spec.given([proposed, approved('user:bob', T0)]).when({ type: 'approval.outcome.record', data: { region: 'eu-west', id: ID, outcome } }, at(T0, 'user:mallory')).thenFails('conflict', 'approved by user:bob');
  const state = [proposed, approved('user:bob', T0), executed].reduce(evolveApprovals, initialApprovalsState);
  assert.is(state.approvals.get(ID)!.status, 'executed');
});

approvals.run();
