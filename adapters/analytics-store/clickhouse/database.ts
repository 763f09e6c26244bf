// ClickHouse read-store factory: `@clickhouse/client` over HTTP to a server (ClickHouse ≥ 23.6, for
// session_timezone), or the same client on the embedded chDB engine, behind one small interface whose
// results look the same on both.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type { ChdbConnection } from 'chdb/connection';
import { AnalyticsUnavailableError, type ClickHouseStore, type ParamValue, type QueryParams } from '../analytics-store.js';
import { guardConnection, isClickHouseUnreachable } from './connection-guard.js';
import { restoreFatalSignalDefaults } from './fatal-signals.js';

export type { ClickHouseStore, ParamValue, QueryParams } from '../analytics-store.js';

export interface OpenClickHouseOptions {
  /** http(s)://… of a ClickHouse server (credentials may be in the URL); unset → embedded chDB at `path`. */
  readonly url?: string;
  /** chDB data directory (created if missing). Required without `url`, ignored with it. */
  readonly path?: string;
  /** Database for unqualified table names; created if missing. */
  readonly database: string;
  /** Server only: how long a request may go unanswered before it fails as unreachable (the client's default: 30 s). */
  readonly requestTimeoutMs?: number;
}

/** A query parameter, bound server-side through `{name:Type}` placeholders (never spliced into SQL). */
/** A second process tried to open a chDB data directory that another process holds. */
export class ClickHouseDataPathInUseError extends Error {
  override readonly name = 'ClickHouseDataPathInUseError';
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const TABLE = /^([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Names are restricted to plain identifiers so they can be put into SQL without quoting rules. */
function assertClickHouseIdentifier(name: string, what = 'database'): string {
  if (!IDENT.test(name)) throw new TypeError(`ClickHouse ${what} name ${JSON.stringify(name)} must match ${IDENT}`);
  return name;
}

// Set on every request of both kinds. chDB turns them into session-sticky SETs, so sending them each
// time (not once) also keeps one caller's per-query setting from leaking into the next query.
const SETTINGS: ClickHouseSettings = {
  output_format_json_quote_64bit_integers: 1,
  date_time_output_format: 'iso',
  // Accepts RFC 3339 with 'T', 'Z' and offsets in JSONEachRow input, as sealed events carry them.
  date_time_input_format: 'best_effort',
  session_timezone: 'UTC',
};

const INSERT_SETTINGS = {
  date_time_input_format: 'best_effort',
  session_timezone: 'UTC',
};

// bigint is not JSON; ClickHouse reads a quoted integer into a numeric column exactly.
const json = {
  parse: JSON.parse,
  stringify: (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
};

export async function openClickHouse(options: OpenClickHouseOptions): Promise<ClickHouseStore> {
  const database = assertClickHouseIdentifier(options.database);
  if (options.url) return openServer(options.url, database, options.requestTimeoutMs);
  if (!options.path) throw new TypeError('openClickHouse: either url (a server) or path (embedded chDB) is required');
  return openChdb(options.path, database);
}

async function openServer(url: string, database: string, requestTimeoutMs: number | undefined): Promise<ClickHouseStore> {
  const timeout = requestTimeoutMs === undefined ? {} : { request_timeout: requestTimeoutMs };
  // The HTTP interface rejects every request naming a database that does not exist yet, so the
  // database is created through a client on `default` first.
  const bootstrap = createClient({ url, database: 'default', json, ...timeout });
  try {
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  } catch (err) {
    // A server that is away is the moment's failure (AnalyticsUnavailableError: retried, answered 503).
    const Failure = isClickHouseUnreachable(err) ? AnalyticsUnavailableError : Error;
    throw new Failure(`ClickHouse server ${redact(url)}: ${(err as Error).message}`, { cause: err });
  } finally {
    await bootstrap.close();
  }
  const client = createClient({ url, database, clickhouse_settings: SETTINGS, json, ...timeout });
  const store = wrap('server', database, client, {
    insert: async (table, rows) => {
      await client.insert({ table, values: rows as object[], format: 'JSONEachRow' });
    },
    afterClose: async () => {},
  });
  return guardConnection(store);
}

async function openChdb(path: string, database: string): Promise<ClickHouseStore> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  // Loaded here, not at the top: a process that talks to a server never maps the engine's library.
  const { createChdbConnection } = await import('chdb/connection');
  const { drainPending } = await import('chdb');
  let connection: ChdbConnection;
  try {
    connection = createChdbConnection({ path });
  } catch (err) {
    const holder = await lockHolder(path);
    const message = (err as Error).message ?? String(err);
    if (holder !== undefined || /Cannot lock file|CANNOT_OPEN_FILE/.test(message)) {
      throw new ClickHouseDataPathInUseError(
        `the embedded ClickHouse (chDB) data directory ${path} is in use by another process` +
          `${holder ? ` (pid ${holder})` : ''}; only one process may open it: stop that process, or point ` +
          'both at a ClickHouse server with CLICKHOUSE_URL',
        { cause: err },
      );
    }
    throw new Error(`embedded ClickHouse (chDB) at ${path}: ${message} (one data directory per process)`, { cause: err });
  }
  // The engine has installed ClickHouse's fatal-signal handlers now; they hang the process on a crash.
  restoreFatalSignalDefaults();
  // `createClient({ database })` is an HTTP parameter that chDB ignores; USE is sticky on its session.
  const client = createClient({ connection: connection as never, clickhouse_settings: SETTINGS, json });
  try {
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
    await client.command({ query: `USE ${database}` });
  } catch (err) {
    await client.close();
    throw err;
  }
  return wrap('chdb', database, client, {
    // The client's insert hands chDB one SQL string with the rows inlined; the raw path passes the bytes
    // to the engine's parallel parser: 2-3x the rows per second here (34k → 68k+ rows/s in the probe).
    insert: async (table, rows) => {
      const body = Buffer.from(rows.map((row) => json.stringify(row)).join('\n'));
      await connection.chdb.rawInsert({ table, values: body, format: 'JSONEachRow', settings: INSERT_SETTINGS });
    },
    // Another data directory may only be opened once the engine has really let go of this one.
    afterClose: () => drainPending(),
  });
}

interface EngineSpecific {
  insert(table: string, rows: readonly object[]): Promise<void>;
  afterClose(): Promise<void>;
}

/**
 * The pid of another live process holding `path`, if any. chDB's error only says "Failed to create
 * connection" (the engine writes "Cannot lock file …/status" to stderr), so the reason is read from the
 * engine's own status file, which holds the owner's pid while the directory is open.
 */
async function lockHolder(path: string): Promise<number | undefined> {
  const status = await readFile(join(path, 'status'), 'utf8').catch(() => '');
  const pid = Number(/^PID:\s*(\d+)/m.exec(status)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

function wrap(
  kind: ClickHouseStore['kind'],
  database: string,
  client: ClickHouseClient,
  engine: EngineSpecific,
): ClickHouseStore {
  let closed = false;
  // chDB's errors after close differ by call path (the client's, or the raw insert's); make them one.
  const open = () => {
    if (closed) throw new Error(`ClickHouse store (${kind}, ${database}) is closed`);
  };
  return {
    kind,
    database,
    async command(sql, params) {
      open();
      await client.command({ query: sql, ...bind(params) });
    },
    async insert(table, rows) {
      if (!TABLE.test(table)) throw new TypeError(`ClickHouse table name ${JSON.stringify(table)} must match ${TABLE}`);
      open();
      if (rows.length === 0) return;
      await engine.insert(table, rows);
    },
    async query<T>(sql: string, params?: QueryParams) {
      open();
      const result = await client.query({ query: sql, format: 'JSONEachRow', ...bind(params) });
      return result.json<T>();
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
      await engine.afterClose();
    },
  };
}

function bind(params: QueryParams | undefined): { query_params?: Record<string, unknown> } {
  if (!params) return {};
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) out[name] = bindValue(value);
  return { query_params: out };
}

const bindValue = (value: ParamValue): unknown =>
  value instanceof Date ? toClickHouseTime(value) : Array.isArray(value) ? value.map(bindValue) : value;

/** `YYYY-MM-DD hh:mm:ss.fff` in UTC: what `{p:DateTime64(3, 'UTC')}` and DateTime64 columns parse exactly. */
export function toClickHouseTime(at: Date | string): string {
  const date = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a time: ${String(at)}`);
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

const redact = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable url)';
  }
};
