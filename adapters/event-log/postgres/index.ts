// The event log on PostgreSQL or PGlite (see event-log.ts for how the parts fit).
export {
  PostgresEventLog,
  eventLogMigrations,
  notifyChannel,
  openPostgresEventLog,
  sequencerLockKey,
  type PostgresEventLogHooks,
  type PostgresEventLogOptions,
} from './event-log.js';
