// What the command pipeline needs to know about an HTTP request: ids and the policy context.
import type { Context } from 'hono';
import type { RequestInfo } from '../../commands/envelope.js';
import type { AppEnv } from './env.js';

const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestInfo(c: Context<AppEnv>, now: Date = new Date()): RequestInfo {
  const correlationId = c.req.header('x-correlation-id');
  const idempotencyKey = c.req.header('idempotency-key');
  return {
    requestId: c.get('requestId'),
    ...(correlationId !== undefined && SANE.test(correlationId) ? { correlationId } : {}),
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    context: { time: now.toISOString() },
  };
}
