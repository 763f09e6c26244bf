// Gives every request an id (the caller's X-Request-Id when it is sane) and echoes it back;
// the id is sealed into events as meta.requestId.
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';

const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

export const requestId = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const given = c.req.header('x-request-id');
  const id = given !== undefined && SANE.test(given) ? given : randomUUID();
  c.set('requestId', id);
  c.header('x-request-id', id);
  await next();
};
