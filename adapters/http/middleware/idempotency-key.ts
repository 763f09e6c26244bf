// The Idempotency-Key header, when sent, is 1-255 visible ASCII characters, or the request ends with a
// 400 problem; the pipeline then keys the command's first result by it (request-info.ts hands it on).
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';
import { problem, sendProblem } from '../problem.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export const idempotencyKey = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const key = c.req.header('idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    return sendProblem(c, problem('bad-idempotency-key', 'the Idempotency-Key header must be 1-255 visible ASCII characters'));
  }
  await next();
};
