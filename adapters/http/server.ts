// The HTTP server: the hono app on @hono/node-server, plus what happens before hono sees a request.
// Node's parser refuses a request whose head is too large (431) or malformed (400) on its own, with an
// empty body; here those answers are RFC 9457 problems like every other. A port already in use fails
// the start with one line instead of leaving a process that serves nothing.
import { createAdaptorServer } from '@hono/node-server';
import type { Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { lingerThenClose } from './lingering-close.js';
import { problem, type Problem } from './problem.js';

export interface HttpServerOptions {
  /** `env` carries the Node request and response (@hono/node-server's bindings): pass it on to the app. */
  readonly fetch: (request: Request, env: unknown) => Response | Promise<Response>;
  readonly port: number;
  readonly hostname: string;
}

/** A start-up failure worth one line (the port is taken, or may not be bound). */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

/** Listens on `port`; rejects with a ListenError when it cannot. */
export async function startHttpServer(options: HttpServerOptions): Promise<Server> {
  const server = createAdaptorServer({ fetch: options.fetch }) as Server;
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      server.off('listening', listening);
      reject(new ListenError(listenFailure(error, options)));
    };
    const listening = () => {
      server.off('error', failed);
      resolve();
    };
    server.once('error', failed);
    server.once('listening', listening);
    server.listen(options.port, options.hostname);
  });
  return server;
}

function listenFailure(error: NodeJS.ErrnoException, { port, hostname }: HttpServerOptions): string {
  if (error.code === 'EADDRINUSE') return `port ${port} is already in use (${hostname}:${port}); stop the other process or set PORT`;
  if (error.code === 'EACCES') return `port ${port} may not be bound by this user; set PORT to 1024 or above`;
  return `cannot listen on ${hostname}:${port}: ${error.message}`;
}

/** The problem for what Node's parser refused; its catalogued title is the status line's reason phrase. */
function refusalOf(code: string | undefined): Problem {
  if (code === 'HPE_HEADER_OVERFLOW') return problem('headers-too-large', 'the request line and headers may be at most 16 KiB together');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return problem('request-timeout', 'the request did not arrive in time');
  return problem('bad-request', 'the request is not valid HTTP/1.1');
}

// The parser may report more errors for the same connection (every further chunk fails to parse);
// it gets one answer.
const answered = new WeakSet<Duplex>();

function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (answered.has(socket)) return;
  answered.add(socket);
  // Read no more of what cannot be parsed.
  socket.pause();
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  // A request before this one (pipelined on the connection) is still being answered: its response goes
  // first, or the client would take the refusal for it.
  const pending = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  if (pending !== undefined && pending !== null && !pending.writableFinished) {
    let refused = false;
    const once = () => {
      if (!refused) refuse(socket, error);
      refused = true;
    };
    pending.once('finish', once);
    pending.once('close', once);
    return;
  }
  refuse(socket, error);
}

function refuse(socket: Duplex, error: NodeJS.ErrnoException): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const r = refusalOf(error.code);
  const body = JSON.stringify(r);
  socket.write(
    `HTTP/1.1 ${r.status} ${r.title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `connection: close\r\n\r\n${body}`,
  );
  lingerThenClose(socket);
}
