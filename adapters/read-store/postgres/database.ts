// PostgreSQL store factory shared by the event log and the read models: kysely on pg (a server) or on
// PGlite (embedded, on disk or in memory), raw sessions for hot paths, LISTEN, and versioned migrations.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import type { HeldLock, Migration, ReadStore, SqlSession } from '../read-store.js';
import { pipelineOn } from './inline-parameters.js';
import { StatementNames } from './statement-names.js';

export type { HeldLock, Migration, MigrationContext, SqlSession, SqlStatement } from '../read-store.js';

export interface OpenPostgresOptions {
  /** postgres://… of a server; unset → embedded PGlite. */
  readonly url?: string;
  /** PGlite data directory; unset (and no url) → in memory. Ignored with url. */
  readonly dataDir?: string;
  /** Default schema: search_path of every session, and where `migrate` works. Default 'public'. */
  readonly schema?: string;
  /** pg pool size (default 10). PGlite has exactly one session. */
  readonly poolSize?: number;
  /** Run these migrations in `schema` before returning. */
  readonly migrations?: readonly Migration[];
  /**
   * Server only: the longest a statement may go unanswered (ms) before the client gives up on it and drops
   * its connection (a partition or a hung server otherwise holds a request, a pool slot and a lock forever).
   * Unset: no limit. The statement may still have run: callers treat the failure as "unavailable".
   */
  readonly queryTimeoutMs?: number;
  /** Server only: the longest a new connection may take (ms); default 10 s. */
  readonly connectTimeoutMs?: number;
  /**
   * Server only: run the statements a session repeats as named (prepared) statements (statement-names.ts);
   * default true. Turn off behind a pooler that cannot keep them (PgBouncer in transaction mode before 1.21).
   */
  readonly preparedStatements?: boolean;
}

/** The default bound on opening a connection to a server: a partition answers within it, not never. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface Listener {
  close(): Promise<void>;
}

export interface PostgresDatabase<DB = unknown> extends ReadStore {
  readonly kind: 'pg' | 'pglite';
  readonly schema: string;
  /** Query builder for everything that is not a hot path. int8 columns come back as bigint. */
  readonly db: Kysely<DB>;
  /** How many sessions can be used at once (pool size; 1 for PGlite). */
  readonly maxSessions: number;
  /**
   * Run `fn` on one connection. If `fn` throws, the connection is not reused as is (pg: destroyed;
   * PGlite: rolled back and its session locks released), so a half-done transaction never leaks.
   */
  withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  tryLock(name: string): Promise<HeldLock | undefined>;
  /**
   * Calls `onNotify` with the payload of each NOTIFY on `channel`, and with '' after a lost listening
   * connection is re-established (whatever was sent meanwhile is unknown).
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<Listener>;
  close(): Promise<void>;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema names are restricted to plain lower-case identifiers so they can be embedded in SQL safely. */
