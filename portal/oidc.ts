// OpenID Connect authorization code + PKCE (RFC 7636, S256), the pure part: the authorization request with
// its state, nonce and code verifier; the callback's parameters checked against the request this tab
// started; the ID token's nonce, issuer and audience; and RFC 9470's step-up challenge read from a
// WWW-Authenticate header. No storage, no navigation, no fetch here (oidc-sign-in.ts does those), so each
// rule is tested beside it without a browser.

/** The client settings GET /portal/session-options serves (from the operator's settings and the issuer's discovery document). */
export interface OidcOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly scope: string;
  readonly resource?: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
}

/** RFC 9470: what a fresher or stronger login must satisfy. */
export interface StepUp {
  readonly maxAge?: number;
  readonly acrValues?: readonly string[];
}

/** A sign-in this tab started and has not finished: kept in sessionStorage until the provider sends the user back. */
export interface PendingLogin {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly redirectUri: string;
  /** The portal's fragment to return to (#/runs/<id>). */
  readonly returnTo: string;
  /** An action to try again with the new token (a step-up's approve or cancel). */
  readonly retry?: { readonly path: string; readonly what: string };
}

const base64url = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

/** 32 random bytes as base64url: 43 characters, a valid code verifier (RFC 7636 §4.1) and an unguessable state or nonce. */
export const randomToken = (): string => base64url(crypto.getRandomValues(new Uint8Array(32)));

/** RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))). */
export async function codeChallenge(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** The authorization request's URL (and the record to keep until the callback); a step-up adds prompt=login, max_age and acr_values. */
export async function authorizationRequest(
  options: OidcOptions,
  at: { redirectUri: string; returnTo: string; stepUp?: StepUp; retry?: PendingLogin['retry'] },
  random: () => string = randomToken,
): Promise<{ url: string; pending: PendingLogin }> {
  const pending: PendingLogin = {
    state: random(),
    nonce: random(),
    verifier: random(),
    redirectUri: at.redirectUri,
    returnTo: at.returnTo,
    ...(at.retry === undefined ? {} : { retry: at.retry }),
  };
  const url = new URL(options.authorizationEndpoint);
  const params: [string, string][] = [
    ['response_type', 'code'],
    ['client_id', options.clientId],
    ['redirect_uri', at.redirectUri],
    ['scope', options.scope],
    ['state', pending.state],
    ['nonce', pending.nonce],
    ['code_challenge', await codeChallenge(pending.verifier)],
    ['code_challenge_method', 'S256'],
  ];
  if (options.resource !== undefined) params.push(['resource', options.resource]);
  if (at.stepUp !== undefined) {
    params.push(['prompt', 'login']);
    if (at.stepUp.maxAge !== undefined) params.push(['max_age', String(at.stepUp.maxAge)]);
    if (at.stepUp.acrValues !== undefined && at.stepUp.acrValues.length > 0) params.push(['acr_values', at.stepUp.acrValues.join(' ')]);
  }
  for (const [k, v] of params) url.searchParams.set(k, v);
  return { url: url.href, pending };
}

/** True when the page was opened by the provider sending the user back (a `state` with a `code` or an `error`). */
export const isCallback = (search: string): boolean => {
  const q = new URLSearchParams(search);
  return q.has('state') && (q.has('code') || q.has('error'));
};

/** The authorization code from the callback's query, or a message for the sign-in view (the provider's error, or a state this tab did not send). */
export function codeFromCallback(search: string, pending: PendingLogin | undefined, issuer: string): { code: string } | { error: string } {
  const q = new URLSearchParams(search);
  const state = q.get('state');
  if (pending === undefined || state !== pending.state) return { error: 'Sign-in failed: the identity provider\'s answer does not match a sign-in started in this tab (state mismatch). Start again.' };
  // RFC 9207: a provider that names itself in the answer must be the one asked.
  const iss = q.get('iss');
  if (iss !== null && iss !== issuer) return { error: `Sign-in failed: the answer came from ${iss}, not ${issuer}.` };
  const error = q.get('error');
  if (error !== null) {
    const description = q.get('error_description');
    const what = error === 'access_denied' ? 'access was denied' : error === 'login_required' ? 'a login is required' : error;
    return { error: `Sign-in failed at the identity provider: ${what}${description === null || description === '' ? '' : ` (${description})`}.` };
  }
  const code = q.get('code');
  return code === null || code === '' ? { error: 'Sign-in failed: the identity provider sent no authorization code.' } : { code };
}

/** The token request's form body (authorization_code grant, public client, the PKCE verifier). */
export function tokenRequestBody(options: OidcOptions, pending: PendingLogin, code: string): URLSearchParams {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: pending.redirectUri,
    client_id: options.clientId,
    code_verifier: pending.verifier,
  });
  if (options.resource !== undefined) body.set('resource', options.resource);
  return body;
}

