// bench:graph --synthetic: the fixture's read model at sizes the command pipeline cannot build in time
// (1,000,000 nodes are ~5.4 million commands, about three hours on the bench machine). Each fixture
// command is decided and sealed as the pipeline would (the real body codec, decider, event encoding,
// envelope and event hash), but without a log, without a Cedar call per command and without a signature;
// the sealed events then go through the real graph projection's apply in large batches, each batch in one
// transaction with the checkpoint (applyBatch), so the read model has exactly the rows and indexes the
// projector writes. Nothing is appended to the log: there is nothing to replay or verify afterwards.
import { createHash } from 'node:crypto';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Authorizer, AuthorizationDecision, AuthorizationRequest, Principal } from '../../commands/authorizer.js';
import { eventMeta, type RequestInfo } from '../../commands/envelope.js';
import { dedupedEventId, uuidV5 } from '../../commands/event-ids.js';
import type { RelatedStream } from '../../domain/command-handler.js';
import { commandHandlers, type AnyCommandHandler } from '../../domain/index.js';
import { canonicalize, eventHash } from '../../ledger/index.js';
import { graphProjection } from '../../projections/graph/graph-projection.js';
import type { ProjectedEvent } from '../../projections/projection.js';
import { applyBatch, prepareCheckpoint } from '../../projections/runtime.js';
import type { JsonValue } from '../../schemas/json.js';
import type { ReadStore } from '../../adapters/read-store/read-store.js';
import { GENESIS_HASH, type SealedEvent } from '../../schemas/sealed-event.js';
import { parseStream } from '../../schemas/streams.js';
import type { FixtureCommand } from './graph-fixture.js';

/** keyId of synthetic events: they are hashed like sealed ones but never signed, and never reach a log. */
export const SYNTHETIC_KEY_ID = 'synthetic:unsigned';

export interface LoglessSealerOptions {
  readonly principal: Principal;
  readonly authorizer: Authorizer;
  /** Policy context of every request (the bench sends `{ time }`). */
  readonly context: RequestInfo['context'];
  /** sealedAt of the event at log position p is this instant plus p ms: deterministic, unlike the pipeline's clock. */
  readonly sealedFrom: string;
}

/** What the sealer keeps of a stream it wrote: what a later command reading it (an edge's end) needs. */
interface StreamTail {
  readonly state: unknown;
  readonly revision: number;
  readonly hash: string;
}

/**
 * The command pipeline's decide-and-seal steps without the log: states come from the streams this sealer
 * wrote before, event ids and decision ids are name-based (UUID v5) so every run seals the same events.
 */
export class LoglessSealer {
  readonly #options: LoglessSealerOptions;
  readonly #sealedFromMs: number;
  // Only node streams are kept: edge asserts read them as their ends, while the fixture writes each edge
  // stream once and never reads it again (keeping them would be 4.4 million more entries at 1M nodes).
  readonly #nodeTails = new Map<string, StreamTail>();
  readonly #policies = new Map<string, AuthorizationDecision>();
  #sealed = 0;

  constructor(options: LoglessSealerOptions) {
    this.#options = options;
    this.#sealedFromMs = Date.parse(options.sealedFrom);
  }

