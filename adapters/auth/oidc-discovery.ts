// The portal's OpenID client settings: the operator's COMPANYOS_OIDC_* values plus the endpoints the issuer's
// discovery document (OpenID Connect Discovery 1.0) names, fetched by this server from the address the
// operator configured, never from one a request names. The document must name the configured issuer
// exactly (Discovery §4.3) and its authorization and token endpoints; the token endpoint must be on the
// issuer's origin, because the portal's CSP lets the browser connect to that one origin and no other; a
// provider that lists its PKCE methods must offer S256. Fetched once and kept; a failure is retried on the
// next call, so a provider down at start costs nothing but a sign-in button that says why.
import type { OidcClientConfig } from '../../schemas/config.js';

/** What the portal's browser code needs for authorization code + PKCE (GET /portal/session-options). */
export interface OidcClientOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly scope: string;
  readonly resource?: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
}

export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
}

/** The discovery document's address: the issuer with `/.well-known/openid-configuration` appended to its path. */
export const discoveryUrl = (issuer: string): string => `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;

/** The portal's options from a discovery document, or why the document is unusable. */
export function clientOptionsOf(config: OidcClientConfig, document: unknown): OidcClientOptions {
  if (typeof document !== 'object' || document === null) throw new DiscoveryError('the discovery document is not a JSON object');
  const d = document as Record<string, unknown>;
  if (d['issuer'] !== config.issuer) throw new DiscoveryError(`the discovery document names issuer ${JSON.stringify(d['issuer'])}, not the configured ${config.issuer}`);
  const origin = new URL(config.issuer).origin;
  const endpoint = (name: string, sameOrigin: boolean): string => {
    const value = d[name];
    let url: URL;
    try {
      url = new URL(String(value));
    } catch {
      throw new DiscoveryError(`the discovery document has no usable ${name}`);
    }
    if (typeof value !== 'string' || !['https:', 'http:'].includes(url.protocol) || url.hash !== '') throw new DiscoveryError(`the discovery document has no usable ${name}`);
    if (url.protocol === 'http:' && new URL(config.issuer).protocol !== 'http:') throw new DiscoveryError(`${name} is not https`);
    if (sameOrigin && url.origin !== origin) throw new DiscoveryError(`${name} ${value} is not on the issuer's origin ${origin} (the portal may connect to that origin only)`);
    return value;
  };
  const methods = d['code_challenge_methods_supported'];
  if (Array.isArray(methods) && !methods.includes('S256')) throw new DiscoveryError('the issuer does not offer PKCE with S256 (code_challenge_methods_supported)');
  return {
    issuer: config.issuer,
    clientId: config.clientId,
    scope: config.scope,
    ...(config.resource === undefined ? {} : { resource: config.resource }),
    authorizationEndpoint: endpoint('authorization_endpoint', false),
    tokenEndpoint: endpoint('token_endpoint', true),
  };
}

/** The options, discovered on first use and kept; a failure (DiscoveryError) is retried on the next call. */
export function oidcClientOptions(config: OidcClientConfig, timeoutMs = 5000): () => Promise<OidcClientOptions> {
  let discovering: Promise<OidcClientOptions> | undefined;
  const discover = async (): Promise<OidcClientOptions> => {
    const url = discoveryUrl(config.issuer);
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new DiscoveryError(`${url} did not answer (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
    if (!res.ok) throw new DiscoveryError(`${url} answered ${res.status}`);
    let document: unknown;
    try {
      document = await res.json();
    } catch {
      throw new DiscoveryError(`${url} did not answer JSON`);
    }
    return clientOptionsOf(config, document);
  };
  return () =>
    (discovering ??= discover().catch((error: unknown) => {
      discovering = undefined;
      throw error;
    }));
}
