// Test fixture for proof.test.ts: one process running the relay and the ingest on real NATS and PostgreSQL,
// so the test can SIGKILL it mid-way. Settings arrive as JSON in PROOF_SETTINGS; prints "ready" when started.
import { connect } from 'nats';
import { openPostgres } from '../adapters/read-store/postgres/database.js';
import { PostgresEventLog } from '../adapters/event-log/postgres/index.js';
import { startIngest, type IngestOptions } from '../adapters/nats/ingest.js';
import { JetStreamBus } from '../adapters/nats/jetstream-bus.js';
import { startRelay, type RelayOptions } from '../adapters/nats/relay.js';
import { testPipeline } from './nats-support.js';

interface Settings {
  readonly natsUrl: string;
  readonly databaseUrl: string;
  readonly schema: string;
  readonly ingest: IngestOptions;
  readonly relay: RelayOptions;
  readonly events: { readonly stream: string; readonly subjects: readonly string[] };
}

const settings = JSON.parse(process.env['PROOF_SETTINGS'] ?? '{}') as Settings;
const nc = await connect({ servers: settings.natsUrl });
const database = await openPostgres({ url: settings.databaseUrl, schema: settings.schema });
const log = await PostgresEventLog.open(database);
const pipeline = await testPipeline(log);
const bus = await JetStreamBus.open(nc, settings.events);
const relay = await startRelay({ log, database, bus }, settings.relay);
const ingest = await startIngest({ pipeline, nats: nc }, settings.ingest);
console.log('ready');

process.once('SIGTERM', async () => {
  await ingest.close();
  await relay.close();
  await nc.drain();
  await log.close();
  await database.close();
  process.exit(0);
});
