// The command pipeline: decode → load → authorize (Cedar, deny by default) → decide (pure) → seal →
// append with the expected revision, retrying bounded times on a revision conflict. Idempotency keys
// (and natural keys) map to deterministic event ids, so a repeated request returns the first result.
import { createHash } from 'node:crypto';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { APPROVAL_SERVICE_COMMANDS, dualControlOf, type AnyCommandHandler, type RelatedStream } from '../domain/index.js';
import { canonicalize } from '../ledger/index.js';
import { DuplicateEventIdError, WrongExpectedRevisionError, type AppendResult } from '../adapters/event-log/index.js';
import type { SealedEvent } from '../schemas/sealed-event.js';
import type { JsonValue } from '../schemas/json.js';
import { formatValidationErrors } from '../schemas/validation.js';
import { authorize, explain, type AccessDeps } from './access.js';
import { withDecisionContext } from './decision-context.js';
import type { AuthorizationDecision, AuthorizationRequest, Principal, StepUp } from './authorizer.js';
import { commandActionGroups } from './policy-actions.js';
import { eventMeta, type RequestInfo } from './envelope.js';
import { dedupedEventId } from './event-ids.js';
import { FoldedStreams, type CommandEventRef, type FoldedStream, type RecordedCommand } from './folded-streams.js';
import { failure, type Failure } from './failure.js';
import { appendSealed, RevisionConflictError, retryOnConflict, sealOntoTail, type RetryPolicy } from './stream-writer.js';

export interface PipelineDeps extends AccessDeps {
  readonly handlers: Readonly<Record<string, AnyCommandHandler>>;
  readonly retry: RetryPolicy;
  /** How many streams' folded state to remember between commands (default 10,000; 0: fold every stream from the start). */
  readonly foldedStreams?: number;
}

export interface CommandResult {
  readonly command: string;
  readonly stream: string;
  /** The stream's revision after the command; null when the stream still does not exist. */
  readonly revision: number | null;
  /** Global log position of the last event written (a decimal string: positions are 64-bit). */
  readonly position?: string;
  readonly events: readonly CommandEventRef[];
  readonly decision?: { readonly id: string; readonly policyVersion: string; readonly determiningPolicies: readonly string[] };
  /** The approval the command executed under, or opened (commands/approvals.ts ApprovalView); set by the approvals service. */
  readonly approval?: object;
}

export type CommandOutcome =
  /** `sealed`: the events as written, for in-process callers that follow what they wrote (the executor). */
  | { readonly kind: 'appended'; readonly body: CommandResult; readonly sealed: readonly SealedEvent[] }
  /** The same idempotency key and payload were accepted before: the first result, nothing written. */
  | { readonly kind: 'replayed'; readonly body: CommandResult & { readonly replayed: true } }
  /** The decision produced no events (e.g. re-ingest of facts already recorded). */
  | { readonly kind: 'unchanged'; readonly body: CommandResult & { readonly unchanged: true } };

/** POST /v1/policy/preflight: the decision a command would get now, and (when allowed) what it would do. */
export interface Preflight {
  readonly command: string;
  readonly stream: string;
  readonly allowed: boolean;
  /** As it would be sealed (id, policy version, determining policies), with the explanation a 403 gives. */
  readonly decision: {
    readonly id: string; readonly policyVersion: string; readonly determiningPolicies: readonly string[]; readonly explanation: string;
    /** A denial a fresher or stronger login would lift: what the command's 401 challenge would ask for (RFC 9470). */
    readonly stepUp?: StepUp;
  };
  /** The resource Cedar saw: type, id and attributes. */
  readonly resource: AuthorizationRequest['resource'];
  /** When allowed: the events the command would append, nothing to do, or the domain's refusal. */
  readonly outcome?:
    | { readonly kind: 'appended' | 'unchanged'; readonly events: readonly string[] }
    | { readonly kind: 'refused'; readonly status: number; readonly code: string; readonly detail: string };
}

export class CommandPipeline {
  readonly #deps: PipelineDeps;
  readonly #handlers: ReadonlyMap<string, AnyCommandHandler>;
  readonly #folded: FoldedStreams;

  constructor(deps: PipelineDeps) {
    this.#deps = deps;
    this.#handlers = new Map(Object.entries(deps.handlers));
    this.#folded = new FoldedStreams(deps.foldedStreams ?? 10_000);
  }

