// The two-person rule as sealed events on `<tenant>/approvals` (domain/approvals): a dual-control command
// (domain/approvals/dual-control.ts) is first proposed (its type, body, proposer, why, and until when it may
// be approved), then approved by a different principal, who executes it; or rejected. The outcome of the
// execution is recorded beside it. Command codecs for the approvals commands and the HTTP bodies live here.
import * as t from 'io-ts';
import { eventCodec, eventUnion } from './event-body.js';
import { JsonObjectC } from './json.js';
import { describedAs } from './json-schema.js';
import { Reason, Region, Uuid } from './primitives.js';
import { closedObject } from './validation.js';

export const APPROVAL_SCHEMA_VERSION = 1;

const CommandType = describedAs(new t.Type<string, string, unknown>('command type', (u): u is string => typeof u === 'string' && /^[a-z][a-z0-9.-]{0,127}$/.test(u), (u, c) => (typeof u === 'string' && /^[a-z][a-z0-9.-]{0,127}$/.test(u) ? t.success(u) : t.failure(u, c)), t.identity), { type: 'string', pattern: '^[a-z][a-z0-9.-]{0,127}$' });
const CommandBody = describedAs(JsonObjectC, { type: 'object', description: 'the command body, as POST /v1/commands/{type} takes it' });

/** `approval.propose`: record a dual-control command as proposed; `id` is the approval's (the client may choose it, so a retry is a repeat). */
export const ApprovalPropose = closedObject('ApprovalPropose', { region: Region, id: Uuid, command: CommandType, body: CommandBody, reason: Reason });
export type ApprovalPropose = t.TypeOf<typeof ApprovalPropose>;
/** `approval.approve`: a different principal approves, and the command executes as theirs (POST /v1/approvals/{id}/approve). */
export const ApprovalApprove = closedObject('ApprovalApprove', { region: Region, id: Uuid }, { reason: Reason });
export type ApprovalApprove = t.TypeOf<typeof ApprovalApprove>;
/** `approval.reject`: an approver (or the proposer, withdrawing) says no; the command never executes. */
export const ApprovalReject = closedObject('ApprovalReject', { region: Region, id: Uuid, reason: Reason });
export type ApprovalReject = t.TypeOf<typeof ApprovalReject>;

const EventRef = t.readonly(t.type({ id: t.string, type: t.string, revision: t.number }));
/** What the approved command did: appended (its events, stream, position), nothing to do, or refused. */
export const ApprovalOutcome = t.union([
  t.readonly(t.type({ kind: t.literal('executed'), stream: t.string, position: t.union([t.string, t.null]), events: t.readonlyArray(EventRef) })),
  t.readonly(t.type({ kind: t.literal('refused'), status: t.number, code: t.string, detail: t.string })),
]);
export type ApprovalOutcome = t.TypeOf<typeof ApprovalOutcome>;
/** `approval.outcome.record`: the approvals service records what the approved command did (not a client's command). */
export const ApprovalOutcomeRecord = closedObject('ApprovalOutcomeRecord', { region: Region, id: Uuid, outcome: ApprovalOutcome });
export type ApprovalOutcomeRecord = t.TypeOf<typeof ApprovalOutcomeRecord>;

const exact = <P extends t.Props>(props: P) => t.readonly(t.exact(t.type(props)));
const exactWith = <P extends t.Props, O extends t.Props>(props: P, optional: O) => t.readonly(t.exact(t.intersection([t.type(props), t.partial(optional)])));

export const ApprovalProposed = eventCodec(
  'approval.proposed',
  APPROVAL_SCHEMA_VERSION,
  exact({ id: t.string, command: t.string, body: JsonObjectC, proposer: t.string, reason: t.string, proposedAt: t.string, expiresAt: t.string }),
);
export const ApprovalApproved = eventCodec(
  'approval.approved',
  APPROVAL_SCHEMA_VERSION,
  exactWith({ id: t.string, command: t.string, proposer: t.string, approver: t.string, approvedAt: t.string }, { reason: t.string }),
);
export const ApprovalRejected = eventCodec(
  'approval.rejected',
  APPROVAL_SCHEMA_VERSION,
  exact({ id: t.string, command: t.string, proposer: t.string, rejectedBy: t.string, reason: t.string, rejectedAt: t.string }),
);
export const ApprovalOutcomeRecorded = eventCodec(
  'approval.outcome.recorded',
  APPROVAL_SCHEMA_VERSION,
  exact({ id: t.string, outcome: ApprovalOutcome }),
);

export const ApprovalEvent = eventUnion('ApprovalEvent', [ApprovalProposed, ApprovalApproved, ApprovalRejected, ApprovalOutcomeRecorded]);
export type ApprovalEvent = t.TypeOf<typeof ApprovalEvent>;

/** Who proposed and who approved, sealed in the meta of the events the approved command writes (and of its approval). */
export const ApprovalRef = t.readonly(t.type({ id: t.string, proposer: t.string, approver: t.string, proposedAt: t.string }), 'ApprovalRef');
export type ApprovalRef = t.TypeOf<typeof ApprovalRef>;

/** POST /v1/approvals: propose a dual-control command. `region` defaults to the body's; `id` to a new UUID. */
export const ApprovalRequest = closedObject('ApprovalRequest', { command: CommandType, body: CommandBody, reason: Reason }, { region: Region, id: Uuid });
export type ApprovalRequest = t.TypeOf<typeof ApprovalRequest>;
/** POST /v1/approvals/{id}/approve. */
export const ApprovalDecisionBody = closedObject('ApprovalDecisionBody', {}, { reason: Reason });
/** POST /v1/approvals/{id}/reject: a reason is required. */
export const ApprovalRejectBody = closedObject('ApprovalRejectBody', { reason: Reason });

export const APPROVAL_STATES = ['pending', 'approved', 'executed', 'refused', 'rejected', 'expired'] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];
/** GET /v1/approvals?state=pending. */
export const ApprovalsQuery = closedObject('ApprovalsQuery', {}, {
  state: describedAs(t.keyof({ pending: null, approved: null, executed: null, refused: null, rejected: null, expired: null }), { type: 'string', enum: [...APPROVAL_STATES] }),
});
export const ApprovalIdParam = closedObject('ApprovalIdParam', { id: Uuid });
