// The system side of bench:ingest, in its own process as in production: the composition root (openSystem)
// plus the NATS side (startNatsSide), wired as `companyos serve` would. Settings come as JSON in BENCH_SETTINGS;
// prints "ready" when started, and one JSON line of stats and memory when it receives SIGTERM.
import { isLeft } from 'fp-ts/lib/Either.js';
import { startNatsSide, type IngestOptions, type JetStreamBusOptions, type RelayOptions } from '../../adapters/nats/index.js';
import { PostgresEventLog } from '../../adapters/event-log/postgres/index.js';
import { loadConfig } from '../../schemas/config.js';
import { openSystem } from '../system.js';

interface Settings {
  readonly ingest: IngestOptions;
  readonly relay: RelayOptions;
  readonly events: JetStreamBusOptions;
}

const settings = JSON.parse(process.env['BENCH_SETTINGS'] ?? '{}') as Settings;
const config = loadConfig(process.env);
if (isLeft(config)) throw new Error(config.left.join('; '));
if (config.right.natsUrl === undefined) throw new Error('bench:ingest needs NATS_URL');
const system = await openSystem(config.right);
if (!(system.log instanceof PostgresEventLog) && config.right.eventStoreUrl === undefined) throw new Error('bench:ingest needs a server log (DATABASE_URL or EVENTSTORE_URL)');
const nats = await startNatsSide(system, config.right, { relayOptions: settings.relay, ingestOptions: settings.ingest, busOptions: settings.events });
console.log('ready');

process.once('SIGTERM', async () => {
  const rss = process.memoryUsage().rss;
  await nats.close();
  const relay = nats.relay!.stats();
  const stats = { rss, ingest: nats.ingest!.stats(), relay: { ...relay, acknowledged: String(relay.acknowledged), checkpoint: String(relay.checkpoint) } };
  console.log(JSON.stringify({ worker: stats }));
  await system.close();
  process.exit(0);
});
