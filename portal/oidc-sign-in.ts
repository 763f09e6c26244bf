// Sign-in at the operator's OpenID provider, the browser's part: send the user to the authorization
// endpoint (the state, nonce and PKCE verifier kept in this tab's sessionStorage), and when the provider
// sends them back to /portal/, check the answer, exchange the code at the token endpoint (the page's CSP
// allows that one origin), and open a session with the access token. The same round trip, with prompt=login
// and the server's max_age / acr_values, is the step-up a policy asks for (RFC 9470).
import { authorizationRequest, codeFromCallback, idTokenProblem, isCallback, tokenRequestBody, type OidcOptions, type PendingLogin, type StepUp } from './oidc.js';
import { sessionOf, type Session } from './session.js';

const PENDING = 'companyos.portal.oidc-pending';
const OPTIONS = 'companyos.portal.oidc-options';
const RETRY = 'companyos.portal.retry';

/** The portal's own address, the redirect URI registered at the provider. */
const redirectUri = (): string => `${location.origin}/portal/`;

/** Sends the browser to the provider; a step-up also says what to try again once back. */
export async function startOidcSignIn(options: OidcOptions, at: { stepUp?: StepUp; retry?: PendingLogin['retry'] } = {}): Promise<void> {
  const { url, pending } = await authorizationRequest(options, { redirectUri: redirectUri(), returnTo: location.hash, ...at });
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  sessionStorage.setItem(OPTIONS, JSON.stringify(options));
  location.assign(url);
}

/** The options of this tab's OIDC sign-in, kept for a step-up (undefined after a pasted or development token). */
export function oidcOptionsOfTab(): OidcOptions | undefined {
  const kept = sessionStorage.getItem(OPTIONS);
  return kept === null ? undefined : (JSON.parse(kept) as OidcOptions);
}

export function forgetOidcSignIn(): void {
  sessionStorage.removeItem(OPTIONS);
  sessionStorage.removeItem(RETRY);
}

/** An interrupted action is tried again only right after the sign-in it waited for, not whenever its run is opened later. */
const RETRY_WITHIN_MS = 2 * 60 * 1000;

export const isOidcCallback = (): boolean => isCallback(location.search);

/** An action a step-up interrupted, for the view it belongs to (taken once). */
export function takeRetry(path: string): { path: string; what: string } | undefined {
  const kept = sessionStorage.getItem(RETRY);
  if (kept === null) return undefined;
  const retry = JSON.parse(kept) as { path: string; what: string; at: number };
  if (!retry.path.startsWith(path)) return undefined;
  sessionStorage.removeItem(RETRY);
  return Date.now() - retry.at <= RETRY_WITHIN_MS ? { path: retry.path, what: retry.what } : undefined;
}

/**
 * Finishes the sign-in the provider answered: the session, or a message for the sign-in view. Either way
 * the code and state leave the address bar, and the view the user started from comes back.
 */
export async function finishOidcSignIn(): Promise<Session | string> {
  const search = location.search;
  const keptPending = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  const pending = keptPending === null ? undefined : (JSON.parse(keptPending) as PendingLogin);
  history.replaceState(null, '', `/portal/${pending?.returnTo ?? ''}`);
  const options = oidcOptionsOfTab();
  if (options === undefined) return 'Sign-in failed: this tab did not start a sign-in with the identity provider. Start again.';
  const answer = codeFromCallback(search, pending, options.issuer);
  if ('error' in answer) return answer.error;
  let tokens: Record<string, unknown>;
  try {
    const res = await fetch(options.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: tokenRequestBody(options, pending!, answer.code),
      cache: 'no-store',
      credentials: 'omit',
    });
    tokens = (await res.json()) as Record<string, unknown>;
    if (!res.ok) return `Sign-in failed at the token endpoint: ${String(tokens['error'] ?? res.status)}${tokens['error_description'] ? ` (${String(tokens['error_description'])})` : ''}.`;
  } catch (error) {
    return `Sign-in failed: the token endpoint did not answer (${error instanceof Error ? error.message : String(error)}).`;
  }
  const idProblem = idTokenProblem(tokens['id_token'], options, pending!.nonce);
  if (idProblem !== undefined) return `Sign-in failed: ${idProblem}.`;
  const token = tokens['access_token'];
  if (typeof token !== 'string') return 'Sign-in failed: the identity provider sent no access token.';
  const session = sessionOf(token, 'oidc');
  if (typeof session === 'string') return `Sign-in failed: the identity provider's access token is not usable here: ${session} (the provider must issue a JWT access token for this API with tenant and roles claims).`;
  if (pending!.retry !== undefined) sessionStorage.setItem(RETRY, JSON.stringify({ ...pending!.retry, at: Date.now() }));
  return session;
}
