// What a read model is to the projector runtime: a name and version, its tables (created by versioned
// migrations, digested in a canonical order), and a pure batch apply from sealed events to SQL writes.
import type { SealedEvent } from '../schemas/sealed-event.js';
import type { Migration, SqlSession } from '../schemas/read-store.js';

/** A sealed event with its place in the log's global order. */
export interface ProjectedEvent {
  readonly position: bigint;
  readonly event: SealedEvent;
}

/** A read-model table and the columns that order its rows uniquely (its primary key), for digests. */
export interface ReadModelTable {
  readonly name: string;
  readonly orderBy: readonly string[];
}

export interface Projection {
  /** Checkpoint and lock name; also the read model's name in digests and metrics. */
  readonly name: string;
  /** Bump when apply changes meaning: a stored checkpoint of another version rebuilds from zero. */
  readonly version: number;
  /** Creates the tables in the schema being migrated (qualify every name with it). */
  readonly migrations: readonly Migration[];
  readonly tables: readonly ReadModelTable[];
  /**
   * Prefixes of the event types `apply` reads; omitted: every event. The runtime decodes and hands over
   * only those (the checkpoint still moves past the others), so a read model pays nothing for the rest.
   */
  readonly eventTypes?: readonly string[];
  /**
   * Writes what `events` (in log order; those of `eventTypes`) mean into the tables of `schema`, inside the
   * runtime's transaction. A pure function of the events and the rows earlier events wrote: no clock,
   * no randomness, so a replay writes the same rows. Events it does not read are ignored.
   */
  apply(session: SqlSession, schema: string, events: readonly ProjectedEvent[]): Promise<void>;
}

/** The log holds an event a projection cannot read: projecting stops there rather than skip it. */
export class UnreadableEventError extends Error {
  override readonly name = 'UnreadableEventError';
  constructor(
    readonly position: bigint,
    readonly eventId: string,
    reason: string,
  ) {
    super(`event ${eventId} at position ${position}: ${reason}`);
  }
}
