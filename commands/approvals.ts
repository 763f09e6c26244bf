// The two-person rule as a mechanism (domain/approvals): every door to a dual-control command comes here.
// - propose: the command (type and body, checked by its codec) is recorded as `approval.proposed` on the
//   tenant's approvals stream, policy-checked as `approval.propose`; nothing executes.
// - approve: a different principal approves and the command executes as theirs. In order: the command's own
//   decision for the approver (its policies and step-up; a denial is recorded and answered, nothing approved),
//   `approval.approve` (policy-checked; the decider refuses the proposer, an expired window, a second
//   approver), the command itself under the idempotency key `approval:<id>` (so it runs once, however often
//   it is approved again) with meta.approval naming proposer and approver on every event it seals, then
//   `approval.outcome.recorded`. An approval interrupted before its outcome is finished by approving again.
// - the thin forms: POST /v1/commands/<dual-control type> approves the pending proposal of the same body by
//   someone else, or proposes it (202); a command the catalogue says opens a proposal (policy.set.propose
//   opens the publication of its text) proposes it after it succeeds.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { EventLog } from '../adapters/event-log/index.js';
import { approvalState, dualControlOf, foldApprovals, proposedAfter, type Approval, type ApprovalsState, type DualControl } from '../domain/index.js';
import { jsonEqual } from '../domain/json-equal.js';
import { ApprovalApprove, ApprovalPropose, type ApprovalOutcome, type ApprovalRef, type ApprovalState } from '../schemas/approval.js';
import type { JsonObject } from '../schemas/json.js';
import { approvalsStream } from '../schemas/streams.js';
import type { Principal } from './authorizer.js';
import type { RequestInfo } from './envelope.js';
import { failure, type Failure } from './failure.js';
import { bodyOf } from './folded-streams.js';
import type { CommandOutcome, CommandPipeline } from './pipeline.js';

/** An approval as the API shows it: as recorded, with its state now (a pending one past its window is expired). */
export type ApprovalView = Omit<Approval, 'status'> & { readonly state: ApprovalState };

/** What a command sent through the approvals service came to: executed (as the pipeline answers), or proposed and waiting. */
export type Submitted = CommandOutcome | { readonly kind: 'proposed'; readonly body: { readonly approval: ApprovalView } };

export interface ApprovalsDeps {
  readonly pipeline: CommandPipeline;
  readonly log: EventLog;
  readonly clock: () => Date;
  readonly newId: () => string;
}

export interface ProposalRequest {
  readonly command: string;
  readonly body: JsonObject;
  readonly reason: string;
  readonly region?: string;
  readonly id?: string;
}

export class Approvals {
  readonly #deps: ApprovalsDeps;

  constructor(deps: ApprovalsDeps) {
    this.#deps = deps;
  }

  /** POST /v1/commands/{type}: every command goes through here, so no door skips the two-person rule. */
  async submit(type: string, payload: unknown, principal: Principal, info: RequestInfo): Promise<Either<Failure, Submitted>> {
    const { pipeline } = this.#deps;
    if (type === 'approval.propose') {
      const bad = pipeline.invalid(type, payload);
      if (bad !== undefined) return left(bad);
      const p = payload as ApprovalPropose;
      const proposed = await this.propose(principal, p, info);
      return isLeft(proposed) ? proposed : right({ kind: 'proposed', body: { approval: proposed.right } });
    }
    if (type === 'approval.approve') {
      const bad = pipeline.invalid(type, payload);
      if (bad !== undefined) return left(bad);
      const a = payload as ApprovalApprove;
      const approved = await this.approve(principal, a.id, a.reason, info);
      return isLeft(approved) ? approved : right(approved.right.outcome);
    }
    const control = dualControlOf(type);
    if (control !== undefined) return this.#dualControl(control, payload, principal, info);
    const outcome = await pipeline.execute(type, payload, principal, info);
    const opens = proposedAfter(type);
    if (isLeft(outcome) || opens.length === 0 || outcome.right.kind === 'replayed') return outcome;
    // The command opens proposals (policy.set.propose: publishing the text): one for each, unless one waits.
    let approval: ApprovalView | undefined;
    for (const opened of opens) {
      const body = opened.proposedBy!.body(payload as JsonObject);
      const reason = typeof (payload as JsonObject)['reason'] === 'string' ? ((payload as JsonObject)['reason'] as string) : `proposed with ${type}`;
      const waiting = await this.#pending(principal.tenant, opened, body);
      if (waiting !== undefined) {
        approval = waiting;
        continue;
      }
      const proposed = await this.propose(principal, { command: opened.command, body, reason }, info);
      if (isLeft(proposed)) return proposed;
      approval = proposed.right;
    }
    return right(approval === undefined ? outcome.right : withBody(outcome.right, approval));
  }

