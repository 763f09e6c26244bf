// Opens the event log configuration selects: EventStoreDB when EVENTSTORE_URL is set, else PostgreSQL
// (DATABASE_URL), else embedded PGlite under the data directory. Each client is imported only when chosen:
// the EventStoreDB client alone takes a noticeable part of a CLI call's start. A new embedded store is a copy
// of the PGlite template when there is one (see pglite-template.ts).
import { join } from 'node:path';
import type { Config } from '../schemas/config.js';
import type { EventLog } from '../adapters/event-log/index.js';
import { copyTemplate } from './pglite-template.js';

/** One line for people per step of start-up that takes time ("opening the log: …"). */
export type Progress = (step: string) => void;

export interface OpenedLog {
  readonly log: EventLog;
  /** For people: where the log lives, without credentials. */
  readonly description: string;
  close(): Promise<void>;
}

const withoutCredentials = (url: string): string => {
  const u = new URL(url);
  u.username = u.username ? '***' : '';
  u.password = '';
  return u.toString();
};

export async function openLog(config: Config, progress: Progress = () => {}): Promise<OpenedLog> {
  if (config.eventStoreUrl !== undefined) {
    progress(`opening the log: EventStoreDB at ${withoutCredentials(config.eventStoreUrl)}`);
    const { openEventStoreLog } = await import('../adapters/event-log/eventstore/index.js');
    const log = await openEventStoreLog(config.eventStoreUrl);
    return { log, description: `EventStoreDB at ${withoutCredentials(config.eventStoreUrl)}`, close: () => log.close() };
  }
  const { openPostgresEventLog } = await import('../adapters/event-log/postgres/index.js');
  if (config.databaseUrl !== undefined) {
    progress(`opening the log and migrating it: PostgreSQL at ${withoutCredentials(config.databaseUrl)}`);
    const log = await openPostgresEventLog({
      url: config.databaseUrl,
      schema: config.pgSchema,
      queryTimeoutMs: config.pgQueryTimeoutMs,
      preparedStatements: config.pgPreparedStatements,
    });
    return { log, description: `PostgreSQL at ${withoutCredentials(config.databaseUrl)} (schema ${config.pgSchema})`, close: () => log.close() };
  }
  const { lockDataDir } = await import('../adapters/read-store/postgres/data-dir-lock.js');
  const dataDir = join(config.dataDir, 'pglite');
  const lock = await lockDataDir(config.dataDir);
  try {
    const template = await copyTemplate(dataDir, config.pgSchema);
    progress(
      `opening the log and migrating it: embedded PGlite in ${dataDir}` +
        { existing: '', migrated: ' (new: a copy of the migrated template)', initdb: ' (new: a copy of the initdb template)', none: " (new: PGlite's initdb; `npm ci` makes a template)" }[template],
    );
    const log = await openPostgresEventLog({ dataDir, schema: config.pgSchema });
    return {
      log,
      description: `embedded PGlite in ${dataDir}`,
      close: async () => {
        await log.close();
        await lock.release();
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
