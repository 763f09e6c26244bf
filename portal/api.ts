// The portal's calls to the /v1 API: the bearer token on each, problems (RFC 9457) turned into errors that
// carry their title and detail, a 401 signing the tab out unless it is a step-up challenge (RFC 9470: the
// sign-in is valid but not fresh or strong enough for this action), which the error carries instead.
import { stepUpOf, type StepUp } from './oidc.js';
import type { Session } from './session.js';

export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Readonly<Record<string, unknown>>, readonly stepUp?: StepUp) {
    super(`${String(problem['title'] ?? `HTTP ${status}`)}${problem['detail'] === undefined ? '' : `: ${String(problem['detail'])}`}`);
  }
}

let onUnauthenticated: () => void = () => {};
export const whenUnauthenticated = (f: () => void): void => {
  onUnauthenticated = f;
};

export async function call(session: Session | undefined, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (session !== undefined) headers.set('authorization', `Bearer ${session.token}`);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  const res = await fetch(path, { ...init, headers, cache: 'no-store' });
  if (res.ok) return res;
  let problem: Record<string, unknown> = {};
  try {
    problem = (await res.json()) as Record<string, unknown>;
  } catch {
    // not a problem document
  }
  const stepUp = res.status === 401 ? stepUpOf(res.headers.get('www-authenticate')) : undefined;
  if (res.status === 401 && session !== undefined && stepUp === undefined && problem['code'] !== 'insufficient-user-authentication') onUnauthenticated();
  throw new ApiError(res.status, problem, stepUp);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const getJson = async <T = any>(session: Session | undefined, path: string, init?: RequestInit): Promise<T> => (await call(session, path, init)).json() as Promise<T>;
export const getText = async (session: Session | undefined, path: string): Promise<string> => (await call(session, path)).text();

/** Saves a response's body as a file (the browser's download), named by the server's content-disposition or `fallback`. */
export async function download(res: Response, fallback: string): Promise<void> {
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallback;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
