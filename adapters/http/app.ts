// The HTTP API: composes middleware and routes. Every error leaves as an RFC 9457 problem; no stack
// trace ever reaches a caller (it goes to the server log with the request id).
import { Hono } from 'hono';
import type { AccessDeps } from '../../commands/access.js';
import type { CommandPipeline } from '../../commands/pipeline.js';
import { LogUnavailableError } from '../../schemas/event-log.js';
import type { TokenVerifier } from '../auth/jwt.js';
import type { AppEnv } from './env.js';
import type { Metrics } from './metrics.js';
import { authenticate } from './middleware/authenticate.js';
import { recordMetrics } from './middleware/metrics.js';
import { requestId } from './middleware/request-id.js';
import { openApiDocument } from './openapi.js';
import { problem, sendProblem } from './problem.js';
import { commandRoutes } from './routes/commands.js';
import { ledgerRoutes } from './routes/ledger.js';
import { systemRoutes } from './routes/system.js';

export interface AppDeps {
  readonly access: AccessDeps;
  readonly pipeline: CommandPipeline;
  readonly tokens: TokenVerifier;
  readonly metrics: Metrics;
  readonly notReady: () => Promise<readonly string[]>;
  /** Where unexpected errors are reported; default console.error. */
  readonly reportError?: (error: unknown, requestId: string | undefined) => void;
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const report = deps.reportError ?? ((error, id) => console.error(`request ${id ?? '-'} failed:`, error));
  const document = openApiDocument(deps.pipeline.commandTypes());

  app.use('*', requestId(), recordMetrics(deps.metrics));
  // Public routes first: in hono, a route registered before a middleware answers without it.
  app.route('/', systemRoutes({ keyring: deps.access.keyring, metrics: deps.metrics, notReady: deps.notReady }));
  app.get('/openapi.json', (c) => c.json(document));
  app.use('/v1/*', authenticate(deps.tokens));
  app.route('/', commandRoutes(deps.pipeline, deps.metrics));
  app.route('/', ledgerRoutes(deps.access));

  app.notFound((c) => sendProblem(c, problem(404, 'not-found', 'Not found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => {
    if (error instanceof LogUnavailableError) {
      c.header('retry-after', '1');
      return sendProblem(c, problem(503, 'log-unavailable', 'Event log unavailable', 'the event log cannot be reached; nothing was written; retry'));
    }
    report(error, c.get('requestId'));
    return sendProblem(c, problem(500, 'internal', 'Internal error', 'the server failed to handle the request; it has been logged with the request id'));
  });
  return app;
}
