// POST /v1/ingest/github: GitHub webhooks into the provenance graph. Public (GitHub sends no bearer
// token): the signature over the raw body, checked before anything is parsed, names the tenant.
import { Hono } from 'hono';
import type { Principal } from '../../../commands/authorizer.js';
import type { CommandPipeline } from '../../../commands/pipeline.js';
import type { GithubWebhookSecret } from '../../../schemas/config.js';
import { executeGraphCommands } from '../../../commands/execute-graph-commands.js';
import { GITHUB_EVENTS, isMappedGithubEvent, mapGithubEvent } from '../../ingest/github.js';
import { verifyGithubSignature } from '../../ingest/github-signature.js';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';
import { problem, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';
import { isJsonContentType } from '../json-body.js';
import { ingestBodyLimit, parseJson, sendIngestOutcome, sendInvalidPayload } from './ingest-response.js';

/** The actor of every command a webhook causes. */
export const GITHUB_WEBHOOK_ACTOR = 'service:github-webhook';

const EVENT_NAME = /^[a-z_]{1,64}$/;
const isFormContentType = (type: string | undefined): boolean => /^application\/x-www-form-urlencoded\s*(;|$)/i.test(type ?? '');
const DELIVERY = /^[A-Za-z0-9-]{1,64}$/;

export interface GithubIngestDeps {
  readonly pipeline: CommandPipeline;
  readonly metrics: Metrics;
  readonly secrets: readonly GithubWebhookSecret[];
}

export function githubIngestRoutes(deps: GithubIngestDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().post('/v1/ingest/github', ingestBodyLimit(), async (c) => {
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const signed = verifyGithubSignature(raw, c.req.header('x-hub-signature-256'), deps.secrets);
    if (signed.kind !== 'verified') {
      const detail = {
        missing: 'send X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body under the webhook secret>',
        malformed: 'X-Hub-Signature-256 must be sha256= followed by 64 hex digits',
        'no-match': 'the signature matches no configured webhook secret',
      }[signed.kind];
      return sendProblem(c, problem('unauthenticated', detail));
    }
    // GitHub sends either content type a hook is set to: the JSON itself, or a form whose `payload` field holds it.
    const form = isFormContentType(c.req.header('content-type'));
    if (!form && !isJsonContentType(c.req.header('content-type'))) {
      return sendProblem(c, problem('unsupported-media-type', 'send application/json or application/x-www-form-urlencoded (payload=<JSON>), as GitHub does'));
    }
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

    const text = new TextDecoder().decode(raw);
    const json = form ? new URLSearchParams(text).get('payload') : text;
    if (json === null) return sendProblem(c, problem('validation', 'a form-encoded delivery carries its JSON in the payload field'));
    const parsed = parseJson(c, json);
    if (!parsed.ok) return parsed.response;
    const mapped = mapGithubEvent(event, parsed.value, { region: signed.region });
    if (mapped._tag === 'Left') return sendInvalidPayload(c, mapped.left);

    const principal: Principal = { id: GITHUB_WEBHOOK_ACTOR, tenant: signed.tenant, roles: ['service'], region: signed.region, authTime: undefined, authn: 'hmac' };
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
  });
}
