// The contract between an aggregate and the command pipeline: a decider (initialState, evolve, decide)
// plus what the pipeline needs around it (body codec, stream, region, policy resource, related streams).
// Generic so every aggregate (graph now; runs, metering later) adds entries to one registry.
import type * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { EventBody } from '../schemas/event-body.js';
import type { JsonObject } from '../schemas/json.js';
import type { Provenance } from '../schemas/provenance.js';
import { formatValidationErrors } from '../schemas/validation.js';
import type { DomainError } from './errors.js';

/** An event body as deciders produce it: its `data` becomes the sealed event's data. */
export interface DomainEvent {
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
}

/** No related streams. */
export type NoRelated = Readonly<Record<never, never>>;

/** Everything a decision may use besides the command and its own stream's state. */
export interface DecideContext<R = NoRelated> {
  /** The pipeline's clock at the command (RFC 3339); deciders never read a clock themselves. */
  readonly now: string;
  /** States of the streams named by `relatedStreams`, under the same keys. */
  readonly related: R;
  /** The verified principal's id, for decisions that record who acted (approvals, requesters). */
  readonly actor?: string;
}

/** An Emmett-style decider: the pure core of an aggregate. */
export interface Decider<Cmd, State, Ev, Ctx> {
  readonly initialState: State;
  evolve(state: State, event: Ev): State;
  decide(command: Cmd, state: State, ctx: Ctx): Either<DomainError, readonly Ev[]>;
}

/**
 * Folds a stream's stored events into state, from the initial state or from `from` (the state of the
 * events before these); Left (one line per problem) means the log holds an event this code cannot read.
 */
export type Fold<S> = (events: readonly unknown[], from?: S) => Either<readonly string[], S>;

/** Another aggregate's stream whose state a decision reads (e.g. an edge's end nodes). */
export interface RelatedStream<S> {
  readonly stream: string;
  readonly fold: Fold<S>;
}

/**
 * One command type. Members are methods (not function-valued properties) on purpose: method parameters
 * are bivariant, so every handler is assignable to `AnyCommandHandler` for a registry keyed by type.
 */
export interface CommandHandler<Cmd, State, Ev extends DomainEvent, R = NoRelated> {
  /** Decodes the HTTP body (unknown fields rejected); format errors with formatValidationErrors. */
  readonly codec: t.Decoder<unknown, Cmd>;
  /** Cedar resource type and action. */
  readonly resourceType: string;
  readonly action: string;
  resourceId(cmd: Cmd): string;
  /** Resource attributes for policy, from the aggregate's current state. */
  resourceAttributes(cmd: Cmd, state: State): JsonObject;
  /** The region the command writes in: the sealed events' region, and what policy checks residency against. */
  region(cmd: Cmd): string;
  /** The aggregate's stream. */
  streamOf(tenant: string, cmd: Cmd): string;
  /** The client's provenance with defaults applied, for the sealed events' meta; undefined for commands without one. */
  provenance(cmd: Cmd): Provenance | undefined;
  /** The source's natural key (see schemas/provenance.ts naturalKeyOf), for deduplicating re-sent observations. */
  naturalKey(cmd: Cmd): string | undefined;
  /** Streams to load and fold before deciding; their states arrive as `ctx.related`. */
  relatedStreams(tenant: string, cmd: Cmd): { readonly [K in keyof R]: RelatedStream<R[K]> };
  readonly initialState: State;
  evolve(state: State, event: Ev): State;
  /** The aggregate's own stream, decoded and folded (a Fold: onto `from` when given). */
  fold(events: readonly unknown[], from?: State): Either<readonly string[], State>;
  decide(cmd: Cmd, state: State, ctx: DecideContext<R>): Either<DomainError, readonly Ev[]>;
  /** The wire form to seal (undefined-valued fields dropped). */
  encodeEvent(event: Ev): EventBody;
}

/** A handler with its types erased, as the pipeline sees it. */
export type AnyCommandHandler = CommandHandler<unknown, unknown, DomainEvent, unknown>;

/** Decode each stored event (anything with type, schemaVersion, data, e.g. a SealedEvent) and fold. */
export const foldWith =
  <S, Ev>(codec: t.Decoder<unknown, Ev>, evolve: (s: S, e: Ev) => S, initialState: S): Fold<S> =>
  (events, from) => {
    let state = from ?? initialState;
    for (const [i, e] of events.entries()) {
      const decoded = codec.decode(e);
      if (isLeft(decoded)) return left(formatValidationErrors(decoded.left).map((m) => `event ${i}: ${m}`));
      state = evolve(state, decoded.right);
    }
    return right(state);
  };