  /** The events the command's decision seals, at log positions `firstPosition`, `firstPosition + 1`, …; throws where the pipeline would refuse. */
  seal(command: FixtureCommand, firstPosition: bigint): SealedEvent[] {
    const { principal, context } = this.#options;
    const handler = commandHandlers.get(command.type);
    if (handler === undefined) throw new Error(`no command named ${command.type}`);
    const decoded = handler.codec.decode(command.body);
    if (isLeft(decoded)) throw new Error(`${command.requestId}: the ${command.type} body does not decode`);
    const cmd = decoded.right;
    const tenant = principal.tenant;
    const stream = handler.streamOf(tenant, cmd);
    // As CommandPipeline.execute: the request digest, and the natural key's deduplication key.
    const requestDigest = createHash('sha256')
      .update(canonicalize({ type: command.type, payload: command.body as JsonValue }))
      .digest('hex');
    const naturalKey = handler.naturalKey(cmd);
    const dedupeKey = naturalKey === undefined ? undefined : `natural:${naturalKey}:${requestDigest}`;

    const own = this.#nodeTails.get(stream);
    const state = own?.state ?? handler.initialState;
    const related: Record<string, unknown> = {};
    const evidenceRefs: string[] = [];
    for (const [key, rel] of Object.entries(handler.relatedStreams(tenant, cmd) as Record<string, RelatedStream<unknown>>)) {
      const tail = this.#nodeTails.get(rel.stream);
      if (tail === undefined) {
        // A stream nobody wrote: what folding no events gives (the decider then refuses a missing end).
        const empty = rel.fold([]);
        if (isLeft(empty)) throw new Error(`${command.requestId}: cannot fold an empty ${rel.stream}`);
        related[key] = empty.right;
      } else {
        related[key] = tail.state;
        evidenceRefs.push(`log:${rel.stream}@${tail.revision}#${tail.hash}`);
      }
    }

    const request: RequestInfo = { requestId: command.requestId, context };
    const decision = this.#decide(command.type, handler, cmd, state, tenant, command.requestId);
    const now = new Date(this.#sealedFromMs + Number(firstPosition)).toISOString();
    const decided = handler.decide(cmd, state, { now, related, actor: principal.id });
    if (isLeft(decided)) throw new Error(`${command.requestId}: ${decided.left.code}: ${decided.left.detail}`);
    const provenance = handler.provenance(cmd);
    const meta = eventMeta({
      principal,
      request,
      decision,
      now,
      ...(provenance !== undefined ? { provenance } : {}),
      evidenceRefs,
      ...(dedupeKey !== undefined ? { dedupeKey } : {}),
      requestDigest,
    });

    let revision = own === undefined ? 0 : own.revision + 1;
    let prevHash = own?.hash ?? GENESIS_HASH;
    let nextState = state;
    const events = decided.right.map((domainEvent, i): SealedEvent => {
      const body = handler.encodeEvent(domainEvent);
      const id = dedupeKey !== undefined ? dedupedEventId(tenant, dedupeKey, i) : uuidV5(`synthetic\n${stream}\n${revision}`);
      const unsealed = {
        id, stream, revision: revision++, type: body.type, schemaVersion: body.schemaVersion, tenant, region: handler.region(cmd),
        sealedAt: now, data: body.data, meta, prevHash,
      };
      const hash = eventHash(unsealed);
      prevHash = hash;
      nextState = handler.evolve(nextState, domainEvent);
      return { ...unsealed, hash, keyId: SYNTHETIC_KEY_ID, signature: '' };
    });
    const last = events[events.length - 1];
    if (last !== undefined && parseStream(stream)?.category === 'graph.node') {
      this.#nodeTails.set(stream, { state: nextState, revision: last.revision, hash: last.hash });
    }
    this.#sealed += events.length;
    return events;
  }

  /**
   * The policy decision sealed into the events. Cedar costs ~0.4 ms a call (36 minutes at 5.4 million), and
   * the bench principal's permission does not depend on which node or edge it writes: the first command of
   * each type is authorized for real, then one in 10,000, and any other outcome stops the build.
   */
  #decide(type: string, handler: AnyCommandHandler, cmd: unknown, state: unknown, tenant: string, requestId: string): AuthorizationDecision {
    const decisionId = uuidV5(`synthetic-decision\n${tenant}\n${requestId}`);
    const request: AuthorizationRequest = {
      principal: this.#options.principal,
      action: type,
      actionGroups: [`${type.split('.')[0]}.write`, 'write'],
      resource: { type: handler.resourceType, id: handler.resourceId(cmd), attributes: { ...handler.resourceAttributes(cmd, state), tenant } },
      context: this.#options.context,
    };
    // A reused decision still seals what this command's decision saw (meta.decision.input), as the pipeline's does.
    const cached = this.#policies.get(type);
    if (cached !== undefined && this.#sealed % 10_000 !== 0) return { ...cached, id: decisionId, input: request };
    const decision = this.#options.authorizer.authorize(request, decisionId);
    if (!decision.allowed) throw new Error(`${requestId}: ${type} denied by policy: ${decision.explanation}`);
    if (cached !== undefined && cached.determiningPolicies.join() !== decision.determiningPolicies.join()) {
      throw new Error(`${requestId}: ${type} allowed by ${decision.determiningPolicies.join()}, earlier ones by ${cached.determiningPolicies.join()}`);
    }
    this.#policies.set(type, decision);
    return decision;
  }
}

export interface SyntheticLoad {
  /** Events applied by this call (0 when the read model already held them all). */
  readonly applied: number;
  /** The checkpoint found on arrival: a partial load resumes after it. */
  readonly resumedAfter: bigint | undefined;
  readonly seconds: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Seals `count` commands (`commandAt(0..count-1)`) at log positions 1, 2, … and applies them to the graph
 * read model in `schema` through the projection runtime's applyBatch, `batchSize` events per transaction.
 * Resumable: events at or before the stored checkpoint are sealed again (later ones depend on their
 * hashes) but not re-applied. Sealing the next batch overlaps PostgreSQL applying the current one.
 */
export async function loadSyntheticGraph(
  store: ReadStore,
  schema: string,
  sealer: LoglessSealer,
  count: number,
  commandAt: (index: number) => FixtureCommand,
  options: { readonly batchSize?: number; readonly onProgress?: (applied: number, position: bigint) => void } = {},
): Promise<SyntheticLoad> {
  const batchSize = options.batchSize ?? 20_000;
  const started = performance.now();
  const resumedAfter = (await prepareCheckpoint(store, schema, graphProjection)).position;
  let checkpoint = resumedAfter;
  let position = 0n;
  let applied = 0;
  let batch: ProjectedEvent[] = [];
  let applying: Promise<void> = Promise.resolve();
  const flush = async () => {
    await applying;
    if (batch.length === 0) return;
    const events = batch;
    const through = events[events.length - 1]!.position;
    const expected = checkpoint;
    batch = [];
    checkpoint = through;
    applying = applyBatch(store, schema, graphProjection, events, expected, through).then(() => {
      applied += events.length;
      options.onProgress?.(applied, through);
    });
    applying.catch(() => {}); // reported where it is awaited
  };
  for (let i = 0; i < count; i++) {
    for (const event of sealer.seal(commandAt(i), position + 1n)) {
      position++;
      if (resumedAfter === undefined || position > resumedAfter) batch.push({ position, event });
    }
    if (batch.length >= batchSize) await flush();
    // Let the pending batch's statements go out while this loop seals: it is all synchronous otherwise.
    if (i % 1000 === 999) await nextTurn();
  }
  await flush();
  await applying;
  return { applied, resumedAfter, seconds: (performance.now() - started) / 1000 };
}
