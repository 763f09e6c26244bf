// Logs for tests that need a real one but are not about the log itself: embedded PGlite in memory,
// and a raw SQL session so tamper tests can alter stored rows the way an attacker with DB access would.
import { openPostgresEventLog, type PostgresEventLog } from '../adapters/event-log/postgres/index.js';
import { dropSchema } from '../adapters/read-store/postgres/database.js';

export interface TestLog {
  readonly log: PostgresEventLog;
  /** Runs raw SQL against the log's schema (tests only). */
  sql<R = Record<string, unknown>>(text: string, params?: readonly (string | null)[]): Promise<R[]>;
  close(): Promise<void>;
}

export async function openMemoryLog(): Promise<TestLog> {
  const log = await openPostgresEventLog({ schema: 'companyos' });
  return wrap(log);
}

export async function openDirLog(dataDir: string): Promise<TestLog> {
  const log = await openPostgresEventLog({ dataDir, schema: 'companyos' });
  return wrap(log);
}

/** A log in a fresh schema of the PostgreSQL server at `url`, dropped again on close. */
export async function openPostgresTestLog(url: string, schema: string): Promise<TestLog> {
  const stale = await openPostgresEventLog({ url, schema });
  await dropSchema(stale.database, schema);
  await stale.close();
  const log = await openPostgresEventLog({ url, schema });
  const wrapped = wrap(log);
  return {
    ...wrapped,
    close: async () => {
      await dropSchema(log.database, schema);
      await log.close();
    },
  };
}

function wrap(log: PostgresEventLog): TestLog {
  return {
    log,
    sql: (text, params = []) => log.database.withSession((s) => s.query(text.replaceAll('${schema}', `"${log.schema}"`), params)),
    close: () => log.close(),
  };
}
