// Drill `kill-executor`: Maestro's executor runs in `companyos project` (beside the projectors) while 4 runs
// of a 6-step plan shift traffic on a local deploy target (400 ms per call, deduplicated by the step's
// Idempotency-Key); the process is killed with SIGKILL while calls are in flight, left dead for `seconds`
// and started again. Detect: the kill seen (the process gone). Recover: from the restart (its start-up
// included) to every run completed. Acknowledged: the steps of the runs started; found: steps whose effect
// the target applied exactly once, in order; duplicated: steps applied twice.
import { startCanaryTarget } from '../demo/canary-target.js';
import type { DrillOutcome } from '../../schemas/drill.js';
import { exited } from '../../test/child-process.js';
import { openDrillStack } from './stack.js';
import { settle, until } from './wait.js';

const STEPS = ['s1', 's2', 's3', 's4', 's5', 's6'];
const RUNS = 4;

const planSource = (name: string, url: string) => `name: ${name}
steps:
${STEPS.map((s, i) => `  - id: ${s}
${i > 0 ? `    needs: [${STEPS[i - 1]}]\n` : ''}    action_type: http
    http: { method: POST, url: "${url}/traffic", body: { weight: ${(i + 1) * 10} } }
    timeout: 30s`).join('\n')}
`;

export async function runKillExecutor(seconds: number, say: (line: string) => void): Promise<DrillOutcome> {
  const startedAt = new Date().toISOString();
  say('kill-executor: starting a private PostgreSQL cluster, a deploy target, companyos serve --no-projectors and companyos project');
  const stack = await openDrillStack({ proxy: false });
  const target = await startCanaryTarget({ delayMs: 400, unhealthyAt: 1000 });
  try {
    // The target listens on loopback, which egress refuses by default: allowed here as an operator would.
    const env = { COMPANYOS_EGRESS_ALLOW: '127.0.0.1/32' };
    const serve = await stack.start('serve', ['--no-projectors'], env);
    let project = await stack.start('project', [], env);
    const token = await stack.tokenWith(['plan-author', 'operator']);
    const command = async (type: string, body: object) => {
      const res = await fetch(`${serve.base}/v1/commands/${type}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 201 && res.status !== 200) throw new Error(`${type}: ${res.status} ${await res.text()}`);
    };
    const plan = 'drill-shift';
    await command('plan.register', { region: 'us-east', source: planSource(plan, target.url) });
    const runs = Array.from({ length: RUNS }, (_, i) => `drill-run-${i}`);
    for (const runId of runs) await command('run.start', { runId, region: 'us-east', plan });
    await until('every run past its second step', () => runs.every((r) => (target.calls.get(`${r}:s2:1`) ?? 0) > 0), 120_000);
    say(`kill-executor: ${target.shifts.length} steps applied; SIGKILL to companyos project (pid ${project.child.pid}) with calls in flight`);
    const killed = performance.now();
    project.child.kill('SIGKILL');
    await exited(project.child, 30_000);
    const detectMs = Math.round(performance.now() - killed);
    await settle(seconds * 1000 - (performance.now() - killed));
    const restarted = performance.now();
    project = await stack.start('project', [], env);
    const done = async () => (await Promise.all(runs.map((r) => stack.streamTypes(`${stack.tenant}/maestro.run/${r}`)))).every((types) => types.at(-1) === 'run.completed');
    await until('every run completed', done, 180_000);
    const recoverMs = Math.round(performance.now() - restarted);
    const acknowledged = runs.length * STEPS.length;
    let found = 0;
    let duplicated = 0;
    for (const r of runs) {
      const effects = STEPS.map((s) => target.shifts.filter((x) => x.key.startsWith(`${r}:${s}:`)).length);
      found += effects.filter((n) => n === 1).length;
      duplicated += effects.filter((n) => n > 1).length;
    }
    const resent = [...target.calls.values()].filter((n) => n > 1).length;
    await Promise.all([project.stop(), serve.stop()]);
    return {
      drill: 'kill-executor',
      result: found === acknowledged && duplicated === 0 ? 'passed' : 'failed',
      startedAt,
      endedAt: new Date().toISOString(),
      faultMs: Math.round(restarted - killed),
      detectMs,
      recoverMs,
      acknowledged,
      found,
      duplicated,
      summary:
        `companyos project (the executor) SIGKILLed with ${RUNS} runs of ${STEPS.length} steps under way and restarted ${((restarted - killed) / 1000).toFixed(1)} s later: ` +
        `every run completed; ${resent} in-flight calls re-sent under the same Idempotency-Key (the target applied each once)`,
    };
  } finally {
    await target.close();
    await stack.close();
  }
}
