// The crash proof, on a real PostgreSQL: the executor process is SIGKILLed while a step's HTTP call is in
// flight and restarted; it resumes from the log, re-sends the in-flight attempt with the SAME idempotency
// key, and the target (which counts calls per key) sees each succeeded step's effect exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exited, printed } from '../../test/child-process.js';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Principal } from '../authorizer.js';
import { foldRun, runStream } from '../../domain/index.js';
import type { RecordedEvent } from '../../adapters/event-log/index.js';
import { startCanaryTarget, type CanaryTarget } from '../../bin/demo/canary-target.js';
import { databaseUrl, openTestStore, runId as uniqueId, testPipeline, waitFor, type TestStore } from '../../test/nats-support.js';

const test = suite('maestro crash');
const WORKER = fileURLToPath(new URL('../../test/maestro-crash-worker.ts', import.meta.url));
const id = uniqueId();
const schema = `maestro_crash_${id}`;
const RUN = `crash-${id}`;
const STEPS = ['s1', 's2', 's3', 's4', 's5', 's6'];
const operator: Principal = { id: 'user:olga', tenant: 'acme', roles: ['plan-author', 'operator'], region: 'us-east', authTime: undefined, authn: 'jwt' };

function startWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, CRASH_SETTINGS: JSON.stringify({ databaseUrl: databaseUrl(), schema }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return printed(child, 'ready').then(() => child);
}

const plan = (url: string) => `name: crash-${id}
steps:
${STEPS.map((s, i) => `  - id: ${s}
${i > 0 ? `    needs: [${STEPS[i - 1]}]\n` : ''}    action_type: http
    http: { method: POST, url: "${url}/traffic", body: { weight: ${(i + 1) * 10} } }
    timeout: 30s`).join('\n')}
`;

if (!databaseUrl()) {
  console.log('skipped: maestro crash (DATABASE_URL not set)');
} else {
  let store: TestStore;
  let target: CanaryTarget;
  const workers: ChildProcess[] = [];

  test.before(async () => {
    store = await openTestStore(schema);
    // Every shift takes 400 ms: long enough to kill the executor while one is in flight.
    target = await startCanaryTarget({ delayMs: 400, unhealthyAt: 1000 });
  });
  test.after(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => exited(w)));
    await target.close();
    await store.close();
  });

  test('SIGKILL mid-step, restart: the run finishes, every step took effect exactly once, the in-flight one under the same key', async () => {
    workers.push(await startWorker());
    const pipeline = await testPipeline(store.log);
    const info = { requestId: 'crash-test', context: {} };
    const registered = await pipeline.execute('plan.register', { region: 'us-east', source: plan(target.url) }, operator, info);
    assert.ok(!isLeft(registered), JSON.stringify(registered));
    const started = await pipeline.execute('run.start', { runId: RUN, region: 'us-east', plan: `crash-${id}` }, operator, info);
    assert.ok(!isLeft(started), JSON.stringify(started));

    // Kill while s3's call is inside the target (started in the log, no result yet).
    await waitFor('s3 to be called', () => (target.calls.get(`${RUN}:s3:1`) ?? 0) > 0, 30_000);
    workers[0]!.kill('SIGKILL');
    await exited(workers[0]!);
    const before = [...target.calls.entries()];

    workers.push(await startWorker());
    const events = async (): Promise<readonly RecordedEvent[]> => store.log.readStream(runStream('acme', RUN));
    await waitFor('the run to complete', async () => (await events()).at(-1)?.type === 'run.completed', 60_000);

    const folded = foldRun((await events()).map((r) => ({ type: r.type, schemaVersion: (r.metadata as { schemaVersion: number }).schemaVersion, data: r.data })));
    assert.ok(!isLeft(folded));
    const state = folded.right;
    assert.is(state.status, 'success');
    for (const step of STEPS) {
      const effects = target.shifts.filter((s) => s.key.startsWith(`${RUN}:${step}:`));
      assert.is(effects.length, 1, `${step}: ${JSON.stringify(effects)}`);
      assert.is(effects[0]!.key, `${RUN}:${step}:1`, `${step} never needed a second attempt`);
    }
    assert.equal(target.shifts.map((s) => s.weight), [10, 20, 30, 40, 50, 60]);
    // The attempt in flight at the kill was performed again under the same key, and the target deduplicated it.
    assert.is(target.calls.get(`${RUN}:s3:1`), 2, `calls before the kill: ${JSON.stringify(before)}; after: ${JSON.stringify([...target.calls])}`);
    const startedS3 = (await events()).filter((e) => e.type === 'run.step.started' && (e.data as { stepId: string }).stepId === 's3');
    assert.is(startedS3.length, 1, 's3 was started once; the restarted executor resumed that attempt');
  });
}

test.run();
