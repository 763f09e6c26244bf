// The command pipeline: decode → load → authorize (Cedar, deny by default) → decide (pure) → seal →
// append with the expected revision, retrying bounded times on a revision conflict. Idempotency keys
// (and natural keys) map to deterministic event ids, so a repeated request returns the first result.
import { createHash } from 'node:crypto';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { AnyCommandHandler, RelatedStream } from '../domain/index.js';
import { canonicalize } from '../ledger/index.js';
import { DuplicateEventIdError, type RecordedEvent } from '../schemas/event-log.js';
import type { JsonValue } from '../schemas/json.js';
import { formatValidationErrors } from '../schemas/validation.js';
import { authorize, type AccessDeps } from './access.js';
import type { Principal } from './authorizer.js';
import { eventMeta, type RequestInfo } from './envelope.js';
import { dedupedEventId } from './event-ids.js';
import { envelopeOf, FoldedStreams } from './folded-streams.js';
import { failure, type Failure } from './failure.js';
import { appendSealed, RevisionConflictError, retryOnConflict, sealOntoTail, type RetryPolicy } from './stream-writer.js';

export interface PipelineDeps extends AccessDeps {
  readonly handlers: Readonly<Record<string, AnyCommandHandler>>;
  readonly retry: RetryPolicy;
  /** How many streams' folded state to remember between commands (default 10,000; 0: fold every stream from the start). */
  readonly foldedStreams?: number;
}

export interface CommandEventRef {
  readonly id: string;
  readonly type: string;
  readonly revision: number;
  readonly hash: string;
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
}

export type CommandOutcome =
  | { readonly kind: 'appended'; readonly body: CommandResult }
  /** The same idempotency key and payload were accepted before: the first result, nothing written. */
  | { readonly kind: 'replayed'; readonly body: CommandResult & { readonly replayed: true } }
  /** The decision produced no events (e.g. re-ingest of facts already recorded). */
  | { readonly kind: 'unchanged'; readonly body: CommandResult & { readonly unchanged: true } };


export class CommandPipeline {
  readonly #deps: PipelineDeps;
  readonly #handlers: ReadonlyMap<string, AnyCommandHandler>;
  readonly #folded: FoldedStreams;

  constructor(deps: PipelineDeps) {
    this.#deps = deps;
    this.#handlers = new Map(Object.entries(deps.handlers));
    this.#folded = new FoldedStreams(deps.foldedStreams ?? 10_000);
  }

  knows(type: string): boolean {
    return this.#handlers.has(type);
  }

  commandTypes(): readonly string[] {
    return [...this.#handlers.keys()].sort();
  }

  async execute(type: string, payload: unknown, principal: Principal, info: RequestInfo): Promise<Either<Failure, CommandOutcome>> {
    const handler = this.#handlers.get(type);
    if (handler === undefined) return left(failure(404, 'unknown-command', 'Unknown command type', `no command named ${type}`));
    const decoded = handler.codec.decode(payload);
    if (isLeft(decoded)) {
      const errors = formatValidationErrors(decoded.left);
      return left(failure(400, 'validation', 'The command is not valid', errors.join('; '), { errors }));
    }
    const cmd = decoded.right;
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
        return left(failure(409, 'revision-conflict', 'Concurrent change', `${error.message}; retry the command`));
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
    k: { stream: string; tenant: string; requestDigest: string; dedupeKey: string | undefined },
  ): Promise<Either<Failure, CommandOutcome>> {
    const { log, keyring, clock } = this.#deps;
    // The aggregate's stream and the streams its decision reads, in parallel: one round trip of latency.
    const relatedStreams = Object.entries(handler.relatedStreams(k.tenant, cmd) as Record<string, RelatedStream<unknown>>);
    const folded = this.#folded;
    const [own, ...relatedFolded] = await Promise.all([
      folded.read(log, k.stream, handler.fold),
      ...relatedStreams.map(([, rel]) => folded.read(log, rel.stream, rel.fold)),
    ]);

    if (k.dedupeKey !== undefined) {
      const prior = own!.recordsWithKey(k.dedupeKey);
      if (prior.length > 0) {
        if (envelopeOf(prior[0]!).meta?.requestDigest !== k.requestDigest) return left(reusedKey(info));
        return right({ kind: 'replayed', body: { ...resultOf(type, k.stream, prior), replayed: true } });
      }
    }

    const state = own!.state;
    const related: Record<string, unknown> = {};
    const evidenceRefs: string[] = [];
    relatedStreams.forEach(([key, rel], i) => {
      const { state: relatedState, tail } = relatedFolded[i]!;
      related[key] = relatedState;
      if (tail !== undefined) evidenceRefs.push(`log:${rel.stream}@${tail.revision}#${tail.hash}`);
    });

    const access = await authorize(
      this.#deps,
      {
        principal,
        action: type,
        actionGroups: [`${type.split('.')[0]}.write`, 'write'],
        resource: {
          type: handler.resourceType,
          id: handler.resourceId(cmd),
          attributes: { ...handler.resourceAttributes(cmd, state), tenant: k.tenant },
        },
        context: info.context,
      },
      info,
    );
    if (!access.allowed) return left(access.failure);
    const decision = access.decision;
    const decisionRef = { id: decision.id, policyVersion: decision.policyVersion, determiningPolicies: decision.determiningPolicies };

    const now = clock().toISOString();
    const decided = handler.decide(cmd, state, { now, related, actor: principal.id });
    if (isLeft(decided)) {
      const e = decided.left;
      return left(failure(e.status, e.code, e.title, e.detail, e.errors ? { errors: e.errors } : undefined));
    }
    const tail = own!.tail;
    if (decided.right.length === 0) {
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
          evidenceRefs,
          ...(k.dedupeKey !== undefined ? { dedupeKey: k.dedupeKey } : {}),
          requestDigest: k.requestDigest,
        }),
      },
      keyring.active,
    );
    const appended = await appendSealed(log, tail, sealed);
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
    });
  }
}

function reusedKey(info: RequestInfo): Failure {
  return failure(
    422,
    'idempotency-key-reused',
    'Idempotency key reused with a different request',
    `the Idempotency-Key ${info.idempotencyKey ?? '(natural key)'} was already used for a different command or payload`,
  );
}

function resultOf(type: string, stream: string, prior: readonly RecordedEvent[]): CommandResult {
  const last = prior[prior.length - 1]!;
  const decision = envelopeOf(last).meta?.decision;
  return {
    command: type,
    stream,
    revision: Number(last.revision),
    position: String(last.position),
    events: prior.map((r) => ({ id: r.id, type: r.type, revision: Number(r.revision), hash: String(envelopeOf(r).hash) })),
    ...(decision !== undefined ? { decision } : {}),
  };
}
