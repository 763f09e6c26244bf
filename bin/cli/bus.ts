// `companyos relay` and `companyos ingest`: the NATS side as processes of their own (compose runs them
// beside the API). Several relays may run; a lease in PostgreSQL keeps exactly one publishing.
import * as t from 'io-ts';
import { startNatsSide, type NatsSideOptions } from '../../adapters/nats/index.js';
import type { Config } from '../../schemas/config.js';
import { openSystem } from '../system.js';
import { parseOptions, UsageError } from './usage.js';

async function runBusProcess(config: Config, argv: readonly string[], what: NatsSideOptions, name: string): Promise<void> {
  parseOptions(argv, {}, t.type({}));
  if (config.natsUrl === undefined) throw new UsageError(`${name} needs NATS_URL (without it, \`companyos serve\` relays to an in-process bus)`);
  if (config.databaseUrl === undefined && config.eventStoreUrl === undefined) {
    throw new UsageError(`${name} runs beside the API, so it needs a shared log: set DATABASE_URL or EVENTSTORE_URL`);
  }
  const system = await openSystem(config);
  const side = await startNatsSide(system, config, what);
  console.log(`companyos ${name}: running (log: ${system.logDescription}; ${side.description})`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await side.close();
  await system.close();
}

export const relayCommand = (config: Config, argv: readonly string[]) => runBusProcess(config, argv, { relay: true, ingest: false }, 'relay');
export const ingestCommand = (config: Config, argv: readonly string[]) => runBusProcess(config, argv, { relay: false, ingest: true }, 'ingest');
