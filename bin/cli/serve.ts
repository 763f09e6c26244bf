// `companyos serve`: the HTTP API on PORT, on the stores configuration selects (embedded by default).
import { serve } from '@hono/node-server';
import * as t from 'io-ts';
import { startNatsSide } from '../../adapters/nats/index.js';
import type { Config } from '../../schemas/config.js';
import { openSystem } from '../system.js';
import { parseOptions } from './usage.js';

export async function serveCommand(config: Config, argv: readonly string[]): Promise<void> {
  parseOptions(argv, {}, t.type({}));
  const system = await openSystem(config);
  // Committed events go out (JetStream with NATS_URL, else an in-process bus); ingest comes in over NATS.
  const nats = await startNatsSide(system, config);
  const server = serve({ fetch: system.app.fetch, port: config.port, hostname: '0.0.0.0' });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  console.log(`companyos: listening on http://localhost:${config.port} (log: ${system.logDescription}; events out: ${nats.description}; signing key ${system.keyring.active.keyId})`);
  if (system.jwtSecret !== undefined && config.jwt.secret === undefined) {
    console.log('companyos: development tokens: npx companyos token --tenant acme --roles editor --region us-east');
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.log(`companyos: ${signal}, draining requests and closing`);
      server.close(() => resolve());
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await nats.close();
  await system.close();
}
