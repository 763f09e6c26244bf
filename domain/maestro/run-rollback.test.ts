// Specifications of rollback: compensations of succeeded steps in reverse dependency order, their
// retries and failures (a person decides), and the seed's demo: the canary fails at 50% and rolls back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeciderSpecification } from '../../test/decider-spec.js';
import type { RunEvent } from '../../schemas/run.js';
import { APPROVER, APPROVER2, RUN, admitted, canary, chain, compStarted, compSucceeded, ctx, ev, plus, ran, ref, stepStarted } from '../../test/maestro-fixtures.js';
import { runDecider, type RunCommand } from './run.js';
import { evolveRun, initialRunState } from './run-state.js';
import { completion, nextCompensations, readySteps } from './schedule.js';

const spec = DeciderSpecification.for(runDecider, ctx());
const fold = (events: readonly RunEvent[]) => events.reduce(evolveRun, initialRunState);
const compStart = (stepId: string, attempt = 1): RunCommand => ({ type: 'run.compensation.start', data: { ...ref, stepId, attempt } });
const compSucceed = (stepId: string, attempt = 1): RunCommand => ({ type: 'run.compensation.succeed', data: { ...ref, stepId, attempt } });
const compFail = (stepId: string, attempt = 1, retryAt?: string): RunCommand => ({
  type: 'run.compensation.fail',
  data: { ...ref, stepId, attempt, cause: 'error', error: 'nope', ...(retryAt === undefined ? {} : { retryAt }) },
});
const compAttemptFailed = (stepId: string, attempt: number, retryAt?: string) =>
  ev('run.compensation.attempt_failed', { stepId, attempt, cause: 'error', error: 'nope', ...(retryAt === undefined ? {} : { retryAt }) });
const rollback: RunCommand = { type: 'run.rollback', data: { ...ref, reason: 'bad metrics' } };
const requested = ev('run.rollback.started', { reason: 'requested', requestedBy: APPROVER, comment: 'bad metrics' });

/** chain: a, b and d succeeded (c running); then a rollback was requested. */
const rollingBack = () => [...admitted(chain()), ...ran('a'), ...ran('b'), ...ran('d'), stepStarted('c'), requested];

test('rollback on request: from running, or paused in the forward phase; a second request is a no-op', () => {
  const forward = [...admitted(chain()), ...ran('a')];
  spec.given(forward).when(rollback, ctx({ actor: APPROVER })).then([requested]);
  spec.given([...forward, requested]).when(rollback).thenNothing();
  spec.given(admitted(chain()).slice(0, 1)).when(rollback).thenFails('conflict', 'has not started any step; cancel it instead');
  spec.given([...forward, ev('run.canceled', { by: APPROVER })]).when(rollback).thenFails('conflict', 'has ended (canceled)');
});

test('rolling back: unstarted steps are skipped; nothing forward starts; running attempts still report', () => {
  const state = fold(rollingBack());
  assert.is(state.status, 'rolling_back');
  assert.equal(readySteps(state), []);
  spec.given(rollingBack()).when({ type: 'run.step.start', data: { ...ref, stepId: 'c', attempt: 1 } }).thenNothing();
  const early = fold([...admitted(chain()), ...ran('a'), requested]);
  assert.equal(early.status !== 'absent' && [early.steps['b']?.status, early.steps['d']?.status], ['skipped', 'skipped']);
});

test('compensations wait for dependents: c is still running, so b waits; d has no dependents and goes', () => {
  assert.equal(nextCompensations(fold(rollingBack())).map((w) => [w.stepId, w.idempotencyKey]), [['d', `${RUN}:d:compensation:1`]]);
  spec.given(rollingBack()).when(compStart('b')).thenFails('conflict', 'compensated after the steps that need it: c first');
  spec.given(rollingBack()).when(compStart('a')).thenFails('conflict', 'b, c, d first');
  spec.given(rollingBack()).when(compStart('d')).then([compStarted('d')]);
  spec.given(rollingBack()).when(compStart('c')).thenFails('conflict', 'step c has no compensation');
});

test('reverse dependency order end to end: d and b (after c settles), then a; then rolled_back', () => {
  const cDone = [...rollingBack(), ev('run.step.succeeded', { stepId: 'c', attempt: 1 })];
  assert.equal(nextCompensations(fold(cDone)).map((w) => w.stepId), ['d', 'b']);
  const bothDone = [...cDone, compStarted('d'), compSucceeded('d'), compStarted('b'), compSucceeded('b')];
  assert.equal(nextCompensations(fold(bothDone)).map((w) => w.stepId), ['a']);
  spec.given(bothDone).when({ type: 'run.complete', data: ref }).thenFails('conflict', 'unsettled steps: a');
  const allDone = [...bothDone, compStarted('a'), compSucceeded('a')];
  assert.is(completion(fold(allDone)), 'rolled_back');
  spec.given(allDone).when({ type: 'run.complete', data: ref }).then([ev('run.completed', { status: 'rolled_back' })]);
});

test('compensation attempts: a repeat start or success is a no-op; a wrong attempt is a conflict', () => {
  const going = [...rollingBack(), compStarted('d')];
  spec.given(going).when(compStart('d')).thenNothing();
  spec.given(going).when(compSucceed('d')).then([compSucceeded('d')]);
  spec.given([...going, compSucceeded('d')]).when(compSucceed('d')).thenNothing();
  spec.given(going).when(compSucceed('d', 2)).thenFails('conflict', 'compensation attempt 2 is not running');
  spec.given([...admitted(chain()), ...ran('a')]).when(compStart('a')).thenFails('conflict', 'compensations start only while it is rolling back');
});

