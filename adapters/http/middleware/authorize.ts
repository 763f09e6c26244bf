// Authorization of a read, as middleware: the caller's own tenant's resource, through the same Cedar
// check as every command (commands/access.ts); a denial ends the request with its 403 problem (and is
// recorded as one). Runs after validate, so `resourceOf` may read the validated parameters.
import type { Context, MiddlewareHandler } from 'hono';
import { authorize, type AccessDeps } from '../../../commands/access.js';
import type { AppEnv } from '../env.js';
import { problemOf, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';
import { decisionHeaders } from '../decision-headers.js';

export interface ReadResource {
  readonly type: string;
  readonly id: string;
}

/** The route's context, its validated parameters whatever their shape (the route's codecs typed them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type RouteContext = Context<AppEnv, string, { out: { param: any; query: any } }>;

/** `authorize(action, resourceOf)` for the routes of one API; `groups` are the action groups (default `read`). */
export const readAuthorization = (access: AccessDeps, groups: readonly string[] = ['read']) =>
  (action: string, resourceOf: (c: RouteContext) => ReadResource): MiddlewareHandler<AppEnv> => async (c, next) => {
    const principal = c.get('principal');
    const { type, id } = resourceOf(c as RouteContext);
    const info = requestInfo(c);
    const answer = await authorize(
      access,
      { principal, action, actionGroups: [...groups], resource: { type, id, attributes: { tenant: principal.tenant } }, context: info.context },
      info,
    );
    if (!answer.allowed) return sendProblem(c, problemOf(answer.failure));
    decisionHeaders(c, answer.decision);
    await next();
  };