  commandTypes(): readonly string[] {
    return [...this.#handlers.keys()].sort();
  }

  /** The refusal of a type no handler takes (naming the known ones); undefined for a known type. */
  unknownCommand(type: string): Failure | undefined {
    return this.#handlers.has(type) ? undefined : failure('unknown-command', `no command named ${type}; known: ${this.commandTypes().join(', ')}`);
  }

  /** The command's handler and its decoded body, or why there is none: one door for `preflight` and `execute`. */
  #decode(type: string, payload: unknown): Either<Failure, { readonly handler: AnyCommandHandler; readonly cmd: unknown }> {
    const handler = this.#handlers.get(type);
    if (handler === undefined) return left(this.unknownCommand(type)!);
    const decoded = handler.codec.decode(payload);
    if (isLeft(decoded)) {
      const errors = formatValidationErrors(decoded.left);
      return left(failure('validation', errors.join('; '), { errors }));
    }
    return right({ handler, cmd: decoded.right });
  }

  /** Why a body is not a valid `type` command (unknown type, or the codec's messages); undefined when it is. */
  invalid(type: string, payload: unknown): Failure | undefined {
    const command = this.#decode(type, payload);
    return isLeft(command) ? command.left : undefined;
  }

  /**
   * The decision this command gets for this caller now, as `execute` would ask it, a denial recorded and
   * answered as `execute` answers it (403, or 401 for a step-up); nothing else written. The approvals service
   * asks it before recording an approval, so an approver who may not run the command approves nothing.
   */
  async authorizeCommand(type: string, payload: unknown, principal: Principal, info: RequestInfo): Promise<Either<Failure, AuthorizationDecision>> {
    const command = this.#decode(type, payload);
    if (isLeft(command)) return command;
    const { handler, cmd } = command.right;
    const own = await this.#folded.read(this.#deps.log, handler.streamOf(principal.tenant, cmd), handler.fold);
    const access = await authorize(this.#deps, authorizationRequest(type, handler, cmd, own.state, principal, principal.tenant, info), info);
    return access.allowed ? right(access.decision) : left(access.failure);
  }

  /**
   * What the pipeline would decide on this command for this caller, with nothing appended (no event, no
   * denial record): decode, load the streams, authorize and decide exactly as `execute` does.
   */
  async preflight(type: string, payload: unknown, principal: Principal, info: RequestInfo): Promise<Either<Failure, Preflight>> {
    const command = this.#decode(type, payload);
    if (isLeft(command)) return command;
    const { handler, cmd } = command.right;
    const tenant = principal.tenant;
    const stream = handler.streamOf(tenant, cmd);
    const relatedStreams = Object.entries(handler.relatedStreams(tenant, cmd) as Record<string, RelatedStream<unknown>>);
    const [own, ...relatedFolded] = await Promise.all([
      this.#folded.read(this.#deps.log, stream, handler.fold),
      ...relatedStreams.map(([, rel]) => this.#folded.read(this.#deps.log, rel.stream, rel.fold)),
    ]);
    const related = Object.fromEntries(relatedStreams.map(([key], i) => [key, relatedFolded[i]!.state]));
    const request = withDecisionContext(authorizationRequest(type, handler, cmd, own!.state, principal, tenant, info), this.#deps);
    const decision = this.#deps.authorizer.authorize(request, this.#deps.newId());
    const answer: Preflight = {
      command: type,
      stream,
      allowed: decision.allowed,
      decision: {
        id: decision.id,
        policyVersion: decision.policyVersion,
        determiningPolicies: decision.determiningPolicies,
        explanation: decision.allowed ? decision.explanation : explain(request, decision),
        ...(decision.stepUp !== undefined ? { stepUp: decision.stepUp } : {}),
      },
      resource: request.resource,
    };
    if (!decision.allowed) return right(answer);
    const decided = handler.decide(cmd, own!.state, { now: this.#deps.clock().toISOString(), related, actor: principal.id });
    const outcome: Preflight['outcome'] = isLeft(decided)
      ? { kind: 'refused', status: decided.left.status, code: decided.left.code, detail: decided.left.detail }
      : decided.right.length === 0
        ? { kind: 'unchanged', events: [] }
        : { kind: 'appended', events: decided.right.map((e) => e.type) };
    return right({ ...answer, outcome });
  }

  async execute(type: string, payload: unknown, principal: Principal, info: RequestInfo): Promise<Either<Failure, CommandOutcome>> {
    // The two-person rule cannot be skipped by the door a command comes in (HTTP, NATS, a follower): a
    // dual-control command, and the approval that executes one, run only from the approvals service.
    if (info.approval === undefined && (dualControlOf(type) !== undefined || APPROVAL_SERVICE_COMMANDS.has(type))) {
      return left(failure('approval-required', `${type} needs a second person: propose it (POST /v1/approvals or POST /v1/commands/${dualControlOf(type) === undefined ? '<command>' : type}) and have a different principal approve it (POST /v1/approvals/{id}/approve)`));
    }
    const command = this.#decode(type, payload);
    if (isLeft(command)) return command;
    const { handler, cmd } = command.right;
    const tenant = principal.tenant;
    const stream = handler.streamOf(tenant, cmd);
    const requestDigest = createHash('sha256')
      .update(canonicalize({ type, payload: payload as JsonValue }))
      .digest('hex');
    const naturalKey = handler.naturalKey(cmd);
    const dedupeKey =
      info.idempotencyKey !== undefined
        ? `key:${info.idempotencyKey}`
        : naturalKey !== undefined
          ? `natural:${naturalKey}:${requestDigest}`
          : undefined;

    try {
      return await retryOnConflict(stream, this.#deps.retry, () =>
        this.#attempt(type, handler, cmd, principal, info, { stream, tenant, requestDigest, dedupeKey }),
      );
    } catch (error) {
      if (error instanceof RevisionConflictError) {
        return left(failure('revision-conflict', `${error.message}; retry the command`));
      }
      if (error instanceof DuplicateEventIdError && dedupeKey !== undefined) {
        return left(reusedKey(info));
      }
      throw error;
    }
  }

  async #attempt(
    type: string,
    handler: AnyCommandHandler,
    cmd: unknown,
    principal: Principal,
    info: RequestInfo,
    k: CommandKeys,
  ): Promise<Either<Failure, CommandOutcome>> {
    const { log } = this.#deps;
    const relatedStreams = Object.entries(handler.relatedStreams(k.tenant, cmd) as Record<string, RelatedStream<unknown>>);
    const folded = this.#folded;
    // A stream this process wrote last is decided on as remembered, without a read; cross-aggregate
    // rules need their evidence read now, so commands with related streams always read.
    if (relatedStreams.length === 0) {
      const remembered = folded.remembered(k.stream, handler.fold);
      if (remembered !== undefined) {
        const outcome = await this.#decideOn(type, handler, cmd, principal, info, k, remembered, {}, []);
        if (outcome !== RECHECK) return outcome;
      }
    }
    // Read, then decide. A second pass only follows an append the log answered as a repeat (a concurrent
    // command under the same key won): the read then finds that command and answers with its result.
    for (let pass = 0; pass < 2; pass++) {
      // The aggregate's stream and the streams its decision reads, in parallel: one round trip of latency.
      const [own, ...relatedFolded] = await Promise.all([
        folded.read(log, k.stream, handler.fold),
        ...relatedStreams.map(([, rel]) => folded.read(log, rel.stream, rel.fold)),
      ]);
      const related: Record<string, unknown> = {};
      const evidenceRefs: string[] = [];
      relatedStreams.forEach(([key, rel], i) => {
        const { state: relatedState, tail } = relatedFolded[i]!;
        related[key] = relatedState;
        if (tail !== undefined) evidenceRefs.push(`log:${rel.stream}@${tail.revision}#${tail.hash}`);
      });
      const outcome = await this.#decideOn(type, handler, cmd, principal, info, k, own!, related, evidenceRefs);
      if (outcome !== RECHECK) return outcome;
    }
    throw new Error(`${type} on ${k.stream}: the log answered an append as a repeat, yet the stream does not hold it`);
  }

  /**
   * Authorize, decide, seal and append on `own`. On a remembered (unverified) stream only an append or a
   * replay from a remembered key is an answer: anything else (a denial, a refusal, nothing to do, a
   * conflict) may be an artefact of a stale tail, so the caller reads the stream and decides again,
   * and nothing (not even a denial record) is written before it has.
   */
  async #decideOn(
    type: string,
    handler: AnyCommandHandler,
    cmd: unknown,
    principal: Principal,
    info: RequestInfo,
    k: CommandKeys,
    own: FoldedStream,
    related: Record<string, unknown>,
    evidenceRefs: readonly string[],
  ): Promise<Either<Failure, CommandOutcome> | typeof RECHECK> {
    const { log, keyring, clock } = this.#deps;
    if (k.dedupeKey !== undefined) {
      const prior = own.recorded(k.dedupeKey);
      if (prior !== undefined) {
        if (prior.requestDigest !== k.requestDigest) return left(reusedKey(info));
        return right({ kind: 'replayed', body: { ...resultOf(type, k.stream, prior), replayed: true } });
      }
    }

    const state = own.state;
    const request = authorizationRequest(type, handler, cmd, state, principal, k.tenant, info);
    let decision: AuthorizationDecision;
    if (own.verified) {
      const access = await authorize(this.#deps, request, info);
      if (!access.allowed) return left(access.failure);
      decision = access.decision;
    } else {
      decision = this.#deps.authorizer.authorize(withDecisionContext(request, this.#deps), this.#deps.newId());
      if (!decision.allowed) return RECHECK;
    }
    const decisionRef = { id: decision.id, policyVersion: decision.policyVersion, determiningPolicies: decision.determiningPolicies };

    const now = clock().toISOString();
    const decided = handler.decide(cmd, state, { now, related, actor: principal.id });
    if (isLeft(decided)) {
      if (!own.verified) return RECHECK;
      return left(decided.left);
    }
    const tail = own.tail;
    if (decided.right.length === 0) {
      if (!own.verified) return RECHECK;
      return right({
        kind: 'unchanged',
        body: { command: type, stream: k.stream, revision: tail ? Number(tail.revision) : null, events: [], decision: decisionRef, unchanged: true },
      });
    }

    const ids = decided.right.map((_, i) => (k.dedupeKey !== undefined ? dedupedEventId(k.tenant, k.dedupeKey, i) : this.#deps.newId()));
    const provenance = handler.provenance(cmd);
    const sealed = sealOntoTail(
      {
        stream: k.stream,
        tail,
        bodies: decided.right.map((e) => handler.encodeEvent(e)),
        ids,
        tenant: k.tenant,
        region: handler.region(cmd),
        sealedAt: now,
        meta: eventMeta({
          principal,
          request: info,
          decision,
          now,
          ...(provenance !== undefined ? { provenance } : {}),
          evidenceRefs: [...evidenceRefs],
          ...(k.dedupeKey !== undefined ? { dedupeKey: k.dedupeKey } : {}),
          requestDigest: k.requestDigest,
        }),
      },
      keyring.active,
    );
    let appended: AppendResult;
    try {
      appended = await appendSealed(log, tail, sealed);
    } catch (error) {
      // A remembered tail another writer moved on, or our key recorded by a concurrent repeat: read and decide again.
      if (!own.verified && (error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError)) return RECHECK;
      throw error;
    }
    // The log answered with an earlier append of the same ids (our key, recorded by a concurrent repeat):
    // the stored events are that append's, not the ones sealed here, so answer from the log.
    if (appended.repeat === true) return RECHECK;
    // Remember what we wrote only when it surely is what the log holds: random ids cannot repeat.
    if (appended.repeat === false || k.dedupeKey === undefined) this.#folded.appended(k.stream, handler.fold, sealed, appended, k.dedupeKey);
    else this.#folded.forget(k.stream);
    return right({
      kind: 'appended',
      body: {
        command: type,
        stream: k.stream,
        revision: Number(appended.revision),
        position: String(appended.position),
        events: sealed.map((e) => ({ id: e.id, type: e.type, revision: e.revision, hash: e.hash })),
        decision: decisionRef,
      },
      sealed,
    });
  }
}

/** The Cedar request of a command: its action and groups, the aggregate as the resource, the request's context. */
function authorizationRequest(
  type: string,
  handler: AnyCommandHandler,
  cmd: unknown,
  state: unknown,
  principal: Principal,
  tenant: string,
  info: RequestInfo,
): AuthorizationRequest {
  return {
    principal,
    action: type,
    actionGroups: commandActionGroups(type),
    resource: {
      type: handler.resourceType,
      id: handler.resourceId(cmd),
      attributes: { ...handler.resourceAttributes(cmd, state), tenant },
    },
    context: info.context,
  };
}

/** A decision on a remembered stream that only a fresh read can settle. */
const RECHECK = Symbol('recheck');

interface CommandKeys {
  readonly stream: string;
  readonly tenant: string;
  readonly requestDigest: string;
  readonly dedupeKey: string | undefined;
}

function reusedKey(info: RequestInfo): Failure {
  return failure('idempotency-key-reused', `the Idempotency-Key ${info.idempotencyKey ?? '(natural key)'} was already used for a different command or payload`,
  );
}

function resultOf(type: string, stream: string, prior: RecordedCommand): CommandResult {
  const last = prior.events[prior.events.length - 1]!;
  return {
    command: type,
    stream,
    revision: last.revision,
    position: String(prior.position),
    events: prior.events,
    ...(prior.decision !== undefined ? { decision: prior.decision } : {}),
  };
}
