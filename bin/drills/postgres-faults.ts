// Drills of the server's PostgreSQL: `postgres-stop` (the private cluster crashes: immediate shutdown, then a
// start) and `postgres-partition` (the proxy between the server and PostgreSQL passes nothing, then heals),
// each for `seconds` under 8 writers. Detect: the first 503 after the fault began. Recover: the first write
// acknowledged after it ended. Then every acknowledged write must be in the log exactly once, and every
// projection must reach the log's head by itself.
import type { DrillOutcome } from '../../schemas/drill.js';
import { firstAfter, overHttp, startLoad } from './load.js';
import { openDrillStack, type DrillStack } from './stack.js';
import { settle, until } from './wait.js';

export interface PostgresFault {
  readonly name: string;
  readonly proxy: boolean;
  /** What the summary calls the fault. */
  readonly what: string;
  begin(stack: DrillStack): Promise<void>;
  end(stack: DrillStack): Promise<void>;
}

export const postgresStop: PostgresFault = {
  name: 'postgres-stop',
  proxy: false,
  what: 'PostgreSQL stopped (immediate)',
  begin: (stack) => stack.postgres.stop('immediate'),
  end: (stack) => stack.postgres.start(),
};

export const postgresPartition: PostgresFault = {
  name: 'postgres-partition',
  proxy: true,
  what: 'the network to PostgreSQL partitioned',
  begin: async (stack) => stack.proxy!.partition(),
  end: async (stack) => stack.proxy!.heal(),
};

export async function runPostgresFault(fault: PostgresFault, seconds: number, say: (line: string) => void): Promise<DrillOutcome> {
  const startedAt = new Date().toISOString();
  say(`${fault.name}: starting a private PostgreSQL cluster${fault.proxy ? ', a TCP proxy' : ''} and companyos serve`);
  const stack = await openDrillStack({ proxy: fault.proxy });
  try {
    const serve = await stack.start('serve');
    const load = startLoad(overHttp(() => serve.base), stack.token, 8, 'pg');
    const t = load.tally;
    await until('40 writes acknowledged before the fault', () => t.acked.length >= 40);
    say(`${fault.name}: ${t.acked.length} writes acknowledged; ${fault.what} for ${seconds} s`);
    await fault.begin(stack);
    const began = performance.now();
    await settle(seconds * 1000 - (performance.now() - began));
    await fault.end(stack);
    const ended = performance.now();
    say(`${fault.name}: fault over after ${((ended - began) / 1000).toFixed(1)} s; waiting for writes and projections`);
    const ackedAtEnd = t.acked.length;
    await until('40 writes acknowledged after the fault', () => t.acked.length >= ackedAtEnd + 40, 120_000);
    await load.stop();
    await until('every projection at the log head', () => stack.projectionsAtHead(), 120_000);
    const caughtUpMs = Math.round(performance.now() - ended);
    const counts = await stack.nodeEventCounts('pg-');
    const found = t.acked.filter((id) => counts.get(id) === 1).length;
    const duplicated = [...counts.values()].filter((n) => n > 1).length;
    const detectMs = firstAfter(t.unavailableAt, began);
    const recoverMs = firstAfter(t.ackedAt, ended);
    const unavailable = t.unavailableAt.filter((at) => at >= began).length;
    const clean = t.unavailableWithoutRetryAfter === 0 && t.transport === 0 && t.other.size === 0;
    const passed = detectMs !== null && recoverMs !== null && found === t.acked.length && duplicated === 0 && clean;
    await serve.stop();
    return {
      drill: fault.name,
      result: passed ? 'passed' : 'failed',
      startedAt,
      endedAt: new Date().toISOString(),
      faultMs: Math.round(ended - began),
      detectMs,
      recoverMs,
      acknowledged: t.acked.length,
      found,
      duplicated,
      summary:
        `${fault.what} for ${((ended - began) / 1000).toFixed(1)} s under 8 writers: ${unavailable} answers 503 and ${t.busy} 429` +
        `${t.unavailableWithoutRetryAfter === 0 ? ' with Retry-After' : ` (${t.unavailableWithoutRetryAfter} without Retry-After)`}, ` +
        `${t.transport} unanswered, ${[...t.other].map(([s, n]) => `${n} × ${s}`).join(', ') || 'no other errors'}; slowest answer ${Math.round(t.slowestMs)} ms; ` +
        `projections at the head ${(caughtUpMs / 1000).toFixed(1)} s after the fault ended`,
    };
  } finally {
    await stack.close();
  }
}
