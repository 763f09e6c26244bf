// `companyos project`: runs the projectors alone (no HTTP), one active instance per read model across
// processes; others wait on standby and take over when it dies. `--rebuild` empties the read models first.
import * as t from 'io-ts';
import { READ_MODELS, resetProjection } from '../../projections/index.js';
import { startHttpServer } from '../../adapters/http/server.js';
import type { Config } from '../../schemas/config.js';
import { openSystem } from '../system.js';
import { parseOptions } from './usage.js';

export async function projectCommand(config: Config, argv: readonly string[]): Promise<void> {
  const options = parseOptions(argv, { rebuild: { type: 'boolean' } }, t.partial({ rebuild: t.boolean }));
  const system = await openSystem(config);
  try {
    if (options.rebuild === true) {
      for (const p of READ_MODELS) await resetProjection(system.readStore, system.readStore.schema, p);
      console.log(`companyos: emptied ${READ_MODELS.map((p) => p.name).join(', ')}; rebuilding from the start of the log`);
    }
    // Only the operational endpoints (health, readiness with lag, metrics): this process takes no commands.
    const operational = new Set(['/healthz', '/readyz', '/metrics']);
    const server = await startHttpServer({
      port: config.port,
      hostname: '0.0.0.0',
      fetch: (request, env) => (operational.has(new URL(request.url).pathname) ? system.app.fetch(request, env) : new Response('not found', { status: 404 })),
    });
    const projectors = system.startProjectors();
    console.log(
      `companyos: projecting ${projectors.map((p) => p.name).join(', ')} from ${system.logDescription}; /healthz, /readyz, /metrics on port ${config.port}`,
    );
    console.log(`companyos: ${system.maestroDescription}`);
    let last = '';
    const report = setInterval(() => {
      const line = projectors.map((p) => {
        const s = p.status();
        return `${s.name} ${s.state} at ${s.checkpoint ?? '-'} of ${s.head ?? '-'}`;
      }).join('; ');
      if (line !== last) console.log(`companyos: ${line}`);
      last = line;
    }, 5000);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    clearInterval(report);
    server.close();
    console.log('companyos: stopping projectors (each finishes its batch)');
  } finally {
    await system.close();
  }
}
