// Drill `kill-serve`: `companyos serve` is killed with SIGKILL under 8 writers, stays dead for `seconds`, and
// is started again; the writers re-send each unanswered write with its Idempotency-Key. Detect: the first
// request left unanswered. Recover: from the restart (its start-up included) to the first write
// acknowledged. Found: acknowledged writes in the log exactly once, writes cut off by the kill included.
import type { DrillOutcome } from '../../schemas/drill.js';
import { exited } from '../../test/child-process.js';
import { overHttp, startLoad } from './load.js';
import { openDrillStack } from './stack.js';
import { settle, until } from './wait.js';

export async function runKillServe(seconds: number, say: (line: string) => void): Promise<DrillOutcome> {
  const startedAt = new Date().toISOString();
  say('kill-serve: starting a private PostgreSQL cluster and companyos serve');
  const stack = await openDrillStack({ proxy: false });
  try {
    let serve = await stack.start('serve');
    const unanswered: number[] = [];
    const send = overHttp(() => serve.base);
    const load = startLoad(
      (path, init) => send(path, init).catch((error: unknown) => (unanswered.push(performance.now()), Promise.reject(error))),
      stack.token,
      8,
      'ks',
    );
    const t = load.tally;
    await until('40 writes acknowledged', () => t.acked.length >= 40);
    say(`kill-serve: ${t.acked.length} writes acknowledged; SIGKILL to companyos serve (pid ${serve.child.pid})`);
    const killed = performance.now();
    serve.child.kill('SIGKILL');
    await exited(serve.child, 30_000);
    await until('a request left unanswered', () => unanswered.some((at) => at >= killed), 30_000);
    const detectMs = Math.round(Math.min(...unanswered.filter((at) => at >= killed)) - killed);
    await settle(seconds * 1000 - (performance.now() - killed));
    const restarted = performance.now();
    serve = await stack.start('serve');
    await until('a write acknowledged after the restart', () => t.ackedAt.some((at) => at >= restarted), 120_000);
    const recoverMs = Math.round(Math.min(...t.ackedAt.filter((at) => at >= restarted)) - restarted);
    const ackedAtRestart = t.acked.length;
    await until('40 more writes acknowledged', () => t.acked.length >= ackedAtRestart + 40, 120_000);
    await load.stop();
    const counts = await stack.nodeEventCounts('ks-');
    const found = t.acked.filter((id) => counts.get(id) === 1).length;
    const duplicated = [...counts.values()].filter((n) => n > 1).length;
    const extra = counts.size - found;
    await serve.stop();
    return {
      drill: 'kill-serve',
      result: found === t.acked.length && duplicated === 0 && extra === 0 && t.other.size === 0 ? 'passed' : 'failed',
      startedAt,
      endedAt: new Date().toISOString(),
      faultMs: Math.round(restarted - killed),
      detectMs,
      recoverMs,
      acknowledged: t.acked.length,
      found,
      duplicated,
      summary:
        `companyos serve SIGKILLed under 8 writers and restarted ${((restarted - killed) / 1000).toFixed(1)} s later: ${t.transport} requests unanswered meanwhile, ` +
        `each re-sent with its Idempotency-Key; ${extra} writes in the log that no writer was told of; slowest answer ${Math.round(t.slowestMs)} ms`,
    };
  } finally {
    await stack.close();
  }
}
