// A small deploy target for the canary demo: POST /traffic shifts traffic to a weight (deduplicated by
// Idempotency-Key, as a real deploy API should be), GET /health fails once traffic is at 50% or more.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CanaryTarget {
  readonly url: string;
  /** The traffic weight now (percent on the new artifact). */
  weight(): number;
  /** Requests seen per idempotency key (a key seen twice had its effect once). */
  readonly calls: ReadonlyMap<string, number>;
  /** Every effect, in order: the weight each new key set. */
  readonly shifts: readonly { readonly key: string; readonly weight: number }[];
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body.length < 64 * 1024 ? (body += chunk) : undefined));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });

/** Starts the target on `port` (0: a free one) of 127.0.0.1; `delayMs` slows every shift (the crash test uses it). */
export async function startCanaryTarget(options: { readonly port?: number; readonly delayMs?: number; readonly unhealthyAt?: number } = {}): Promise<CanaryTarget> {
  let weight = 0;
  const calls = new Map<string, number>();
  const answers = new Map<string, string>();
  const shifts: { key: string; weight: number }[] = [];
  const unhealthyAt = options.unhealthyAt ?? 50;
  const server = createServer(async (req, res) => {
    const send = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') {
      return weight >= unhealthyAt ? send(503, { healthy: false, weight, errorRate: 0.071, reason: 'error rate 7.1% exceeds the 0.1% budget' }) : send(200, { healthy: true, weight, errorRate: 0.0004 });
    }
    if (req.method === 'POST' && path === '/traffic') {
      const key = req.headers['idempotency-key'];
      const raw = await readBody(req);
      if (typeof key !== 'string' || key === '') return send(400, { error: 'Idempotency-Key required' });
      calls.set(key, (calls.get(key) ?? 0) + 1);
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      const seen = answers.get(key);
      if (seen !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json', 'idempotent-replayed': 'true' });
        return res.end(seen);
      }
      let body: { weight?: unknown; artifact?: unknown };
      try {
        body = JSON.parse(raw) as typeof body;
      } catch {
        return send(400, { error: 'body is not JSON' });
      }
      if (typeof body.weight !== 'number' || body.weight < 0 || body.weight > 100) return send(400, { error: 'weight must be 0-100' });
      weight = body.weight;
      shifts.push({ key, weight });
      const artifact = typeof body.artifact === 'string' ? body.artifact : undefined;
      // What the run used, for the provenance graph (commands/maestro/run-graph.ts reads `consumes`).
      const answer = JSON.stringify({ weight, ...(artifact ? { artifact, consumes: [{ type: 'Artifact', id: `artifact:${artifact}` }] } : {}) });
      answers.set(key, answer);
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(answer);
    }
    send(404, { error: `no route ${req.method} ${path}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    weight: () => weight,
    calls,
    shifts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
