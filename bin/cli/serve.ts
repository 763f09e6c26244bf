// `companyos serve`: the HTTP API on PORT, on the stores configuration selects (embedded by default).
import * as t from 'io-ts';
import { startNatsSide } from '../../adapters/nats/index.js';
import type { Config } from '../../schemas/config.js';
import { issueDevelopmentToken } from '../../adapters/auth/jwt.js';
import { problem } from '../../adapters/http/problem.js';
import { startHttpServer } from '../../adapters/http/server.js';
import { DEMO_IDS, DEMO_REGION, DEMO_TENANT, seedDemoTenant } from '../demo-tenant.js';
import { openSystem } from '../system.js';
import { parseOptions } from './usage.js';

export async function serveCommand(config: Config, argv: readonly string[]): Promise<void> {
  const options = parseOptions(argv, { 'no-projectors': { type: 'boolean' } }, t.partial({ 'no-projectors': t.boolean }));
  // The port first: when it is taken, stop at once (one line, exit 1), before opening the stores; until
  // they are open, requests get a 503 problem.
  let app: ((request: Request, env: unknown) => Response | Promise<Response>) | undefined;
  const server = await startHttpServer({ fetch: (request, env) => (app === undefined ? starting() : app(request, env)), port: config.port, hostname: '0.0.0.0' });
  // Start-up says what it is doing, one line per step that takes time, on stderr (stdout keeps the summary).
  const progress = (step: string) => console.error(`companyos: ${step}…`);
  const system = await openSystem(config, { progress }).catch((error: unknown) => {
    server.close();
    throw error;
  });
  app = system.app.fetch;
  // Projectors run here by default; `--no-projectors` leaves them to `companyos project` processes.
  if (options['no-projectors'] !== true) system.startProjectors();
  // An empty embedded store gets the demo tenant, so a first `npm start` has something to query.
  const embedded = config.databaseUrl === undefined && config.eventStoreUrl === undefined;
  const empty = embedded && (await system.log.headPosition()) === undefined;
  if (empty) progress(`seeding the demo tenant "${DEMO_TENANT}" through the command pipeline`);
  const seeded = empty ? await seedDemoTenant(system.pipeline) : 0;
  // Committed events go out (JetStream with NATS_URL, else an in-process bus); ingest comes in over NATS.
  const nats = await startNatsSide(system, config);
  console.log(
    `companyos: listening on http://localhost:${config.port} (log: ${system.logDescription}; events out: ${nats.description}; ` +
      `projectors: ${system.projectors().length > 0 ? system.projectors().map((p) => p.name).join(', ') : 'off'}; signing key ${system.keyring.active.keyId}; ` +
      `started in ${(performance.now() / 1000).toFixed(1)} s)`,
  );
  console.log(`companyos: ${system.maestroDescription}`);
  if (system.jwtSecret !== undefined && config.jwt.secret === undefined) {
    console.log('companyos: development tokens: npx companyos token --tenant acme --roles editor --region us-east');
  }
  if (seeded > 0 && system.jwtSecret !== undefined) {
    const token = await issueDevelopmentToken(system.jwtSecret, config.jwt, { tenant: DEMO_TENANT, roles: ['viewer'], region: DEMO_REGION }, Math.floor(Date.now() / 1000));
    const base = `http://localhost:${config.port}`;
    const q = encodeURIComponent;
    console.log(
      [
        `companyos: seeded demo tenant "${DEMO_TENANT}" (${seeded} sealed events). Try:`,
        `  export TOKEN=${token}`,
        `  curl -s -H "Authorization: Bearer $TOKEN" '${base}/v1/graph/related?id=${q(DEMO_IDS.artifact)}&depth=3&direction=both'`,
        `  curl -s -H "Authorization: Bearer $TOKEN" '${base}/v1/graph/services/${q(DEMO_IDS.service)}/surface'`,
        `  curl -s -H "Authorization: Bearer $TOKEN" '${base}/v1/graph/incidents/${q(DEMO_IDS.incident)}/impact'`,
      ].join('\n'),
    );
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

const STARTING = JSON.stringify(problem('starting', 'the server is opening its stores; retry shortly'));
const starting = (): Response => new Response(STARTING, { status: 503, headers: { 'content-type': 'application/problem+json', 'retry-after': '1' } });
