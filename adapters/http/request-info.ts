// What the command pipeline needs to know about an HTTP request: ids and the policy context.
import type { Context } from 'hono';
import type { RequestInfo } from '../../commands/envelope.js';
import type { AppEnv } from './env.js';

const SANE = /^[A-Za-z0-9._:-]{1,128}$/;
/** X-Purpose: a short declared purpose (e.g. `support-ticket:4711`), printable ASCII. */
const PURPOSE = /^[\x21-\x7E][\x20-\x7E]{0,127}$/;

export function requestInfo(c: Context<AppEnv>, now: Date = new Date()): RequestInfo {
  const correlationId = c.req.header('x-correlation-id');
  const idempotencyKey = c.req.header('idempotency-key');
  const purpose = c.req.header('x-purpose')?.trim();
  return {
    requestId: c.get('requestId'),
    ...(correlationId !== undefined && SANE.test(correlationId) ? { correlationId } : {}),
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    context: { time: now.toISOString(), ...(purpose !== undefined && PURPOSE.test(purpose) ? { purpose } : {}) },
    ...(c.req.query('explain') === 'true' ? { explain: true } : {}),
  };
}
