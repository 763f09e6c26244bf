// RFC 9457 problem details: the one shape every HTTP error takes, with `application/problem+json`.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Failure } from '../../commands/failure.js';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: ContentfulStatusCode;
  readonly detail?: string;
  readonly [extension: string]: unknown;
}

/** Problem type URIs are stable identifiers; `code` is the short name clients switch on. */
export const problemType = (code: string): string => `urn:companyos:problem:${code}`;

export function problem(
  status: ContentfulStatusCode,
  code: string,
  title: string,
  detail?: string,
  extensions: Readonly<Record<string, unknown>> = {},
): Problem {
  return { type: problemType(code), title, status, ...(detail === undefined ? {} : { detail }), code, ...extensions };
}

/** The problem a refused command or read becomes. */
export const problemOf = (f: Failure): Problem => problem(f.status, f.code, f.title, f.detail, f.extensions);

export function sendProblem(c: Context, p: Problem): Response {
  const requestId = c.get('requestId' as never) as string | undefined;
  const body = { ...p, instance: c.req.path, ...(requestId ? { requestId } : {}) };
  return c.body(JSON.stringify(body), p.status, { 'content-type': 'application/problem+json' });
}