test('a failed compensation is retried while attempts remain, then the run waits for a person', () => {
  const cDone = [...rollingBack(), ev('run.step.succeeded', { stepId: 'c', attempt: 1 }), compStarted('d'), compSucceeded('d'), compStarted('b'), compSucceeded('b')];
  const going = [...cDone, compStarted('a')];
  const retryAt = plus(5_000);
  spec.given(going).when(compFail('a', 1)).thenFails('validation', 'retryAt: missing');
  spec.given(going).when(compFail('a', 1, retryAt)).then([compAttemptFailed('a', 1, retryAt)]);
  const second = [...going, compAttemptFailed('a', 1, retryAt)];
  assert.equal(nextCompensations(fold(second)).map((w) => [w.stepId, w.attempt, w.notBefore]), [['a', 2, retryAt]]);
  spec.given(second).when(compStart('a', 2)).thenFails('conflict', `may start at ${retryAt}`);
  spec.given(second).when(compFail('a', 1, retryAt)).thenNothing();
  const last = [...second, ev('run.compensation.started', { stepId: 'a', attempt: 2, idempotencyKey: `${RUN}:a:compensation:2`, deadline: plus(305_000) })];
  const failed = [compAttemptFailed('a', 2), ev('run.compensation.failed', { stepId: 'a', attempts: 2 }), ev('run.paused', { stepId: 'a', reason: 'compensation_failed' })];
  spec.given(last).when(compFail('a', 2, plus(9_000))).then(failed);
  const paused = fold([...last, ...failed]);
  assert.equal(paused.status === 'waiting_manual' && [paused.resumeTo, paused.blockedOn], ['rolling_back', ['a']]);
  assert.equal(nextCompensations(paused), []);
  // A person retries: a fresh set of compensation attempts, numbered on.
  const retried = fold([...last, ...failed, ev('run.step.retry_granted', { stepId: 'a', grantedBy: APPROVER })]);
  assert.is(retried.status, 'rolling_back');
  assert.equal(nextCompensations(retried).map((w) => [w.stepId, w.attempt]), [['a', 3]]);
  // Or cancels: the run ends canceled with the compensation undone by nobody.
  spec.given([...last, ...failed]).when({ type: 'run.cancel', data: ref }).then([ev('run.canceled', { by: 'user:alice' })]);
});

test('rolling back with nothing to undo ends failed, not rolled_back', () => {
  const events = [...admitted(chain()), stepStarted('a'), ev('run.step.attempt_failed', { stepId: 'a', attempt: 1, cause: 'error', error: 'x' }), ev('run.step.failed', { stepId: 'a', attempts: 1, onFailure: 'rollback' }), ev('run.rollback.started', { reason: 'step_failed', stepId: 'a' })];
  assert.is(completion(fold(events)), 'failed');
  spec.given(events).when({ type: 'run.complete', data: ref }).then([ev('run.completed', { status: 'failed' })]);
});

test('seed demo: the canary fails at 50% and rolls back automatically, shift-10 undone', () => {
  const approvals = [
    ev('run.step.approved', { stepId: 'approve-release', approver: APPROVER }),
    ev('run.step.approved', { stepId: 'approve-release', approver: APPROVER2 }),
    ev('run.step.approved', { stepId: 'shift-10', approver: APPROVER }),
    ev('run.step.approved', { stepId: 'shift-50', approver: APPROVER }),
  ];
  const t1 = plus(2_000);
  const t2 = plus(6_000);
  const upTo50 = [
    ...admitted(canary()),
    ...approvals,
    ...ran('approve-release', 3_600_000),
    ...ran('shift-10', 30_000),
    ...ran('health-10', 360_000),
    stepStarted('shift-50', 1, 30_000),
    ev('run.step.attempt_failed', { stepId: 'shift-50', attempt: 1, cause: 'condition', error: 'HTTP 503', retryAt: t1 }),
    stepStarted('shift-50', 2, 30_000, t1),
    ev('run.step.attempt_failed', { stepId: 'shift-50', attempt: 2, cause: 'condition', error: 'HTTP 503', retryAt: t2 }),
    stepStarted('shift-50', 3, 30_000, t2),
  ];
  const failing: RunCommand = { type: 'run.step.attempt.fail', data: { ...ref, stepId: 'shift-50', attempt: 3, cause: 'condition', error: 'HTTP 503' } };
  const failedAt50 = [
    ev('run.step.attempt_failed', { stepId: 'shift-50', attempt: 3, cause: 'condition', error: 'HTTP 503' }),
    ev('run.step.failed', { stepId: 'shift-50', attempts: 3, onFailure: 'rollback' }),
    ev('run.rollback.started', { reason: 'step_failed', stepId: 'shift-50' }),
  ];
  spec.given(upTo50).when(failing).then(failedAt50);
  const rolling = fold([...upTo50, ...failedAt50]);
  assert.equal(rolling.status !== 'absent' && rolling.order.map((id) => rolling.steps[id]!.status), ['succeeded', 'succeeded', 'succeeded', 'failed', 'skipped', 'skipped']);
  // shift-50 never succeeded, so only shift-10 (weight back to 0) is compensated.
  const next = nextCompensations(rolling);
  assert.equal(next.map((w) => w.stepId), ['shift-10']);
  assert.equal(next[0]!.step.compensation?.action_type === 'http' && next[0]!.step.compensation.http.body, { artifact: 'checkout:2.4.0', weight: 0 });
  const undone = [...upTo50, ...failedAt50, compStarted('shift-10', 1, 30_000), compSucceeded('shift-10')];
  spec.given(undone).when({ type: 'run.complete', data: ref }).then([ev('run.completed', { status: 'rolled_back' })]);
  assert.is(fold([...undone, ev('run.completed', { status: 'rolled_back' })]).status, 'rolled_back');
});

test.run();
