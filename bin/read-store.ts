// Opens the PostgreSQL that holds the read models (and projection checkpoints): the log's own database when
// the log is PostgreSQL/PGlite, else DATABASE_URL, else embedded PGlite beside the EventStoreDB log's data.
// Read-model migrations run here, at start. Also opens the ClickHouse of the analytics read models.
import { join } from 'node:path';
import { openClickHouse, type ClickHouseStore } from '../adapters/analytics-store/clickhouse/index.js';
import { migrate, openPostgres, type PostgresDatabase } from '../adapters/read-store/postgres/database.js';
import { PostgresEventLog } from '../adapters/event-log/postgres/index.js';
import { readModelMigrations } from '../projections/index.js';
import type { Config } from '../schemas/config.js';
import type { EventLog } from '../adapters/event-log/index.js';
import type { Progress } from './open-log.js';

export interface OpenedReadStore {
  readonly store: PostgresDatabase<any>;
  close(): Promise<void>;
}

export async function openReadStore(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'pgSchema' | 'pgQueryTimeoutMs' | 'pgPreparedStatements'>, log: EventLog, progress: Progress = () => {}): Promise<OpenedReadStore> {
  progress('migrating the read models');
  if (log instanceof PostgresEventLog) {
    await migrate(log.database, readModelMigrations);
    return { store: log.database, close: async () => {} };
  }
  const store = await openPostgres({
    ...(config.databaseUrl !== undefined ? { url: config.databaseUrl, queryTimeoutMs: config.pgQueryTimeoutMs, preparedStatements: config.pgPreparedStatements } : { dataDir: join(config.dataDir, 'pglite-read') }),
    schema: config.pgSchema,
    migrations: readModelMigrations,
  });
  return { store, close: () => store.close() };
}

/**
 * Opens the ClickHouse of the analytics read models: CLICKHOUSE_URL (its path names the database, as in
 * compose.yaml), else embedded chDB in `<dataDir>/chdb`. chDB holds one data directory per process, so
 * the composition root opens this lazily, only where projectors run or the audit API is used.
 */
export function openAnalyticsStore(config: Pick<Config, 'clickhouseUrl' | 'dataDir'>): Promise<ClickHouseStore> {
  if (config.clickhouseUrl === undefined) return openClickHouse({ path: join(config.dataDir, 'chdb'), database: 'companyos' });
  const url = new URL(config.clickhouseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, '')) || 'companyos';
  url.pathname = '/';
  return openClickHouse({ url: url.toString(), database });
}
