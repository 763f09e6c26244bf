// A TCP proxy on loopback for network-fault tests and drills: the server under test connects to the proxy
// instead of its database, and the test adds latency, partitions the link (nothing passes in either
// direction, new connections hang, as when packets are dropped and TCP keeps retransmitting) or resets
// every connection. The database itself is untouched. Bytes are never dropped from a live connection
// (that would be a corrupted stream, which TCP does not produce): a partition holds them and delivers them
// in order when it heals, unless a side gave up meanwhile, in which case its peer is closed too.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** 127.0.0.1 port the proxy listens on. */
  readonly port: number;
  /** `target` with its host and port replaced by the proxy's (e.g. a postgres:// URL). */
  url(target: string): string;
  /** Each chunk, both directions, is delivered this much later (order kept); 0 turns it off. */
  latency(ms: number): void;
  /** Nothing passes from now on, in either direction; new connections are accepted but not forwarded. */
  partition(): void;
  /** The link works again: held bytes and held connections go through. */
  heal(): void;
  /** Every open connection is reset (RST to both ends); new ones work as before. */
  reset(): void;
  /** A stopped server, as its clients see it: every open connection is reset and new ones are refused
   * (the proxy stops listening: ECONNREFUSED), until `admit()`. */
  refuse(): Promise<void>;
  /** Listens again on the same port: new connections go through. */
  admit(): Promise<void>;
  /** Connections accepted so far, and how many are open. */
  readonly stats: { readonly accepted: number; readonly open: number };
  close(): Promise<void>;
}

interface Link {
  readonly client: Socket;
  upstream: Socket | undefined;
  dialing: boolean;
  /** Bytes waiting for the partition to heal or the upstream to connect, per direction. */
  readonly held: { up: Buffer[]; down: Buffer[] };
  /** When the last delayed chunk of each direction is due, so order holds under latency. */
  readonly due: { up: number; down: number };
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const links = new Set<Link>();
  let delayMs = 0;
  let partitioned = false;
  let accepted = 0;

  const end = (link: Link, hard: boolean) => {
    if (!links.delete(link)) return;
    for (const socket of [link.client, link.upstream]) {
      if (socket === undefined) continue;
      if (hard) socket.resetAndDestroy();
      else socket.destroy();
    }
  };

  const deliver = (link: Link, direction: 'up' | 'down', chunk: Buffer) => {
    const to = direction === 'up' ? link.upstream : link.client;
    if (to === undefined || partitioned) {
      link.held[direction].push(chunk);
      return;
    }
    if (delayMs === 0 && link.due[direction] <= Date.now()) {
      to.write(chunk);
      return;
    }
    const at = Math.max(Date.now() + delayMs, link.due[direction]);
    link.due[direction] = at;
    setTimeout(() => {
      if (partitioned) link.held[direction].push(chunk);
      else if (!to.destroyed) to.write(chunk);
    }, at - Date.now());
  };

  const flush = (link: Link) => {
    for (const direction of ['up', 'down'] as const) {
      const chunks = link.held[direction].splice(0);
      for (const chunk of chunks) deliver(link, direction, chunk);
    }
  };

  const connectUpstream = (link: Link) => {
    if (link.dialing) return;
    link.dialing = true;
    const upstream = createConnection({ host: targetHost, port: targetPort });
    upstream.setNoDelay(true);
    upstream.on('connect', () => {
      link.upstream = upstream;
      flush(link);
    });
    upstream.on('data', (chunk: Buffer) => deliver(link, 'down', chunk));
    upstream.on('error', () => end(link, true));
    upstream.on('close', () => end(link, false));
  };

  const server: Server = createServer((client) => {
    accepted++;
    client.setNoDelay(true);
    const link: Link = { client, upstream: undefined, dialing: false, held: { up: [], down: [] }, due: { up: 0, down: 0 } };
    links.add(link);
    client.on('data', (chunk: Buffer) => deliver(link, 'up', chunk));
    client.on('error', () => end(link, true));
    client.on('close', () => end(link, false));
    if (!partitioned) connectUpstream(link);
  });
  const listen = (on: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(on, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = () => new Promise<void>((resolve) => server.close(() => resolve()));
  await listen(0);
  const port = (server.address() as { port: number }).port;

  return {
    port,
    url(target) {
      const u = new URL(target);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    latency(ms) {
      delayMs = ms;
    },
    partition() {
      partitioned = true;
    },
    heal() {
      partitioned = false;
      for (const link of links) {
        connectUpstream(link);
        flush(link);
      }
    },
    reset() {
      for (const link of [...links]) end(link, true);
    },
    async refuse() {
      if (!server.listening) return;
      const stopped = stopListening();
      for (const link of [...links]) end(link, true);
      await stopped;
    },
    async admit() {
      if (!server.listening) await listen(port);
    },
    get stats() {
      return { accepted, open: links.size };
    },
    async close() {
      for (const link of [...links]) end(link, true);
      await stopListening();
    },
  };
}
