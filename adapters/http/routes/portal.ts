// The audit portal's pages (GET /portal/…): the page, its style sheet and its one script, under a strict
// Content-Security-Policy (scripts, styles and fetches from this origin only; no inline code, no frames,
// no forms posting elsewhere). What the page shows it reads from the /v1 API with the bearer token the
// user signed in with, so the tenant is always the verified token's.
//
// Development sign-in: with development keys only (the HS256 secret generated into the data directory, no
// COMPANYOS_JWT_SECRET or COMPANYOS_JWKS_URL), POST /portal/dev-sign-in hands out a short-lived token for the
// demo tenant, one click in the page, and only to a browser on this machine (a loopback peer): the same
// token `npx companyos demo token` prints to anyone with a shell here.
//
// OpenID Connect (COMPANYOS_OIDC_ISSUER and COMPANYOS_OIDC_CLIENT_ID): the session options carry the client
// settings and the endpoints from the issuer's discovery document, and the CSP lets the page connect to the
// issuer's origin (its token endpoint) besides this one: that origin and nothing more.
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import * as t from 'io-ts';
import type { AppEnv } from '../env.js';
import { limitBody } from '../middleware/body-limit.js';
import { jsonBody } from '../middleware/json-body.js';
import { validate } from '../middleware/validate.js';
import { problem, sendProblem } from '../problem.js';
import { portalAssets } from '../portal-assets.js';
import type { OidcClientOptions } from '../../auth/oidc-discovery.js';

/** The roles a development sign-in may ask for: an auditor (reads evidence, changes nothing) or an admin of the demo tenant. */
export const DevSignInRole = t.keyof({ auditor: null, admin: null }, 'DevSignInRole');
export type DevSignInRole = t.TypeOf<typeof DevSignInRole>;
const DevSignInBody = t.exact(t.type({ role: DevSignInRole }));

export interface PortalDeps {
  /** Present only with development keys: a token for the demo tenant with this role. */
  readonly devSignIn?: { readonly tenant: string; readonly issue: (role: DevSignInRole) => Promise<string> };
  /** Present when the operator configured an OpenID provider: its origin (for the CSP) and the client's options. */
  readonly oidc?: { readonly issuerOrigin: string; readonly options: () => Promise<OidcClientOptions> };
}

/** The page's CSP: this origin only, plus the OpenID issuer's origin for fetches (its token endpoint) when one is configured. */
export const portalCsp = (issuerOrigin?: string): string => [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  `connect-src 'self'${issuerOrigin === undefined ? '' : ` ${issuerOrigin}`}`,
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const headersUnder = (csp: string) => (c: Context<AppEnv>) => {
  c.header('content-security-policy', csp);
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'no-referrer');
  c.header('x-frame-options', 'DENY');
  c.header('cross-origin-opener-policy', 'same-origin');
  c.header('cross-origin-resource-policy', 'same-origin');
};

/** A loopback peer: 127.0.0.0/8, ::1, or IPv4 mapped into IPv6. No socket (an in-process request) is not one. */
export const isLoopback = (address: string | undefined): boolean =>
  address !== undefined && (address === '::1' || /^(::ffff:)?127\./.test(address));

const peerAddress = (c: Context<AppEnv>): string | undefined => {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
};

export function portalRoutes(deps: PortalDeps): Hono<AppEnv> {
  const securityHeaders = headersUnder(portalCsp(deps.oidc?.issuerOrigin));
  const serve = (name: string) => async (c: Context<AppEnv>) => {
    const asset = (await portalAssets()).get(name)!;
    securityHeaders(c);
    c.header('etag', asset.etag);
    c.header('cache-control', 'no-cache');
    c.header('vary', 'accept-encoding');
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    if (gzip) c.header('content-encoding', 'gzip');
    c.header('content-type', asset.contentType);
    return c.body((gzip ? asset.gzipped : asset.body) as Uint8Array<ArrayBuffer>, 200);
  };
  return new Hono<AppEnv>()
    .get('/portal', (c) => c.redirect('/portal/', 308))
    .get('/portal/', serve('index.html'))
    .get('/portal/app.js', serve('app.js'))
    .get('/portal/app.css', serve('app.css'))
    .get('/portal/session-options', async (c) => {
      securityHeaders(c);
      c.header('cache-control', 'no-store');
      let oidc: OidcClientOptions | null = null;
      if (deps.oidc !== undefined) {
        try {
          oidc = await deps.oidc.options();
        } catch (error) {
          return sendProblem(c, problem('unavailable', `sign-in with the identity provider is unavailable: ${error instanceof Error ? error.message : String(error)}`));
        }
      }
      return c.json({ devSignIn: deps.devSignIn === undefined ? null : { tenant: deps.devSignIn.tenant, roles: Object.keys(DevSignInRole.keys) }, oidc });
    })
    .post('/portal/dev-sign-in', limitBody(1024, 'a sign-in request'), jsonBody(), validate('json', DevSignInBody), async (c) => {
      securityHeaders(c);
      c.header('cache-control', 'no-store');
      if (deps.devSignIn === undefined) return sendProblem(c, problem('not-found', 'development sign-in is off: this server uses configured keys (sign in with a token from your identity provider)'));
      if (!isLoopback(peerAddress(c))) return sendProblem(c, problem('forbidden', 'development sign-in answers a browser on this machine only'));
      return c.json({ token: await deps.devSignIn.issue(c.req.valid('json').role), tenant: deps.devSignIn.tenant });
    });
}
