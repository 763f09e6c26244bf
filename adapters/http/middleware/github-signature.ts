// Authentication of a GitHub webhook, as middleware: GitHub sends no bearer token, so the HMAC signature
// over the raw body (X-Hub-Signature-256), checked before anything is parsed, names the tenant and region.
// The principal is the webhook's service identity in that tenant; a bad signature ends the request (401).
// The raw bytes stay in the request's body cache, so jsonBody() reads the same body afterwards.
import type { MiddlewareHandler } from 'hono';
import type { GithubWebhookSecret } from '../../../schemas/config.js';
import { verifyGithubSignature } from '../../ingest/github-signature.js';
import type { AppEnv } from '../env.js';
import { problem, sendProblem } from '../problem.js';

/** The actor of every command a webhook causes. */
export const GITHUB_WEBHOOK_ACTOR = 'service:github-webhook';

const REFUSALS = {
  missing: 'send X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body under the webhook secret>',
  malformed: 'X-Hub-Signature-256 must be sha256= followed by 64 hex digits',
  'no-match': 'the signature matches no configured webhook secret',
} as const;

export const authenticateGithubSignature = (secrets: readonly GithubWebhookSecret[]): MiddlewareHandler<AppEnv> => async (c, next) => {
  const raw = new Uint8Array(await c.req.arrayBuffer());
  const signed = verifyGithubSignature(raw, c.req.header('x-hub-signature-256'), secrets);
  if (signed.kind !== 'verified') return sendProblem(c, problem('unauthenticated', REFUSALS[signed.kind]));
  c.set('principal', { id: GITHUB_WEBHOOK_ACTOR, tenant: signed.tenant, roles: ['service'], region: signed.region, authTime: undefined, authn: 'hmac' });
  await next();
};
