// The executor on a fake clock: retries with backoff, timeouts, parallel independent steps, compensations
// in reverse dependency order ending rolled_back, and manual steps that wait for people.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunEvent } from '../../schemas/run.js';
import { ALICE, BOB, CAROL, REGION, T0, openExecutorBed, type ExecutorBed } from '../../test/executor-bed.js';

const test = suite<{ bed: ExecutorBed }>('maestro executor', {} as { bed: ExecutorBed });
// One bed for the suite (opening PGlite takes seconds): plan names and run ids differ per test.
let start = Date.parse(T0);
test.before(async (ctx) => {
  ctx.bed = await openExecutorBed();
});
test.before.each(({ bed }) => {
  start = bed.clock.now();
});
test.after.each(async ({ bed }) => {
  await bed.reset();
});
test.after(async ({ bed }) => {
  await bed.close();
});

/** Fake milliseconds since the test began. */
const ms = (at: number) => at - start;
const ended = (bed: ExecutorBed, runId: string) => async () => ['success', 'failed', 'rolled_back', 'canceled'].includes((await bed.state(runId)).status);
const types = async (bed: ExecutorBed, runId: string) => (await bed.events(runId)).map((e) => e.type);
const dataOf = async (bed: ExecutorBed, runId: string, type: RunEvent['type']) =>
  (await bed.events(runId)).filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);

const step = (id: string, extra = '') => `
  - id: ${id}
    action_type: wait
    wait: { duration: 1s }${extra}`;

test('a failing step is retried with exponential backoff and jitter, then succeeds', async ({ bed }) => {
  await bed.register(`name: flaky\nsteps:${step('a', '\n    retries: { max: 3, base_delay: 1s, jitter: 0.5 }')}`);
  bed.start((_, attempt) => (attempt < 3 ? 'fail' : 'ok'));
  await bed.run('r1', 'flaky');
  await bed.drive(ended(bed, 'r1'));
  assert.is((await bed.state('r1')).status, 'success');
  // random() = 0.5 and jitter 0.5: each delay is 3/4 of base·2^(n-1): 750 ms, then 1500 ms.
  assert.equal(bed.calls.map((c) => [c.key, ms(c.at)]), [['r1:a:1', 0], ['r1:a:2', 750], ['r1:a:3', 2250]]);
  const failed = await dataOf(bed, 'r1', 'run.step.attempt_failed');
  const at = (offset: number) => new Date(start + offset).toISOString();
  assert.equal(failed.map((f) => [f['attempt'], f['cause'], f['retryAt']]), [
    [1, 'error', at(750)],
    [2, 'error', at(2_250)],
  ]);
});

test('an attempt without an outcome by its timeout fails with cause timeout; used-up attempts fail the run', async ({ bed }) => {
  await bed.register(`name: slow\nsteps:${step('a', '\n    timeout: 5s\n    retries: { max: 1, base_delay: 1s }')}`);
  bed.start(() => 'hang');
  await bed.run('r2', 'slow');
  await bed.drive(ended(bed, 'r2'));
  assert.equal(bed.calls.map((c) => [c.key, ms(c.at)]), [['r2:a:1', 0], ['r2:a:2', 6_000]]);
  const failed = await dataOf(bed, 'r2', 'run.step.attempt_failed');
  assert.equal(failed.map((f) => [f['attempt'], f['cause']]), [[1, 'timeout'], [2, 'timeout']]);
  // Nothing succeeded, so nothing to undo: the rollback ends failed.
  assert.is((await bed.state('r2')).status, 'failed');
});

test('independent steps run in parallel; a step waits for all it needs', async ({ bed }) => {
  await bed.register(`name: diamond\nsteps:${step('a')}${step('b', '\n    needs: [a]')}${step('c', '\n    needs: [a]')}${step('d', '\n    needs: [b, c]')}`);
  bed.start((id) => (id === 'b' || id === 'c' ? { takesMs: 10_000 } : 'ok'));
  await bed.run('r3', 'diamond');
  await bed.drive(ended(bed, 'r3'));
  assert.is((await bed.state('r3')).status, 'success');
  assert.equal(bed.calls.map((c) => [c.stepId, ms(c.at)]), [['a', 0], ['b', 0], ['c', 0], ['d', 10_000]]);
});

test('a failure rolls back: compensations in reverse dependency order, the run ends rolled_back', async ({ bed }) => {
  const undo = '\n    compensation: { action_type: wait, wait: { duration: 1s } }';
  await bed.register(`name: chain\nsteps:${step('a', undo)}${step('b', `\n    needs: [a]${undo}`)}${step('x', undo)}${step('c', '\n    needs: [b]')}`);
  bed.start((id) => (id === 'c' ? 'fail' : id === 'undo:b' ? { takesMs: 2_000 } : 'ok'));
  await bed.run('r4', 'chain');
  await bed.drive(ended(bed, 'r4'));
  assert.is((await bed.state('r4')).status, 'rolled_back');
  const undone = bed.calls.filter((c) => c.compensation).map((c) => [c.stepId, ms(c.at)]);
  // b needs a, so a is undone only after b's compensation finished; x needs nothing and goes at once.
  assert.equal(undone, [['x', 0], ['b', 0], ['a', 2_000]]);
  const t = await types(bed, 'r4');
  assert.ok(t.indexOf('run.rollback.started') < t.indexOf('run.compensation.started'));
  assert.is(t.at(-1), 'run.completed');
});

test('manual steps wait for people; a two-person step needs two approvers other than the requester', async ({ bed }) => {
  await bed.register(`name: gated
steps:
  - id: confirm
    action_type: manual
    manual: { instructions: Check the dashboard }
  - id: release
    needs: [confirm]
    action_type: wait
    wait: { duration: 1s }
    sensitivity: high
    approval_policy: two-person`);
  bed.start(() => 'ok');
  await bed.run('r5', 'gated', ALICE);
  await bed.drive(async () => (await bed.state('r5')).status === 'running');
  await bed.drive(async () => true);
  const stepOf = async (id: string) => {
    const s = await bed.state('r5');
    return s.status === 'absent' ? undefined : s.steps[id]?.status;
  };
  assert.is(await stepOf('confirm'), 'waiting_approval', 'a manual step waits for its person');
  assert.equal(bed.calls, []);
  const approve = (stepId: string, who = BOB) => bed.command('run.step.approve', { runId: 'r5', region: REGION, stepId }, who);
  assert.is((await approve('confirm')).status, 201);
  await bed.drive(async () => (await stepOf('confirm')) === 'succeeded');
  assert.is(await stepOf('release'), 'waiting_approval');
  const self = await approve('release', ALICE);
  assert.is(self.status, 403, 'the requester cannot approve a two-person step of their own run');
  assert.is((await approve('release', BOB)).status, 201);
  await bed.drive(async () => true);
  assert.is(await stepOf('release'), 'waiting_approval', 'one approver is not two');
  assert.is((await approve('release', CAROL)).status, 201);
  await bed.drive(ended(bed, 'r5'));
  assert.is((await bed.state('r5')).status, 'success');
  assert.equal(bed.calls.map((c) => c.stepId), ['confirm', 'release']);
});

test('executor commands come only from the executor role, even for admins', async ({ bed }) => {
  await bed.register(`name: solo\nsteps:${step('a')}`);
  await bed.run('r6', 'solo');
  const admin = { ...ALICE, id: 'user:root', roles: ['admin'] };
  const r = await bed.command('run.evaluate', { runId: 'r6', region: REGION }, admin);
  assert.is(r.status, 403);
  assert.match(r.detail ?? '', /only the executor/);
});

test.run();