  /** Records a dual-control command as proposed by `principal`; nothing executes. */
  async propose(principal: Principal, request: ProposalRequest, info: RequestInfo): Promise<Either<Failure, ApprovalView>> {
    const { pipeline } = this.#deps;
    if (dualControlOf(request.command) === undefined) {
      const unknown = pipeline.unknownCommand(request.command);
      if (unknown !== undefined) return left(unknown);
      return left(failure('not-dual-control', `${request.command} is not a dual-control command; send it to POST /v1/commands/${request.command}`));
    }
    const bad = pipeline.invalid(request.command, request.body);
    if (bad !== undefined) return left(bad);
    const id = request.id ?? this.#deps.newId();
    const region = request.region ?? regionOf(request.body, principal);
    const proposed = await pipeline.execute('approval.propose', { region, id, command: request.command, body: request.body, reason: request.reason }, principal, info);
    if (isLeft(proposed)) return proposed;
    return right((await this.get(principal.tenant, id))!);
  }

  /** A different principal approves `id`: the command executes as theirs (see the module's header for the order). */
  async approve(
    principal: Principal,
    id: string,
    reason: string | undefined,
    info: RequestInfo,
  ): Promise<Either<Failure, { readonly approval: ApprovalView; readonly outcome: CommandOutcome }>> {
    const { pipeline } = this.#deps;
    const a = (await this.#state(principal.tenant)).approvals.get(id);
    if (a === undefined) return left(failure('not-found', `no approval ${id} in this tenant`));
    const control = dualControlOf(a.command);
    if (control === undefined) return left(failure('conflict', `${a.command} is no longer a dual-control command; approval ${id} cannot execute`));
    // The body executed is fixed at the approval: a repeat sends the same (so it answers as a repeat).
    const given = a.status === 'pending' ? reason : a.approvalReason;
    const body = control.approverReason === true && given !== undefined && a.body['reason'] === undefined ? { ...a.body, reason: given } : a.body;
    // `info` is the approver's request; its Idempotency-Key (if any) is theirs for this call, not the command's.
    const { idempotencyKey: _ignored, ...request } = info;
    if (a.status === 'pending') {
      // May the approver run this command at all (role, step-up, the command's own policies)? If not, nothing is approved.
      const allowed = await pipeline.authorizeCommand(a.command, body, principal, request);
      if (isLeft(allowed)) return left(withApproval(allowed.left, a.id));
    }
    const ref: ApprovalRef = { id: a.id, proposer: a.proposer, approver: principal.id, proposedAt: a.proposedAt };
    const region = regionOf(a.body, principal);
    const approved = await pipeline.execute('approval.approve', { region, id, ...(reason === undefined ? {} : { reason }) }, principal, { ...request, approval: ref });
    if (isLeft(approved)) return left(withApproval(approved.left, a.id));
    const executed = await pipeline.execute(a.command, body, principal, { ...request, idempotencyKey: `approval:${a.id}`, approval: ref });
    const outcome: ApprovalOutcome = isLeft(executed)
      ? { kind: 'refused', status: executed.left.status, code: executed.left.code, detail: executed.left.detail }
      : {
          kind: 'executed',
          stream: executed.right.body.stream,
          position: executed.right.body.position ?? null,
          events: executed.right.body.events.map((e) => ({ id: e.id, type: e.type, revision: e.revision })),
        };
    const recorded = await pipeline.execute('approval.outcome.record', { region, id, outcome }, principal, { ...request, approval: ref });
    if (isLeft(recorded)) return left(withApproval(recorded.left, a.id));
    if (isLeft(executed)) return left(withApproval(executed.left, a.id));
    const view = (await this.get(principal.tenant, id))!;
    return right({ approval: view, outcome: withBody(executed.right, view) });
  }

  /** An approver (or the proposer, withdrawing) says no. */
  async reject(principal: Principal, id: string, reason: string, info: RequestInfo): Promise<Either<Failure, ApprovalView>> {
    const a = (await this.#state(principal.tenant)).approvals.get(id);
    if (a === undefined) return left(failure('not-found', `no approval ${id} in this tenant`));
    const rejected = await this.#deps.pipeline.execute('approval.reject', { region: regionOf(a.body, principal), id, reason }, principal, info);
    if (isLeft(rejected)) return left(withApproval(rejected.left, a.id));
    return right((await this.get(principal.tenant, id))!);
  }

  /** The tenant's approvals, newest first, optionally in one state. */
  async list(tenant: string, state?: ApprovalState): Promise<readonly ApprovalView[]> {
    const now = this.#deps.clock().toISOString();
    return [...(await this.#state(tenant)).approvals.values()]
      .map((a) => viewOf(a, now))
      .filter((v) => state === undefined || v.state === state)
      .reverse();
  }

  async get(tenant: string, id: string): Promise<ApprovalView | undefined> {
    const a = (await this.#state(tenant)).approvals.get(id);
    return a === undefined ? undefined : viewOf(a, this.#deps.clock().toISOString());
  }

  /** A dual-control command sent as itself: approve someone else's waiting proposal of the same body, or propose it. */
  async #dualControl(control: DualControl, payload: unknown, principal: Principal, info: RequestInfo): Promise<Either<Failure, Submitted>> {
    const bad = this.#deps.pipeline.invalid(control.command, payload);
    if (bad !== undefined) return left(bad);
    const body = payload as JsonObject;
    const reason = typeof body['reason'] === 'string' ? (body['reason'] as string) : undefined;
    const waiting = await this.#pending(principal.tenant, control, body);
    if (waiting !== undefined) {
      const approved = await this.approve(principal, waiting.id, reason, info);
      return isLeft(approved) ? approved : right(approved.right.outcome);
    }
    const proposed = await this.propose(principal, { command: control.command, body, reason: reason ?? `proposed through POST /v1/commands/${control.command}` }, info);
    return isLeft(proposed) ? proposed : right({ kind: 'proposed', body: { approval: proposed.right } });
  }

  /** The waiting (pending, in its window) proposal of `body` for this command, if any; the reason does not tell proposals apart when the approver gives it. */
  async #pending(tenant: string, control: DualControl, body: JsonObject): Promise<ApprovalView | undefined> {
    const strip = (b: JsonObject): JsonObject => (control.approverReason === true ? Object.fromEntries(Object.entries(b).filter(([k]) => k !== 'reason')) : b);
    const now = this.#deps.clock().toISOString();
    const match = [...(await this.#state(tenant)).approvals.values()]
      .reverse()
      .find((a) => a.command === control.command && approvalState(a, now) === 'pending' && jsonEqual(strip(a.body), strip(body)));
    return match === undefined ? undefined : viewOf(match, now);
  }

  async #state(tenant: string): Promise<ApprovalsState> {
    const folded = foldApprovals((await this.#deps.log.readStream(approvalsStream(tenant))).map(bodyOf));
    if (isLeft(folded)) throw new Error(`${approvalsStream(tenant)}: ${folded.left.join('; ')}`);
    return folded.right;
  }
}

/** An approval lives in its command's region (the body's), so the approver's token must be from there (write-region-match). */
const regionOf = (body: JsonObject, principal: Principal): string => (typeof body['region'] === 'string' ? (body['region'] as string) : principal.region ?? 'global');

/** The outcome with the approval in its body. */
const withBody = (o: CommandOutcome, approval: ApprovalView): CommandOutcome => {
  switch (o.kind) {
    case 'appended':
      return { ...o, body: { ...o.body, approval } };
    case 'replayed':
      return { ...o, body: { ...o.body, approval } };
    case 'unchanged':
      return { ...o, body: { ...o.body, approval } };
  }
};

const withApproval = (f: Failure, approvalId: string): Failure => ({ ...f, extensions: { ...(f.extensions ?? {}), approvalId } });

function viewOf(a: Approval, now: string): ApprovalView {
  const { status: _recorded, ...recorded } = a;
  return { ...recorded, state: approvalState(a, now) };
}
