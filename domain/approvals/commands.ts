// The approvals commands as the pipeline sees them. All four write the tenant's one approvals stream, so
// a proposal's life is totally ordered. The Cedar resource is the Approval: its command, its proposer, its
// state and the roles the catalogue lets approve it (`approverRoles`), so policy can say who may act on it.
// `approval.approve` and `approval.outcome.record` run only from the approvals service (commands/approvals.ts),
// which executes the approved command between them; the pipeline refuses them from anyone else.
import {
  ApprovalApprove,
  ApprovalEvent,
  ApprovalOutcomeRecord,
  ApprovalPropose,
  ApprovalReject,
} from '../../schemas/approval.js';
import type { JsonObject } from '../../schemas/json.js';
import { approvalsStream } from '../../schemas/streams.js';
import { foldWith, type AnyCommandHandler, type CommandHandler, type DecideContext } from '../command-handler.js';
import { approvalsDecider, evolveApprovals, initialApprovalsState, type ApprovalCommand, type ApprovalsState } from './approvals.js';
import { dualControlOf } from './dual-control.js';

export const foldApprovals = foldWith(ApprovalEvent, evolveApprovals, initialApprovalsState);

/**
 * What Cedar sees of an approval: the command, who proposed it, its state as recorded (pending until approved
 * or rejected: Cedar's attributes carry no clock, the window is the decider's to check), who may approve it.
 */
function approvalAttributes(command: string, state: ApprovalsState, id: string): JsonObject {
  const a = state.approvals.get(id);
  const roles = dualControlOf(a?.command ?? command)?.approverRoles ?? [];
  return {
    command: a?.command ?? command,
    approverRoles: [...roles],
    ...(a === undefined ? {} : { proposer: a.proposer, state: a.status }),
  };
}

function handler<C extends { readonly region: string; readonly id: string }>(
  type: ApprovalCommand['type'],
  codec: CommandHandler<C, ApprovalsState, ApprovalEvent>['codec'],
  commandOf: (cmd: C) => string,
): AnyCommandHandler {
  const h: CommandHandler<C, ApprovalsState, ApprovalEvent> = {
    codec,
    resourceType: 'Approval',
    action: type.slice('approval.'.length),
    resourceId: (cmd) => cmd.id,
    resourceAttributes: (cmd, state) => ({ region: cmd.region, ...approvalAttributes(commandOf(cmd), state, cmd.id) }),
    region: (cmd) => cmd.region,
    streamOf: (tenant) => approvalsStream(tenant),
    provenance: () => undefined,
    naturalKey: () => undefined,
    relatedStreams: () => ({}),
    initialState: initialApprovalsState,
    evolve: evolveApprovals,
    fold: foldApprovals,
    encodeEvent: (e) => ApprovalEvent.encode(e),
    decide: (cmd, state, ctx: DecideContext) => approvalsDecider.decide({ type, data: cmd } as ApprovalCommand, state, ctx),
  };
  return h as AnyCommandHandler;
}

export const approvalCommands: Readonly<Record<ApprovalCommand['type'], AnyCommandHandler>> = Object.freeze({
  'approval.propose': handler<ApprovalPropose>('approval.propose', ApprovalPropose, (cmd) => cmd.command),
  'approval.approve': handler<ApprovalApprove>('approval.approve', ApprovalApprove, () => ''),
  'approval.reject': handler<ApprovalReject>('approval.reject', ApprovalReject, () => ''),
  'approval.outcome.record': handler<ApprovalOutcomeRecord>('approval.outcome.record', ApprovalOutcomeRecord, () => ''),
});

/** Commands only the approvals service sends (it executes the approved command between them). */
export const APPROVAL_SERVICE_COMMANDS: ReadonlySet<string> = new Set(['approval.approve', 'approval.outcome.record']);
