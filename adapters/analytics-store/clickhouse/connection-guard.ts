// Which ClickHouse failures mean "the server is away" rather than "this statement is wrong", and a store that
// reports them as the port's AnalyticsUnavailableError, so callers need not know the HTTP client's errors:
// the projectors retry (never a projection fault) and the HTTP edge answers 503 with Retry-After.
import { AnalyticsUnavailableError, type ClickHouseStore } from '../analytics-store.js';

/** Socket errors of a server that is down, restarting, unroutable or not answering. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** Whether `error` (or its cause) says the server could not be reached or did not answer in time. */
export function isClickHouseUnreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof AnalyticsUnavailableError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    // @clickhouse/client's request timeout, and a socket closed under a request.
    if (/^Timeout error\.?$|socket hang up/i.test(e.message)) return true;
  }
  return false;
}

/** `error` as the port reports it: an unreachable server as AnalyticsUnavailableError, anything else as is. */
export function analyticsErrorOf(error: unknown, where: string): unknown {
  if (error instanceof AnalyticsUnavailableError || !isClickHouseUnreachable(error)) return error;
  return new AnalyticsUnavailableError(`ClickHouse (${where}) cannot be reached: ${(error as Error).message}`, { cause: error });
}

/** The same store, its unreachable-server failures reported as AnalyticsUnavailableError. */
export function guardConnection(store: ClickHouseStore): ClickHouseStore {
  const where = `${store.kind}, ${store.database}`;
  const guarded = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw analyticsErrorOf(error, where);
    }
  };
  return {
    kind: store.kind,
    database: store.database,
    command: (sql, params) => guarded(() => store.command(sql, params)),
    insert: (table, rows) => guarded(() => store.insert(table, rows)),
    query: <T>(sql: string, params?: Parameters<ClickHouseStore['query']>[1]) => guarded(() => store.query<T>(sql, params)),
    close: () => store.close(),
  };
}
