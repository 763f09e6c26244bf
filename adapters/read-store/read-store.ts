// The read-store port: what projections need of the PostgreSQL that holds read models (sessions for a
// transaction per batch, a named lock for one active projector, versioned migrations). Adapters implement
// it (adapters/read-store/postgres/database.ts); projections/ depends only on this.
import type { Kysely } from 'kysely';

/** A statement and its $n parameters (strings or null). */
export interface SqlStatement {
  readonly text: string;
  readonly params?: readonly (string | null)[];
}

/** One connection held for a sequence of statements (a transaction, a session lock). */
export interface SqlSession {
  /** One statement with $n parameters (strings or null). int8 comes back as bigint, json(b) parsed. */
  query<R = Record<string, unknown>>(text: string, params?: readonly (string | null)[]): Promise<R[]>;
  /** Several parameterless statements in one round trip (simple query protocol); each one's rows, in order. */
  exec(text: string): Promise<Record<string, unknown>[][]>;
  /**
   * Several statements with parameters in one round trip (each parameter sent as a literal in the text;
   * postgres/inline-parameters.ts); each one's rows, in order. The first that fails ends the round trip
   * with its error, and the rest do not run. Outside a transaction the statements commit together.
   */
  pipeline(statements: readonly SqlStatement[]): Promise<Record<string, unknown>[][]>;
  /**
   * `COPY <target> FROM STDIN` of `rows`: PostgreSQL's text format (tab-separated, `\N` for null, one
   * line per row). `target` is SQL, e.g. `"s".t (a, b)`. The bulk path: no statement to plan, no parameter to parse.
   */
  copyFrom(target: string, rows: string): Promise<void>;
}

/** A versioned schema change. Ids are global per schema: prefix them with the owning module. */
export interface Migration {
  readonly id: string;
  up(db: Kysely<any>, context: MigrationContext): Promise<void>;
}

export interface MigrationContext {
  /** The schema being migrated (already created). Quote with `quoteIdent` in raw SQL. */
  readonly schema: string;
}

/** A lock held by this process until released, or until its connection is lost. */
export interface HeldLock {
  /** Resolves when the lock is gone (released, or the connection holding it dropped). */
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

export interface ReadStore {
  /** Default schema of every session. */
  readonly schema: string;
  /** Run `fn` on one connection; a throwing `fn` leaves no half-done transaction behind. */
  withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Take the lock `name` if no other session holds it (PostgreSQL: a session advisory lock on a
   * dedicated connection, so a crashed holder's lock frees when its connection closes).
   */
  tryLock(name: string): Promise<HeldLock | undefined>;
}
