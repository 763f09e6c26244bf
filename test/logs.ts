// Logs for tests that need a real one but are not about the log itself: embedded PGlite in memory,
// and a raw SQL session so tamper tests can alter stored rows the way an attacker with DB access would.
import { openPostgresEventLog, type PostgresEventLog } from '../adapters/event-log/postgres/index.js';

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

function wrap(log: PostgresEventLog): TestLog {
  return {
    log,
    sql: (text, params = []) => log.database.withSession((s) => s.query(text.replaceAll('${schema}', `"${log.schema}"`), params)),
    close: () => log.close(),
  };
}
