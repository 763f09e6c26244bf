// Request parts through their io-ts codec, as middleware: path parameters, the query string, or the JSON
// body (after jsonBody). A failure ends the request with a 400 naming each bad field, one `path: message`
// line per problem: `bad-query` for parameters, `validation` for a body. The decoded value is then
// `c.req.valid(target)` in the handler.
import type { MiddlewareHandler } from 'hono';
import type * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { formatValidationErrors } from '../../../schemas/validation.js';
import type { AppEnv } from '../env.js';
import { problem, sendProblem } from '../problem.js';

export type ValidationTarget = 'param' | 'query' | 'json';

function withoutExplain(query: Record<string, string>): Record<string, string> {
  if (!('explain' in query)) return query;
  const { explain: _explain, ...rest } = query;
  return rest;
}

export const validate = <T extends ValidationTarget, A>(
  target: T,
  codec: t.Decoder<unknown, A>,
): MiddlewareHandler<AppEnv, string, { out: { [K in T]: A } }> => async (c, next) => {
  // `explain` is every route's (request-info.ts: an admin's denial lists the failed conditions), not the route codec's.
  const input = target === 'param' ? c.req.param() : target === 'query' ? withoutExplain(c.req.query()) : c.req.valid('json' as never);
  const decoded = codec.decode(input);
  if (isLeft(decoded)) {
    const errors = formatValidationErrors(decoded.left);
    return sendProblem(c, problem(target === 'json' ? 'validation' : 'bad-query', errors.join('; '), { errors }));
  }
  c.req.addValidatedData(target, decoded.right as {});
  await next();
};