const claimsOf = (jwt: string): Record<string, unknown> | undefined => {
  const part = jwt.split('.')[1];
  if (part === undefined) return undefined;
  try {
    const b64 = part.replaceAll('-', '+').replaceAll('_', '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const claims: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))));
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Why the ID token does not belong to this sign-in, or undefined. It came straight from the token endpoint
 * over the connection this page opened (OpenID Connect Core §3.1.3.7 lets TLS stand in for its signature);
 * the nonce ties it to this tab's request, issuer and audience to this provider and client.
 */
export function idTokenProblem(idToken: unknown, options: OidcOptions, nonce: string): string | undefined {
  if (typeof idToken !== 'string') return 'the identity provider sent no ID token (is "openid" in the scope?)';
  const claims = claimsOf(idToken);
  if (claims === undefined) return 'the ID token is not readable';
  if (claims['iss'] !== options.issuer) return `the ID token names issuer ${String(claims['iss'])}, not ${options.issuer}`;
  const aud = claims['aud'];
  if (!(aud === options.clientId || (Array.isArray(aud) && aud.includes(options.clientId)))) return 'the ID token is not for this client';
  if (claims['nonce'] !== nonce) return 'the ID token\'s nonce does not match this sign-in';
  return undefined;
}

/**
 * RFC 9470 §3: the step-up a WWW-Authenticate header asks for (`error="insufficient_user_authentication"`
 * with max_age and/or acr_values), or undefined when it asks for none.
 */
export function stepUpOf(header: string | null): StepUp | undefined {
  if (header === null || !/\berror="?insufficient_user_authentication"?/.test(header)) return undefined;
  const param = (name: string) => new RegExp(`\\b${name}=(?:"([^"]*)"|([^\\s,]+))`).exec(header);
  const maxAge = param('max_age');
  const acr = param('acr_values');
  const age = maxAge === null ? undefined : Number(maxAge[1] ?? maxAge[2]);
  const acrValues = acr === null ? undefined : (acr[1] ?? acr[2] ?? '').split(' ').filter((v) => v !== '');
  return {
    ...(age !== undefined && Number.isSafeInteger(age) && age >= 0 ? { maxAge: age } : {}),
    ...(acrValues !== undefined && acrValues.length > 0 ? { acrValues } : {}),
  };
}

/** The step-up as words for someone who cannot be sent back to the provider (a pasted or development token). */
export function stepUpInWords(stepUp: StepUp): string {
  const parts: string[] = [];
  if (stepUp.maxAge !== undefined) parts.push(`a login within the last ${stepUp.maxAge >= 120 ? `${Math.round(stepUp.maxAge / 60)} minutes` : `${stepUp.maxAge} seconds`}`);
  if (stepUp.acrValues !== undefined) parts.push(`authentication of class ${stepUp.acrValues.join(' or ')}`);
  return parts.length === 0 ? 'a fresher sign-in' : parts.join(' and ');
}
