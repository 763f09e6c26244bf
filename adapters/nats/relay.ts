// The outbound relay on PostgreSQL and NATS: the application's relay (commands/relay.ts) composed with its
// checkpoint in the followers' checkpoint table, the lease as its lock, and the sealed-event message shape.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { EventLog } from '../event-log/index.js';
import { migrate, type PostgresDatabase } from '../read-store/postgres/database.js';
import { startOutboundRelay, type OutboundRelayOptions, type RelayHandle, type RelayStats } from '../../commands/relay.js';
import type { Bus } from './bus.js';
import { CheckpointStore } from './checkpoint-store.js';
import { outboundMessage } from './event-message.js';
import { EVENTS_SUBJECT_PREFIX } from './jetstream-bus.js';
import { tryAcquireLease } from './lease.js';
import { natsMigrations } from './migrations.js';

export type { RelayHandle, RelayStats };

export interface RelayDeps {
  readonly log: EventLog;
  /** Holds the checkpoint table (and the lease on a server). */
  readonly database: PostgresDatabase<any>;
  readonly bus: Bus;
}

export interface RelayOptions extends OutboundRelayOptions {
  /** First subject token (default 'companyos'). */
  readonly subjectPrefix?: string;
  /** Lease lifetime without renewal (default 15 s): how long a crashed relay's standby waits. */
  readonly leaseTtlMs?: number;
}

export async function startRelay(deps: RelayDeps, options: RelayOptions = {}): Promise<RelayHandle> {
  await migrate(deps.database, natsMigrations);
  const prefix = options.subjectPrefix ?? EVENTS_SUBJECT_PREFIX;
  // Stable per relay, so it may re-take its own lease at once after a failure.
  const lease = { holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, ...(options.leaseTtlMs !== undefined ? { ttlMs: options.leaseTtlMs } : {}) };
  return startOutboundRelay(
    {
      log: deps.log,
      bus: deps.bus,
      checkpoints: new CheckpointStore(deps.database),
      // The lease, not the read store's advisory lock: its tests drive the lease row (lease.ts).
      lock: { tryLock: (name) => tryAcquireLease(deps.database, name, lease) },
      message: (event) => outboundMessage(prefix, event),
    },
    options,
  );
}
