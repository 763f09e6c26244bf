// The signed-in user in this tab: the bearer token, kept in sessionStorage (gone when the tab closes, never
// in a cookie, so no other site can make this browser use it). The claims shown here are read from the token
// for display only; the server verifies it on every call, and the tenant it answers for is the token's.
// A session opened at the operator's OpenID provider can be renewed there (a step-up); a pasted or
// development token cannot.
const KEY = 'companyos.portal.token';
const SOURCE = 'companyos.portal.token-source';

/** Where the token came from: the OpenID provider (code + PKCE in this tab), or pasted / development sign-in. */
export type TokenSource = 'oidc' | 'token';

export interface Session {
  readonly token: string;
  readonly tenant: string;
  readonly subject: string;
  readonly roles: readonly string[];
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
  readonly source: TokenSource;
}

const base64UrlJson = (part: string): unknown => {
  const b64 = part.replaceAll('-', '+').replaceAll('_', '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
};

/** The session a token opens, or why it cannot (not a JWT, no tenant, expired). */
export function sessionOf(token: string, source: TokenSource = 'token', now = Date.now()): Session | string {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return 'not a JSON Web Token (three dot-separated parts)';
  let claims: Record<string, unknown>;
  try {
    claims = base64UrlJson(parts[1]!) as Record<string, unknown>;
  } catch {
    return 'the token\'s claims are not readable JSON';
  }
  const { tenant, sub, roles, exp } = claims;
  if (typeof tenant !== 'string' || typeof sub !== 'string' || !Array.isArray(roles) || typeof exp !== 'number') return 'the token has no tenant, subject, roles or expiry';
  if (exp * 1000 <= now) return 'the token has expired';
  return { token: token.trim(), tenant, subject: sub, roles: roles.map(String), expiresAt: exp * 1000, source };
}

export function loadSession(): Session | undefined {
  const token = sessionStorage.getItem(KEY);
  if (token === null) return undefined;
  const session = sessionOf(token, sessionStorage.getItem(SOURCE) === 'oidc' ? 'oidc' : 'token');
  if (typeof session === 'string') {
    clearSession();
    return undefined;
  }
  return session;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, session.token);
  sessionStorage.setItem(SOURCE, session.source);
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(SOURCE);
}

/** Roles that may change something; anyone else (an auditor, a viewer) is shown no write controls. */
const WRITERS = ['admin', 'operator', 'release-manager'];
export const mayAct = (session: Session): boolean => session.roles.some((r) => WRITERS.includes(r));
