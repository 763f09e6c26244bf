// The benches' HTTP client for POST /v1/commands: node:http over kept-alive sockets, one per client. The
// load generator shares the host's two cores with the server and PostgreSQL; fetch (undici) spent about
// 1.4–1.9 ms of CPU per command here, half as much as the server, and what it spends the server cannot.
import { Agent, request } from 'node:http';

export interface CommandReply {
  readonly status: number;
  /** Seconds, when the server refused with Retry-After. */
  readonly retryAfter: number | undefined;
}

export interface CommandClient {
  send(type: string, body: unknown): Promise<CommandReply>;
  close(): void;
}

export function commandClient(base: string, token: string, sockets: number): CommandClient {
  const url = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const authorization = `Bearer ${token}`;
  return {
    send: (type, body) =>
      new Promise((resolve, reject) => {
        const payload = JSON.stringify(body);
        const req = request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            method: 'POST',
            path: `/v1/commands/${type}`,
            headers: { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
          },
          (res) => {
            res.resume(); // the body is not read, only drained, so the socket goes back to the pool
            res.on('end', () => {
              const retryAfter = res.headers['retry-after'];
              resolve({ status: res.statusCode ?? 0, retryAfter: retryAfter === undefined ? undefined : Number(retryAfter) });
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      }),
    close: () => agent.destroy(),
  };
}

/** Until `base`/readyz answers 200 (polled every 100 ms), or throws after `seconds`. */
export async function untilReady(base: string, seconds = 30): Promise<void> {
  for (const deadline = Date.now() + seconds * 1000; ; ) {
    if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) return;
    if (Date.now() > deadline) throw new Error(`the server at ${base} did not become ready in ${seconds} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
