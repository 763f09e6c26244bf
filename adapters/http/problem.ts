// RFC 9457 problem details: the one shape every HTTP error takes, with `application/problem+json`. Any
// catalogued error (domain/errors.ts) renders as one; its status and title come from the catalogue.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { domainError, type DomainError, type DomainErrorCode } from '../../domain/errors.js';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: ContentfulStatusCode;
  readonly detail?: string;
  readonly [extension: string]: unknown;
}

/** Problem type URIs are stable identifiers; `code` is the short name clients switch on. */
export const problemType = (code: string): string => `urn:companyos:problem:${code}`;

/** The problem a catalogued error (a refused command or read, a bad request, …) becomes. */
export const problemOf = (e: DomainError): Problem => ({
  type: problemType(e.code),
  title: e.title,
  status: e.status,
  detail: e.detail,
  code: e.code,
  ...(e.errors === undefined ? {} : { errors: e.errors }),
  ...e.extensions,
});

/** The problem of `code` with this occurrence's detail and any further members. */
export const problem = (code: DomainErrorCode, detail: string, extensions?: Readonly<Record<string, unknown>>): Problem =>
  problemOf(domainError(code, detail, extensions));

export function sendProblem(c: Context, p: Problem): Response {
  const requestId = c.get('requestId' as never) as string | undefined;
  const body = { ...p, instance: c.req.path, ...(requestId ? { requestId } : {}) };
  return c.body(JSON.stringify(body), p.status, { 'content-type': 'application/problem+json' });
}
