// The drills' load: writers that upsert fresh graph nodes over HTTP and re-send each with the same
// Idempotency-Key until it is acknowledged, as a client honouring 503 and Retry-After does, tallying every
// answer with the time it came. What they were told is later compared with what the log holds.
export interface Tally {
  /** Node ids acknowledged (201 or 200), in order, and when (performance.now()). */
  readonly acked: string[];
  readonly ackedAt: number[];
  /** When each 503 came, and how many 503 and 429 answers lacked Retry-After. */
  readonly unavailableAt: number[];
  unavailableWithoutRetryAfter: number;
  /** 429 answers: the tenant's share of commands in flight was full (commands that timed out still hold theirs). */
  busy: number;
  /** Requests the server did not answer (connection refused or cut). */
  transport: number;
  /** Answers other than 201, 200, 429 and 503, by status. */
  readonly other: Map<number, number>;
  slowestMs: number;
}

export interface Load {
  readonly tally: Tally;
  /** Lets each writer finish its current write, then resolves. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const nodeBody = (id: string) => ({
  id,
  type: 'Service',
  region: 'us-east',
  attributes: { name: id },
  provenance: { sourceSystem: 'companyos-drill', observedAt: '2026-01-01T00:00:00Z' },
});

/** How the writers reach the server: over HTTP, or in process (hono's app.request). */
export type Send = (path: string, init: RequestInit) => Promise<Response>;

/** Over HTTP to `base()` (a function: the server may move). */
export const overHttp = (base: () => string): Send => (path, init) => fetch(`${base()}${path}`, init);

/**
 * `writers` writers, node ids `<prefix>-w<n>-<i>`, each pausing `pauseMs` after an acknowledged write (in
 * process, on embedded stores, a write may never leave the microtask queue: the pause lets timers run).
 */
export function startLoad(send: Send, token: string, writers: number, prefix: string, pauseMs = 0): Load {
  const tally: Tally = { acked: [], ackedAt: [], unavailableAt: [], unavailableWithoutRetryAfter: 0, busy: 0, transport: 0, other: new Map(), slowestMs: 0 };
  let stopping = false;
  const one = async (w: number): Promise<void> => {
    for (let i = 0; !stopping; i++) {
      const id = `${prefix}-w${w}-${i}`;
      const body = JSON.stringify(nodeBody(id));
      for (;;) {
        const started = performance.now();
        let status: number | 'transport';
        let retryAfter: string | null = null;
        try {
          const res = await send('/v1/commands/graph.node.upsert', {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `drill:${id}` },
            body,
          });
          await res.arrayBuffer();
          status = res.status;
          retryAfter = res.headers.get('retry-after');
        } catch {
          status = 'transport';
        }
        const now = performance.now();
        tally.slowestMs = Math.max(tally.slowestMs, now - started);
        if (status === 201 || status === 200) {
          tally.acked.push(id);
          tally.ackedAt.push(now);
          if (pauseMs > 0) await sleep(pauseMs);
          break;
        }
        if (status === 'transport') tally.transport++;
        else if (status === 503 || status === 429) {
          if (status === 503) tally.unavailableAt.push(now);
          else tally.busy++;
          if (retryAfter === null) tally.unavailableWithoutRetryAfter++;
        } else tally.other.set(status, (tally.other.get(status) ?? 0) + 1);
        // A tenth of Retry-After: the drill wants to see many answers during a fault.
        await sleep(status === 503 || status === 429 ? Math.min(1000, 1000 * Number(retryAfter ?? 1)) / 10 : 100);
      }
    }
  };
  const running = Promise.all(Array.from({ length: writers }, (_, w) => one(w)));
  return {
    tally,
    async stop() {
      stopping = true;
      await running;
    },
  };
}

/** The first time in `times` after `from`, as milliseconds after it; null when there is none. */
export const firstAfter = (times: readonly number[], from: number): number | null => {
  const later = times.filter((at) => at >= from);
  return later.length === 0 ? null : Math.round(Math.min(...later) - from);
};
