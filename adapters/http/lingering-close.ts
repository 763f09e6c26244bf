// Closing a connection whose request is still arriving. Closing a socket with unread data resets the
// connection, and a reset can destroy the answer before the client has read it (a 413 for an upload,
// a 400 for a request the parser refused). Ending our side first does not help: a client still sending
// takes the FIN as an error and may drop the answer with it. So the server writes its answer, reads
// nothing more, and closes after a short linger (the client has read the answer by then), or as soon as
// the client closes.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** How long a refused connection stays open for its client to read the answer. */
export const LINGER_MS = 1000;

/** After the answer is written: destroys the socket after LINGER_MS, or once the client has closed it. */
export function lingerThenClose(socket: Duplex): void {
  socket.pause();
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
}

/**
 * Node closes the socket of a `Connection: close` response as soon as the response is written
 * (socket.destroySoon); for this socket, it lingers instead.
 */
export function lingerWhenClosed(socket: Socket): void {
  socket.destroySoon = () => lingerThenClose(socket);
}
