// What a read model is to the projector runtime: a name and version, its tables (created by versioned
// migrations, digested in a canonical order), and a pure batch apply from sealed events to SQL writes.
import type { SealedEvent } from '../schemas/sealed-event.js';
import type { Migration, SqlSession, SqlStatement } from '../adapters/read-store/read-store.js';

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
   * For a store that pays per write rather than per row (ClickHouse makes a part of every insert and merges
   * them in the background): while live, a batch is applied at most this often, gathering what arrives
   * meanwhile. The first event after a quiet spell still applies at once. Omitted: a batch whenever events come.
   */
  readonly batchIntervalMs?: number;
  /**
   * Writes what `events` (in log order; those of `eventTypes`) mean into the tables of `schema`, inside the
   * runtime's transaction. A pure function of the events and the rows earlier events wrote: no clock,
   * no randomness, so a replay writes the same rows. Events it does not read are ignored.
   * Returns the writes it leaves to the runtime (none: `[]`): the last ones, whose answers it does not read.
   * The runtime sends them with the checkpoint's COMMIT, in one round trip (in-transaction.ts).
   */
  apply(session: SqlSession, schema: string, events: readonly ProjectedEvent[]): Promise<readonly SqlStatement[]>;
  /**
   * A faster way to rebuild the read model from zero, for a long catch-up (see BulkLoad). A wrapper that
   * replaces `apply` (a test's failing projection) must replace or drop this too, or a rebuild bypasses it.
   */
  readonly bulkLoad?: BulkLoad;
}

/**
 * A rebuild from zero in two steps: during the catch-up, `apply` writes only what cannot be derived
 * afterwards (e.g. the history of versions), each batch with its checkpoint as usual; then `finish`
 * derives the rest (e.g. current rows) from it in one set-based pass, in one transaction. The runtime
 * defers the read model's secondary indexes meanwhile and builds them after `finish`. Contract: any
 * sequence of `apply` calls followed by `finish` leaves exactly the rows that `Projection.apply` over
 * the same events leaves (the digests are equal), and `finish` may run again at any point.
 */
export interface BulkLoad {
  /** As Projection.apply, the writes left to the runtime included. */
  apply(session: SqlSession, schema: string, events: readonly ProjectedEvent[]): Promise<readonly SqlStatement[]>;
  finish(session: SqlSession, schema: string): Promise<void>;
}

/** The log holds an event a projection cannot read: the runtime skips it and records a fault (faults.ts). */
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
