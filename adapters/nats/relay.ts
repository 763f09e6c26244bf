// The outbound relay on PostgreSQL and NATS: the application's relay (commands/relay.ts) composed with the
// followers' lock and checkpoint table of the database it is given (adapters/read-store: the lock
// `relay:<name>`, the checkpoint row `relay:<name>`), and the sealed-event message shape.
import type { EventLog } from '../event-log/index.js';
import { advanceCheckpoint, checkpointMigrations, loadCheckpoint } from '../read-store/checkpoints.js';
import { migrate, type PostgresDatabase } from '../read-store/postgres/database.js';
import { startOutboundRelay, type OutboundRelayOptions, type RelayCheckpoints, type RelayHandle, type RelayStats } from '../../commands/relay.js';
import type { Bus } from './bus.js';
import { outboundMessage } from './event-message.js';
import { EVENTS_SUBJECT_PREFIX } from './jetstream-bus.js';

export type { RelayHandle, RelayStats };

export interface RelayDeps {
  readonly log: EventLog;
  /** Holds the relay's lock and checkpoint. */
  readonly database: PostgresDatabase<any>;
  readonly bus: Bus;
}

export interface RelayOptions extends OutboundRelayOptions {
  /** First subject token (default 'companyos'). */
  readonly subjectPrefix?: string;
}

/** The relay checkpoint's row name in projection_checkpoints. */
export const relayCheckpointName = (name: string): string => `relay:${name}`;

/** The relay's checkpoints in the followers' table; version 0: a relay has no code version that would reset it. */
function relayCheckpoints(database: PostgresDatabase<any>): RelayCheckpoints {
  const { schema } = database;
  return {
    load: (name) => database.withSession((s) => loadCheckpoint(s, schema, relayCheckpointName(name), 0)).then((c) => c.position),
    advance: (name, expected, next) => database.withSession((s) => advanceCheckpoint(s, schema, relayCheckpointName(name), expected, next)),
  };
}

export async function startRelay(deps: RelayDeps, options: RelayOptions = {}): Promise<RelayHandle> {
  await migrate(deps.database, checkpointMigrations);
  const prefix = options.subjectPrefix ?? EVENTS_SUBJECT_PREFIX;
  return startOutboundRelay(
    {
      log: deps.log,
      bus: deps.bus,
      checkpoints: relayCheckpoints(deps.database),
      lock: deps.database,
      message: (event) => outboundMessage(prefix, event),
    },
    options,
  );
}
