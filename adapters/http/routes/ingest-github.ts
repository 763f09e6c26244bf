// POST /v1/ingest/github: GitHub webhooks into the provenance graph. Public (GitHub sends no bearer
// token): declared from middleware, the body limit, then the signature over the raw body, checked before
// anything is parsed, which names the tenant (github-signature.ts), then the JSON body, sent as JSON or as
// a form whose `payload` field holds it. The handler answers by event: ping, unmapped, or mapped.
import { Hono } from 'hono';
import type { CommandPipeline } from '../../../commands/pipeline.js';
import type { GithubWebhookSecret } from '../../../schemas/config.js';
import { executeGraphCommands } from '../../../commands/execute-graph-commands.js';
import { GITHUB_EVENTS, isMappedGithubEvent, mapGithubEvent } from '../../ingest/github.js';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';
import { authenticateGithubSignature } from '../middleware/github-signature.js';
import { jsonBody } from '../middleware/json-body.js';
import { problem, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';
import { ingestBodyLimit, sendIngestOutcome, sendInvalidPayload } from './ingest-response.js';

const EVENT_NAME = /^[a-z_]{1,64}$/;
const DELIVERY = /^[A-Za-z0-9-]{1,64}$/;

export interface GithubIngestDeps {
  readonly pipeline: CommandPipeline;
  readonly metrics: Metrics;
  readonly secrets: readonly GithubWebhookSecret[];
}

export function githubIngestRoutes(deps: GithubIngestDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().post(
    '/v1/ingest/github',
    ingestBodyLimit(),
    authenticateGithubSignature(deps.secrets),
    jsonBody({ what: 'the delivery', formField: 'payload' }),
    async (c) => {
      const event = c.req.header('x-github-event') ?? '';
      if (!EVENT_NAME.test(event)) {
        return sendProblem(c, problem('bad-event-header', 'X-GitHub-Event must name the event, e.g. push'));
      }
      const delivery = c.req.header('x-github-delivery');
      const about = { source: 'github', event, ...(delivery !== undefined && DELIVERY.test(delivery) ? { delivery } : {}) };
      // `ping` proves the hook works; other events are acknowledged (202) rather than refused, so a hook that
      // sends "everything" does not show failed deliveries in GitHub for events this system does not map.
      if (event === 'ping') return c.json({ ...about, ok: true }, 200);
      if (!isMappedGithubEvent(event)) {
        return c.json({ ...about, ignored: true, detail: `${event} events are not mapped; mapped: ${GITHUB_EVENTS.join(', ')}` }, 202);
      }
      // The principal is the signature's (github-signature.ts): its secret names the region, so it is set.
      const principal = c.get('principal');
      const mapped = mapGithubEvent(event, c.req.valid('json'), { region: principal.region! });
      if (mapped._tag === 'Left') return sendInvalidPayload(c, mapped.left);
      // The delivery id goes into the events' correlationId, not into the commands: a redelivery keeps it,
      // but the same fact can also arrive in another delivery (another hook), and must then change nothing.
      const base = requestInfo(c);
      const info = {
        ...base,
        ...(about.delivery !== undefined ? { correlationId: `github-delivery:${about.delivery}` } : {}),
        context: { ...base.context, channel: 'github-webhook' },
      };
      const result = await executeGraphCommands(deps.pipeline, mapped.right, principal, info);
      return sendIngestOutcome(c, deps.metrics, about, mapped.right.length, result);
    },
  );
}
