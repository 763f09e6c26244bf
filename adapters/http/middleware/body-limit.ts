// Request body limits: the one way a route gets its body, so an oversized body is refused while it
// streams, before it is buffered. A declared Content-Length over the limit is refused at once; a chunked
// body is counted chunk by chunk and reading stops at the limit. Either way the answer is a 413 problem
// with `Connection: close`: the rest of the upload is never read, so the connection cannot serve another
// request; it closes once the client has read the answer (lingering-close.ts).
//
// A body within a declared Content-Length is not counted again: Node's HTTP parser hands a request exactly
// that many bytes (more would be parsed as the next request and refused by the parser), and the fast path
// of @hono/node-server for reading the body stays in use.
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';
import { lingerWhenClosed } from '../lingering-close.js';
import { problem, sendProblem } from '../problem.js';

/** The limit for a request whose route takes no body (every method but POST, PUT and PATCH). */
export const NO_BODY_MAX_BYTES = 16 * 1024;

const DECIMAL = /^\d+$/;

/** Refuses a body over `maxBytes` (413); `what` names the body in the problem ("a command body"). */
export const limitBody = (maxBytes: number, what = 'the body'): MiddlewareHandler<AppEnv> => async (c, next) => {
  const tooLarge = () => refuse(c, maxBytes, what);
  const declared = c.req.header('content-length');
  const chunked = c.req.header('transfer-encoding') !== undefined;
  if (declared !== undefined && !chunked) {
    if (!DECIMAL.test(declared) || Number(declared) > maxBytes) return tooLarge();
    return next();
  }
  const body = c.req.raw.body;
  if (body === null) {
    // GET and HEAD requests reach us without a body stream (@hono/node-server never reads one), so a
    // chunked one cannot be counted here: refuse it rather than let the server read it.
    return chunked ? tooLarge() : next();
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      void reader.cancel().catch(() => {});
      return tooLarge();
    }
    chunks.push(value);
  }
  c.req.raw = new Request(c.req.raw, { body: Buffer.concat(chunks, size) });
  return next();
};

/** Every request whose route declares no body of its own may carry at most NO_BODY_MAX_BYTES. */
export const limitBodyOfBodilessMethods = (): MiddlewareHandler<AppEnv> => (c, next) =>
  BODY_METHODS.has(c.req.method) ? next() : limitBody(NO_BODY_MAX_BYTES, `the body of a ${c.req.method} request`)(c, next);

/** Methods whose routes read a body, each under its own limit (every such route registers limitBody). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function refuse(c: Context<AppEnv>, maxBytes: number, what: string): Response {
  // Under @hono/node-server the Node request is in the environment; in-process requests have none.
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming !== undefined) lingerWhenClosed(incoming.socket);
  c.header('connection', 'close');
  return sendProblem(c, problem('payload-too-large', `${what} may be at most ${maxBytes} bytes`, { maxBytes }));
}
