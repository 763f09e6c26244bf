// Bearer-token authentication: a missing or invalid token ends the request with a 401 problem.
import type { MiddlewareHandler } from 'hono';
import { AuthenticationError, type TokenVerifier } from '../../auth/jwt.js';
import type { AppEnv } from '../env.js';
import { problem, sendProblem } from '../problem.js';

export const authenticate = (verifier: TokenVerifier): MiddlewareHandler<AppEnv> => async (c, next) => {
  const header = c.req.header('authorization');
  const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (token === undefined) {
    c.header('www-authenticate', 'Bearer realm="companyos"');
    return sendProblem(c, problem('unauthenticated', 'send a bearer token: Authorization: Bearer <token>'));
  }
  try {
    c.set('principal', await verifier.verify(token));
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    c.header('www-authenticate', 'Bearer realm="companyos", error="invalid_token"');
    return sendProblem(c, problem('unauthenticated', error.message));
  }
  await next();
};