export function assertIdentifier(name: string, what = 'schema'): string {
  if (!IDENT.test(name)) throw new TypeError(`${what} name ${JSON.stringify(name)} must match ${IDENT}`);
  return name;
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A stable signed 64-bit key (for advisory locks) derived from a string. */
export function lockKey(text: string): bigint {
  return createHash('sha256').update(text).digest().readBigInt64BE(0);
}

/**
 * Open PostgreSQL: a pg pool on `url`, else PGlite in `dataDir` (in memory without one). Every session's
 * search_path is `schema, public`; int8 comes back as bigint on both. Runs `migrations` if given.
 */
export async function openPostgres<DB = unknown>(options: OpenPostgresOptions = {}): Promise<PostgresDatabase<DB>> {
  const schema = assertIdentifier(options.schema ?? 'public');
  const database = options.url
    ? openServer<DB>(options.url, schema, options.poolSize ?? 10, {
        connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        queryTimeoutMs: options.queryTimeoutMs,
        names: options.preparedStatements === false ? undefined : new StatementNames(),
      })
    : await openEmbedded<DB>(options.dataDir, schema);
  if (options.migrations?.length) {
    try {
      await migrate(database, options.migrations);
    } catch (err) {
      await database.close();
      throw err;
    }
  }
  return database;
}

// int8 → bigint for the whole pool (not pg's global type registry, which other code may rely on).
const int8AsBigint: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (v: string) => BigInt(v) : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

function openServer<DB>(
  url: string,
  schema: string,
  poolSize: number,
  settings: { readonly connectTimeoutMs: number; readonly queryTimeoutMs: number | undefined; readonly names: StatementNames | undefined },
): PostgresDatabase<DB> {
  const names = settings.names;
  const config: pg.ClientConfig = {
    connectionString: url,
    types: int8AsBigint,
    options: `-c search_path=${schema},public`,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    ...(settings.queryTimeoutMs !== undefined ? { query_timeout: settings.queryTimeoutMs } : {}),
  };
  const pool = new pg.Pool({ ...config, max: poolSize });
  // An idle client's error (server restart) must not crash the process; the next checkout reconnects.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  const listeners = new Set<Listener>();

  const session = (client: pg.PoolClient): SqlSession => {
    const exec = async (text: string) => {
      const result = (await client.query(text)) as unknown as pg.QueryResult | pg.QueryResult[];
      return (Array.isArray(result) ? result : [result]).map((r) => r.rows ?? []);
    };
    return {
      async query<R>(text: string, params: readonly (string | null)[] = []) {
        const values = params as unknown[];
        const name = names?.nameOf(text, values.length);
        const result = await (name === undefined ? client.query(text, values) : client.query({ name, text, values }));
        return result.rows as R[];
      },
      exec,
      pipeline: pipelineOn(exec),
      async copyFrom(target: string, rows: string) {
        await pipeline(Readable.from([Buffer.from(rows)]), client.query(copyFromStdin(`COPY ${target} FROM STDIN`)));
      },
    };
  };

  return {
    kind: 'pg',
    schema,
    db,
    maxSessions: poolSize,
    async withSession<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // A checked-out client has no pool listener: a server-side disconnect between statements would
      // otherwise be an unhandled 'error' event (a crash). The next statement fails instead.
      const ignore = () => {};
      client.on('error', ignore);
      try {
        const result = await fn(session(client));
        client.off('error', ignore);
        client.release();
        return result;
      } catch (err) {
        client.off('error', ignore);
        client.release(true);
        throw err;
      }
    },
    tryLock: (name) => tryServerLock(config, schema, name),
    async listen(channel, onNotify) {
      const listener = new PgListener(config, channel, onNotify, () => listeners.delete(listener));
      listeners.add(listener);
      // A failed first connect keeps retrying in the background; subscribers poll meanwhile.
      await listener.start().catch(() => {});
      return listener;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...listeners].map((l) => l.close()));
      await db.destroy();
    },
  };
}

const lockKeyOf = (schema: string, name: string): string => lockKey(`companyos.lock\0${schema}\0${name}`).toString();

/**
 * A session advisory lock on a dedicated connection (a pooled one would be handed to other work). The
 * server frees it when the connection dies, so a crashed holder's successor takes over; a probe every
 * few seconds notices a connection that died without an error event.
 */
async function tryServerLock(config: pg.ClientConfig, schema: string, name: string): Promise<HeldLock | undefined> {
  const client = new pg.Client({ ...config, keepAlive: true });
  let markLost!: () => void;
  const lost = new Promise<void>((resolve) => (markLost = resolve));
  let probe: NodeJS.Timeout | undefined;
  const drop = () => {
    if (probe !== undefined) clearInterval(probe);
    markLost();
    client.end().catch(() => {});
  };
  client.on('error', drop);
  client.on('end', drop);
  await client.connect();
  const key = lockKeyOf(schema, name);
  const rows = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key])).rows;
  if (rows[0]?.ok !== true) {
    client.off('end', drop);
    await client.end().catch(() => {});
    return undefined;
  }
  probe = setInterval(() => void client.query('SELECT 1').catch(drop), 5_000);
  probe.unref();
  return {
    lost,
    async release() {
      if (probe !== undefined) clearInterval(probe);
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => {});
      drop();
    },
  };
}

/** A dedicated connection for LISTEN that reconnects on failure (pooled connections cannot listen). */
class PgListener implements Listener {
  #client: pg.Client | undefined;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly onNotify: (payload: string) => void,
    private readonly onClose: () => void,
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client(this.config);
    const lost = () => {
      if (this.#client !== client) return;
      this.#client = undefined;
      client.end().catch(() => {});
      this.#scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (msg) => {
      if (msg.channel === this.channel) this.onNotify(msg.payload ?? '');
    });
    this.#client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.channel)}`);
    } catch (err) {
      lost();
      throw err;
    }
    if (this.#closed) await this.close();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#closed) return;
      // Whatever was committed while we were deaf is picked up by the subscriber's next read.
      this.start().then(() => this.onNotify(''), () => {});
    }, 1000);
    this.#retry.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    this.onClose();
    if (client) await client.end().catch(() => {});
  }
}

