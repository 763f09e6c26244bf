// The NATS side as a process starts it from configuration: NATS_URL set → JetStream bus, relay and
// ingest; unset → an in-process bus the relay publishes to (ingest is then over HTTP only).
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import type { CommandPipeline } from '../../commands/pipeline.js';
import type { Config } from '../../schemas/config.js';
import type { EventLog } from '../event-log/index.js';
import { openPostgres, type PostgresDatabase } from '../read-store/postgres/database.js';
import { PostgresEventLog } from '../event-log/postgres/index.js';
import type { Bus } from './bus.js';
import type { MeteringRecorder } from './ingest-delivery.js';
import { startIngest, type IngestHandle, type IngestOptions } from './ingest.js';
import { JetStreamBus, type JetStreamBusOptions } from './jetstream-bus.js';
import { MemoryBus } from './memory-bus.js';
import { startRelay, type RelayHandle, type RelayOptions } from './relay.js';
import type { TokenVerifier } from '../auth/jwt.js';

export interface NatsSideDeps {
  readonly log: EventLog;
  readonly pipeline: CommandPipeline;
  /** Runs `ingest.<tenant>.metering` messages (System's, shared with POST /v1/metering/events). */
  readonly meteringIngest?: MeteringRecorder;
  /** Where the relay keeps its checkpoint and takes its lock when the log is not PostgreSQL (the read store). */
  readonly readStore?: PostgresDatabase<any>;
  /** Verifies bearer tokens on ingest messages (System's, the same as the HTTP API's). */
  readonly tokens?: TokenVerifier;
}

export interface NatsSideOptions {
  /** Run the relay (default true). */
  readonly relay?: boolean;
  /** Run the ingest when NATS_URL is set (default true). */
  readonly ingest?: boolean;
  readonly relayOptions?: RelayOptions;
  readonly ingestOptions?: IngestOptions;
  readonly busOptions?: JetStreamBusOptions;
}

export interface NatsSide {
  /** Where committed events go: JetStream, or in-process subscribers. */
  readonly bus: Bus;
  readonly relay: RelayHandle | undefined;
  readonly ingest: IngestHandle | undefined;
  /** For people: "NATS at …" or "in-process bus". */
  readonly description: string;
  /** Stops ingest (finishing delivered messages), then the relay (saving its checkpoint), then NATS. */
  close(): Promise<void>;
}

type NatsConfig = Pick<Config, 'natsUrl' | 'databaseUrl' | 'dataDir' | 'pgSchema'> & Partial<Pick<Config, 'ingestRequiresToken'>>;

export async function startNatsSide(deps: NatsSideDeps, config: NatsConfig, options: NatsSideOptions = {}): Promise<NatsSide> {
  const nats: NatsConnection | undefined = config.natsUrl !== undefined ? await connect({ servers: config.natsUrl, name: 'companyos' }) : undefined;
  let database: PostgresDatabase<any> | undefined;
  let ownDatabase = false;
  let relay: RelayHandle | undefined;
  let ingest: IngestHandle | undefined;
  try {
    const bus: Bus = nats !== undefined ? await JetStreamBus.open(nats, options.busOptions) : new MemoryBus();
    if (options.relay ?? true) {
      // The checkpoint lives with the log when the log is PostgreSQL/PGlite; beside it otherwise (EventStoreDB).
      if (deps.log instanceof PostgresEventLog) database = deps.log.database;
      else if (deps.readStore !== undefined) database = deps.readStore;
      else {
        database = await openPostgres(
          config.databaseUrl !== undefined ? { url: config.databaseUrl, schema: config.pgSchema } : { dataDir: join(config.dataDir, 'pglite-nats'), schema: config.pgSchema },
        );
        ownDatabase = true;
      }
      relay = await startRelay({ log: deps.log, database, bus }, options.relayOptions);
    }
    if (nats !== undefined && (options.ingest ?? true)) ingest = await startIngest(
        { pipeline: deps.pipeline, nats, metering: deps.meteringIngest, ...(deps.tokens === undefined ? {} : { tokens: deps.tokens }) },
        { requireToken: config.ingestRequiresToken ?? false, ...options.ingestOptions },
      );
    const description = nats !== undefined ? `NATS at ${new URL(config.natsUrl!).host}` : 'in-process bus';
    return {
      bus,
      relay,
      ingest,
      description,
      async close() {
        await ingest?.close();
        await relay?.close();
        await nats?.drain();
        if (ownDatabase) await database?.close();
      },
    };
  } catch (error) {
    await ingest?.close().catch(() => {});
    await relay?.close().catch(() => {});
    await nats?.close().catch(() => {});
    if (ownDatabase) await database?.close().catch(() => {});
    throw error;
  }
}
