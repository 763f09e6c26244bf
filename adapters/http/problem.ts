// RFC 9457 problem details: the one shape every HTTP error takes, with `application/problem+json`. Any
// catalogued error (domain/errors.ts) renders as one; its status and title come from the catalogue.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { domainError, type DomainError, type DomainErrorCode } from '../../domain/errors.js';
import { stepUpChallenge } from './step-up-challenge.js';

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
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  // A denial names its decision in headers too; a step-up denial is an RFC 9470 challenge.
  if (typeof p['decisionId'] === 'string' && typeof p['policyVersion'] === 'string') {
    headers['x-decision-id'] = p['decisionId'];
    headers['x-policy-version'] = p['policyVersion'];
  }
  if (p['code'] === 'insufficient-user-authentication') {
    const maxAge = p['maxAge'];
    const acrValues = p['acrValues'];
    headers['www-authenticate'] = stepUpChallenge({
      description: p.detail ?? p.title,
      ...(typeof maxAge === 'number' ? { maxAge } : {}),
      ...(Array.isArray(acrValues) ? { acrValues: acrValues.map(String) } : {}),
    });
  }
  return c.body(JSON.stringify(body), p.status, headers);
}