async function openEmbedded<DB>(dataDir: string | undefined, schema: string): Promise<PostgresDatabase<DB>> {
  const pglite = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    parsers: { [pgliteTypes.INT8]: (v: string) => BigInt(v) },
  });
  await pglite.exec(`SET search_path TO ${quoteIdent(schema)}, public`);
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  let closed = false;
  const session: SqlSession = {
    async query<R>(text: string, params: readonly (string | null)[] = []) {
      return (await pglite.query<R>(text, params as unknown[])).rows;
    },
    async exec(text: string) {
      return (await pglite.exec(text)).map((r) => r.rows as Record<string, unknown>[]);
    },
    pipeline: pipelineOn((text) => session.exec(text)),
    async copyFrom(target: string, rows: string) {
      // PGlite's COPY reads its input from the query's blob.
      await pglite.query(`COPY ${target} FROM '/dev/blob'`, [], { blob: new Blob([rows]) });
    },
  };
  // PGlite has one session; holding kysely's single connection keeps kysely queries out of ours.
  const withSession = <T>(fn: (s: SqlSession) => Promise<T>): Promise<T> =>
    db.connection().execute(async () => {
      try {
        return await fn(session);
      } catch (err) {
        await pglite.exec('ROLLBACK; SELECT pg_advisory_unlock_all()').catch(() => {});
        throw err;
      }
    });

  // One process owns a PGlite directory (data-dir lock), so an in-process set is the whole lock table.
  // Not an advisory lock: the single session is shared, and withSession's error path unlocks them all.
  const heldLocks = new Set<string>();
  return {
    kind: 'pglite',
    schema,
    db,
    maxSessions: 1,
    withSession,
    async tryLock(name) {
      if (heldLocks.has(name)) return undefined;
      heldLocks.add(name);
      let markLost!: () => void;
      const lost = new Promise<void>((resolve) => (markLost = resolve));
      return {
        lost,
        async release() {
          heldLocks.delete(name);
          markLost();
        },
      };
    },
    async listen(channel, onNotify) {
      const off = pglite.onNotification((ch, payload) => {
        if (ch === channel) onNotify(payload);
      });
      await withSession((s) => s.exec(`LISTEN ${quoteIdent(channel)}`));
      return {
        async close() {
          off();
          if (!closed) await withSession((s) => s.exec(`UNLISTEN ${quoteIdent(channel)}`)).catch(() => {});
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // closes the PGlite instance
    },
  };
}

/**
 * Apply the migrations not yet recorded in `<schema>.migrations`, in list order, in one transaction
 * under an advisory lock on the schema, so concurrent starters neither race nor half-apply.
 * Returns the ids applied now.
 */
export async function migrate(
  database: PostgresDatabase<any>,
  migrations: readonly Migration[],
  schema: string = database.schema,
): Promise<readonly string[]> {
  assertIdentifier(schema);
  const ids = new Set<string>();
  for (const m of migrations) {
    if (ids.has(m.id)) throw new Error(`duplicate migration id ${m.id}`);
    ids.add(m.id);
  }
  const s = sql.id(schema);
  return database.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${lockKey(`companyos.migrations\0${schema}`).toString()}::bigint)`.execute(trx);
    await sql`CREATE SCHEMA IF NOT EXISTS ${s}`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS ${s}.migrations (
      id text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`.execute(trx);
    const done = new Set(
      (await sql<{ id: string }>`SELECT id FROM ${s}.migrations`.execute(trx)).rows.map((r) => r.id),
    );
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      await m.up(trx, { schema });
      await sql`INSERT INTO ${s}.migrations (id) VALUES (${m.id})`.execute(trx);
      applied.push(m.id);
    }
    return applied;
  });
}

/** Drop a schema and everything in it (tests, benchmarks). */
export async function dropSchema(database: PostgresDatabase<any>, schema: string): Promise<void> {
  await sql`DROP SCHEMA IF EXISTS ${sql.id(assertIdentifier(schema))} CASCADE`.execute(database.db);
}
