// Drill `kill-projector`: `companyos serve --no-projectors` takes writes while a separate `companyos project`
// follows the log; the projector process is killed with SIGKILL mid-load, left dead for `seconds`, and
// started again. Detect: the kill seen (the process gone). Recover: from the restart to every projection at
// the log's head. Found: acknowledged writes in the graph read model (and in the log exactly once).
import type { DrillOutcome } from '../../schemas/drill.js';
import { exited } from '../../test/child-process.js';
import { overHttp, startLoad } from './load.js';
import { openDrillStack } from './stack.js';
import { settle, until } from './wait.js';

export async function runKillProjector(seconds: number, say: (line: string) => void): Promise<DrillOutcome> {
  const startedAt = new Date().toISOString();
  say('kill-projector: starting a private PostgreSQL cluster, companyos serve --no-projectors and companyos project');
  const stack = await openDrillStack({ proxy: false });
  try {
    const serve = await stack.start('serve', ['--no-projectors']);
    let project = await stack.start('project');
    const load = startLoad(overHttp(() => serve.base), stack.token, 8, 'kp');
    const t = load.tally;
    await until('40 writes acknowledged', () => t.acked.length >= 40);
    say(`kill-projector: ${t.acked.length} writes acknowledged; SIGKILL to companyos project (pid ${project.child.pid})`);
    const killed = performance.now();
    project.child.kill('SIGKILL');
    await exited(project.child, 30_000);
    const detectMs = Math.round(performance.now() - killed);
    await settle(seconds * 1000 - (performance.now() - killed));
    const restarted = performance.now();
    project = await stack.start('project');
    await load.stop();
    await until('every projection at the log head', () => stack.projectionsAtHead(), 120_000);
    const recoverMs = Math.round(performance.now() - restarted);
    const counts = await stack.nodeEventCounts('kp-');
    const nodes = await stack.graphNodes('kp-');
    const found = t.acked.filter((id) => counts.get(id) === 1 && nodes.has(id)).length;
    const duplicated = [...counts.values()].filter((n) => n > 1).length;
    const clean = t.unavailableAt.length === 0 && t.transport === 0 && t.other.size === 0;
    await Promise.all([project.stop(), serve.stop()]);
    return {
      drill: 'kill-projector',
      result: found === t.acked.length && duplicated === 0 && clean ? 'passed' : 'failed',
      startedAt,
      endedAt: new Date().toISOString(),
      faultMs: Math.round(restarted - killed),
      detectMs,
      recoverMs,
      acknowledged: t.acked.length,
      found,
      duplicated,
      summary:
        `companyos project SIGKILLed under 8 writers and restarted ${((restarted - killed) / 1000).toFixed(1)} s later: writes never stopped ` +
        `(${t.unavailableAt.length} answers 503, ${t.transport} unanswered); the restarted projector reached the head (its start-up included) ` +
        `in ${(recoverMs / 1000).toFixed(1)} s; ${nodes.size} nodes in the graph read model`,
    };
  } finally {
    await stack.close();
  }
}
