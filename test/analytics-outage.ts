// A test double of a ClickHouse server that goes away and comes back: it wraps a working store and, while
// "down", fails every call as @clickhouse/client does against a server that refuses connections (Node's
// ECONNREFUSED). The connection guard of the real server adapter sits on top, exactly as openClickHouse
// composes it, so what the rest of the system sees is what it would see from a stopped server.
import { guardConnection, type ClickHouseStore } from '../adapters/analytics-store/clickhouse/index.js';

export interface AnalyticsOutage {
  /** The store to inject (SystemOverrides.analytics). Closing it closes nothing: the wrapped store is the caller's. */
  readonly store: ClickHouseStore;
  /** From now on every call fails as a refused connection, until `up()`. */
  down(): void;
  up(): void;
  /** Calls refused since the last `down()`: a caller that backs off makes few. */
  readonly refused: number;
}

const refusedConnection = (): Error =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 8123 });

export function analyticsOutage(inner: ClickHouseStore): AnalyticsOutage {
  let isDown = false;
  let refused = 0;
  const reach = async (): Promise<void> => {
    // The failure comes on a later turn, as a socket's would.
    await new Promise((r) => setImmediate(r));
    if (isDown) {
      refused++;
      throw refusedConnection();
    }
  };
  const switchable: ClickHouseStore = {
    kind: 'server',
    database: inner.database,
    command: async (sql, params) => (await reach(), inner.command(sql, params)),
    insert: async (table, rows) => (await reach(), inner.insert(table, rows)),
    query: async <T>(sql: string, params?: Parameters<ClickHouseStore['query']>[1]) => (await reach(), inner.query<T>(sql, params)),
    close: async () => {},
  };
  return {
    store: guardConnection(switchable),
    down() {
      isDown = true;
      refused = 0;
    },
    up() {
      isDown = false;
    },
    get refused() {
      return refused;
    },
  };
}
