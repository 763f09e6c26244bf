// Test fixture for crash.test.ts: one process running only Maestro's executor on a PostgreSQL server, so
// the test can SIGKILL it mid-run. Settings arrive as JSON in CRASH_SETTINGS; prints "ready" once active.
import { openPostgres } from '../adapters/read-store/postgres/database.js';
import { PostgresEventLog } from '../adapters/event-log/postgres/index.js';
import { testPipeline } from './nats-support.js';
import { startExecutor } from '../commands/maestro/executor.js';
import { systemClock } from '../commands/maestro/clock.js';
import { actionPerformer } from '../adapters/maestro/actions.js';

const settings = JSON.parse(process.env['CRASH_SETTINGS'] ?? '{}') as { readonly databaseUrl: string; readonly schema: string };
const database = await openPostgres({ url: settings.databaseUrl, schema: settings.schema });
const log = await PostgresEventLog.open(database);
// The canary target listens on loopback, which egress refuses by default: allowed here as an operator would.
const egress = { allow: [{ kind: 'cidr', address: '127.0.0.1', prefix: 32, family: 'ipv4' } as const], followRedirects: false };
const executor = startExecutor({ log, store: database, pipeline: await testPipeline(log) }, { lockRetryMs: 100, graph: false, perform: actionPerformer({ egress, clock: systemClock }) });
while (executor.status().state !== 'active') await new Promise((r) => setTimeout(r, 20));
console.log('ready');

process.once('SIGTERM', async () => {
  await executor.close();
  await log.close();
  await database.close();
  process.exit(0);
});
