// What the outage tests share: `companyos serve` as a child process on stores the test owns, writers that
// send commands over HTTP the way a client honouring 503 does and tally every answer, and bounded waits.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import * as assert from 'uvu/assert';
import { issueDevelopmentToken } from '../adapters/auth/jwt.js';
import { exited, printed } from './child-process.js';
import { freePort } from './free-port.js';

const root = resolve(import.meta.dirname, '..');
const SECRET = 'outage-secret-outage-secret-outage-secret';
const T0 = '2026-01-01T00:00:00Z';
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ServeChild {
  readonly child: ChildProcess;
  /** http://127.0.0.1:<port> */
  readonly base: string;
  /** SIGTERM, and waits for the exit (no-op once it has exited). */
  stop(): Promise<void>;
}

/** `companyos serve` with `env` over a clean environment (no EVENTSTORE_URL, CLICKHOUSE_URL, NATS_URL unless given). */
export async function startServe(env: Readonly<Record<string, string>>): Promise<ServeChild> {
  const port = await freePort();
  const full: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'EVENTSTORE_URL', 'CLICKHOUSE_URL', 'NATS_URL', 'COMPANYOS_PG_SCHEMA']) delete full[name];
  Object.assign(full, { PORT: String(port), COMPANYOS_JWT_SECRET: SECRET, COMPANYOS_COMMAND_TIMEOUT: '5' }, env);
  const child = spawn(process.execPath, ['bin/companyos.js', 'serve'], { cwd: root, env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.resume();
  await printed(child, 'companyos: listening', 180_000);
  child.stdout!.resume();
  return {
    child,
    base: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited(child, 60_000).catch(() => undefined);
    },
  };
}

export const tokenFor = (tenant: string): Promise<string> =>
  issueDevelopmentToken(new TextEncoder().encode(SECRET), { issuer: 'companyos-dev', audience: 'companyos' }, { tenant, roles: ['editor'], region: 'us-east', subject: 'writer' }, Math.floor(Date.now() / 1000));

/** A graph.node.upsert body for `id`. */
export const nodeBody = (id: string, sourceSystem = 'outage-test') => ({ id, type: 'Service', region: 'us-east', attributes: { name: id }, provenance: { sourceSystem, observedAt: T0 } });

/** What the writers saw. */
export interface Tally {
  readonly acked: string[];
  /** When each acknowledgement arrived (performance.now()). */
  readonly ackedAt: number[];
  unavailable: number;
  unavailableWithoutRetryAfter: number;
  transport: number;
  slowestMs: number;
  readonly other: Map<number, number>;
}
export const tally = (): Tally => ({ acked: [], ackedAt: [], unavailable: 0, unavailableWithoutRetryAfter: 0, transport: 0, slowestMs: 0, other: new Map() });

/**
 * A writer: node upserts with fresh ids `svc:<name>-<i>`, each re-sent with the same Idempotency-Key until
 * acknowledged (201 or 200), as a client honouring 503 does (here after 50 ms, to see many answers during
 * an outage). Ends when `done()` says so after an acknowledgement, or at a transport error when
 * `endAtTransportError`.
 */
export async function writer(base: () => string, name: string, token: string, t: Tally, done: () => boolean, endAtTransportError: boolean): Promise<void> {
  for (let i = 0; !done(); i++) {
    const id = `svc:${name}-${i}`;
    const body = JSON.stringify(nodeBody(id));
    for (;;) {
      const started = performance.now();
      let status: number | 'transport';
      let retryAfter: string | null = null;
      try {
        const res = await fetch(`${base()}/v1/commands/graph.node.upsert`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `outage:${id}` },
          body,
        });
        await res.arrayBuffer();
        status = res.status;
        retryAfter = res.headers.get('retry-after');
      } catch {
        status = 'transport';
      }
      t.slowestMs = Math.max(t.slowestMs, performance.now() - started);
      if (status === 201 || status === 200) {
        t.acked.push(id);
        t.ackedAt.push(performance.now());
        break;
      }
      if (status === 'transport') {
        t.transport++;
        if (endAtTransportError) return;
      } else if (status === 503) {
        t.unavailable++;
        if (retryAfter === null) t.unavailableWithoutRetryAfter++;
      } else t.other.set(status, (t.other.get(status) ?? 0) + 1);
      await sleep(50);
    }
  }
}

/** Polls `condition` every 50 ms; fails the test after `limitMs` saying `what` never happened. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, limitMs = 60_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!(await condition())) {
    if (performance.now() > deadline) assert.unreachable(`${what} did not happen within ${limitMs / 1000} s`);
    await sleep(50);
  }
}

/** GET /readyz: status and body; status 0 when the server does not answer. */
export const readyz = async (base: string): Promise<{ status: number; body: any }> => {
  try {
    const res = await fetch(`${base}/readyz`);
    return { status: res.status, body: await res.json() };
  } catch {
    return { status: 0, body: undefined };
  }
};

/** A suite hook whose error is printed: uvu drops an error thrown by a `before` hook without a word. */
export const loudly = (hook: () => Promise<void>) => async (): Promise<void> => {
  try {
    await hook();
  } catch (error) {
    console.error('outage test set-up failed:', error);
    throw error;
  }
};
