// Specifications of step attempts: start, succeed, fail with retries, on_failure (rollback, manual,
// continue), operator retry, completion; and the restart guarantees (repeats are no-ops, no re-runs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeciderSpecification } from '../../test/decider-spec.js';
import type { FailureCause } from '../../schemas/run.js';
import { APPROVER, RUN, admitted, chain, ctx, ev, key, plus, ran, ref, stepStarted, stepSucceeded } from '../../test/maestro-fixtures.js';
import { runDecider, type RunCommand } from './run.js';
import { evolveRun, initialRunState } from './run-state.js';
import { completion, inFlight, readySteps } from './schedule.js';

const spec = DeciderSpecification.for(runDecider, ctx());
const startStep = (stepId: string, attempt = 1): RunCommand => ({ type: 'run.step.start', data: { ...ref, stepId, attempt } });
const succeed = (stepId: string, attempt = 1): RunCommand => ({ type: 'run.step.attempt.succeed', data: { ...ref, stepId, attempt } });
const fail = (stepId: string, attempt = 1, retryAt?: string, cause: FailureCause = 'error'): RunCommand => ({
  type: 'run.step.attempt.fail',
  data: { ...ref, stepId, attempt, cause, error: 'boom', ...(retryAt === undefined ? {} : { retryAt }) },
});
const attemptFailed = (stepId: string, attempt: number, retryAt?: string, cause: FailureCause = 'error') =>
  ev('run.step.attempt_failed', { stepId, attempt, cause, error: 'boom', ...(retryAt === undefined ? {} : { retryAt }) });
const running = () => admitted(chain());
const fold = (events: Parameters<typeof evolveRun>[1][]) => events.reduce(evolveRun, initialRunState);

test('start: a ready step, with its idempotency key and the deadline from its timeout', () => {
  spec.given(running()).when(startStep('a')).then([ev('run.step.started', { stepId: 'a', attempt: 1, idempotencyKey: key('a', 1), deadline: plus(30_000) })]);
});

test('start: repeating a started attempt is a no-op (an executor restarting from the log)', () => {
  spec.given([...running(), stepStarted('a', 1, 30_000)]).when(startStep('a')).thenNothing();
  const state = fold([...running(), stepStarted('a', 1, 30_000)]);
  assert.equal(inFlight(state).map((f) => [f.kind, f.stepId, f.idempotencyKey, f.deadline]), [['action', 'a', key('a', 1), plus(30_000)]]);
  assert.equal(readySteps(state), []);
});

test('start: never a succeeded step, a step whose needs are unmet, a wrong attempt, or a run not running', () => {
  spec.given([...running(), ...ran('a')]).when(startStep('a')).thenFails('conflict', 'a succeeded step never runs again');
  spec.given([...running(), ...ran('a')]).when(startStep('a', 2)).thenFails('conflict', 'already succeeded');
  spec.given(running()).when(startStep('b')).thenFails('conflict', 'step b is pending, not ready');
  spec.given(running()).when(startStep('a', 2)).thenFails('conflict', 'the next attempt of step a is 1, not 2');
  spec.given(running().slice(0, 2)).when(startStep('a')).thenFails('conflict', 'is evaluating policies; steps start only while it is running');
  spec.given(running()).when(startStep('zz')).thenFails('not-found');
});

test('succeed: the running attempt succeeds and its dependents become ready; a repeat is a no-op', () => {
  spec.given([...running(), stepStarted('a')]).when(succeed('a')).then([stepSucceeded('a')]);
  spec.given([...running(), ...ran('a')]).when(succeed('a')).thenNothing();
  spec.given([...running(), stepStarted('a')]).when(succeed('a', 2)).thenFails('conflict', 'attempt 2 is not running');
  spec.given(running()).when(succeed('a')).thenFails('conflict', 'step a is ready');
  const state = fold([...running(), ...ran('a')]);
  assert.equal(readySteps(state).map((w) => w.stepId), ['b', 'd']);
});

test('succeed or admit with startReady: the steps it makes ready start in the same decision', () => {
  const advance = (stepId: string): RunCommand => ({ type: 'run.step.attempt.succeed', data: { ...ref, stepId, attempt: 1, startReady: true } });
  spec.given([...running(), stepStarted('a')]).when(advance('a')).then([stepSucceeded('a'), stepStarted('b'), stepStarted('d')]);
  spec.given([...running(), ...ran('a'), stepStarted('b'), stepStarted('d')]).when(advance('b')).then([stepSucceeded('b'), stepStarted('c')]);
  // Nothing needs d: its success starts nothing (and c is unsettled, so the run goes on).
  spec.given([...running(), ...ran('a'), stepStarted('b'), stepStarted('d')]).when(advance('d')).then([stepSucceeded('d')]);
  // The success that settles the last step completes the run in the same append.
  spec.given([...running(), ...ran('a'), ...ran('b'), ...ran('d'), stepStarted('c')]).when(advance('c')).then([stepSucceeded('c'), ev('run.completed', { status: 'success' })]);
  // Without startReady, completion stays the executor's separate run.complete.
  spec.given([...running(), ...ran('a'), ...ran('b'), ...ran('d'), stepStarted('c')]).when(succeed('c')).then([stepSucceeded('c')]);
  // A repeat is still a no-op: the starts it made are already in the log.
  spec.given([...running(), ...ran('a'), stepStarted('b'), stepStarted('d')]).when(advance('a')).thenNothing();
  const admit: RunCommand = { type: 'run.admit', data: { ...ref, gates: [], startReady: true } };
  spec.given(running().slice(0, 2)).when(admit).then([ev('run.admitted', { gates: [] }), stepStarted('a', 1, 30_000)]);
  const compensated: RunCommand = { type: 'run.compensation.succeed', data: { ...ref, stepId: 'a', attempt: 1, startReady: true } };
  spec.given([...running(), stepStarted('a')]).when(compensated).thenFails('validation', 'startReady: applies to run.step.attempt.succeed');
});

test('fail with attempts left: the next attempt waits until retryAt; retryAt is required', () => {
  const retryAt = plus(2_000);
  spec.given([...running(), stepStarted('a')]).when(fail('a', 1, retryAt)).then([attemptFailed('a', 1, retryAt)]);
  spec.given([...running(), stepStarted('a')]).when(fail('a', 1)).thenFails('validation', 'retryAt: missing; step a has 2 attempt(s) left');
  const retrying = [...running(), stepStarted('a'), attemptFailed('a', 1, retryAt)];
  assert.equal(readySteps(fold(retrying)).map((w) => [w.stepId, w.attempt, w.idempotencyKey, w.notBefore]), [['a', 2, key('a', 2), retryAt]]);
  spec.given(retrying).when(startStep('a', 2)).thenFails('conflict', `may start at ${retryAt}`);
  spec.given(retrying).when(startStep('a', 2), ctx({ now: retryAt })).then([ev('run.step.started', { stepId: 'a', attempt: 2, idempotencyKey: key('a', 2), deadline: plus(30_000, retryAt) })]);
  spec.given(retrying).when(fail('a', 1, retryAt)).thenNothing();
});

test('fail with attempts used up and on_failure rollback: the step fails and the rollback starts', () => {
  const t1 = plus(1_000);
  const t2 = plus(3_000);
  const exhausted = [...running(), stepStarted('a'), attemptFailed('a', 1, t1), stepStarted('a', 2, 30_000, t1), attemptFailed('a', 2, t2), stepStarted('a', 3, 30_000, t2)];
  spec.given(exhausted).when(fail('a', 3, plus(9_000), 'timeout')).then([
    attemptFailed('a', 3, undefined, 'timeout'),
    ev('run.step.failed', { stepId: 'a', attempts: 3, onFailure: 'rollback' }),
    ev('run.rollback.started', { reason: 'step_failed', stepId: 'a' }),
  ]);
});

test('on_failure manual: the run waits for a person, who retries the step with a fresh set of attempts', () => {
  const base = [...running(), ...ran('a'), stepStarted('b')];
  const failed = [attemptFailed('b', 1), ev('run.step.failed', { stepId: 'b', attempts: 1, onFailure: 'manual' }), ev('run.paused', { stepId: 'b', reason: 'step_failed' })];
  spec.given(base).when(fail('b')).then(failed);
  const paused = fold([...base, ...failed]);
  assert.equal(paused.status === 'waiting_manual' && [paused.resumeTo, paused.blockedOn], ['running', ['b']]);
  assert.equal(readySteps(paused), []);
  const retry: RunCommand = { type: 'run.step.retry', data: { ...ref, stepId: 'b', reason: 'fixed the script' } };
  spec.given([...base, ...failed]).when(retry, ctx({ actor: APPROVER })).then([ev('run.step.retry_granted', { stepId: 'b', grantedBy: APPROVER, reason: 'fixed the script' })]);
  const resumed = fold([...base, ...failed, ev('run.step.retry_granted', { stepId: 'b', grantedBy: APPROVER })]);
  assert.is(resumed.status, 'running');
  assert.equal(readySteps(resumed).map((w) => [w.stepId, w.attempt]), [['b', 2], ['d', 1]]);
  spec.given(base).when(retry).thenFails('conflict', 'is not waiting for a person about step b');
});

test('on_failure continue: the failure is tolerated and dependents still run; the run can succeed', () => {
  const base = [...running(), ...ran('a'), stepStarted('d')];
  spec.given(base).when(fail('d')).then([attemptFailed('d', 1), ev('run.step.failed', { stepId: 'd', attempts: 1, onFailure: 'continue' })]);
  const done = [...base, attemptFailed('d', 1), ev('run.step.failed', { stepId: 'd', attempts: 1, onFailure: 'continue' }), ...ran('b'), ...ran('c')];
  assert.is(completion(fold(done)), 'success');
  spec.given(done).when({ type: 'run.complete', data: ref }).then([ev('run.completed', { status: 'success' })]);
});

test('complete: only when settled; the outcome is computed; completing again is a no-op', () => {
  const all = [...running(), ...ran('a'), ...ran('b'), ...ran('c')];
  spec.given(all).when({ type: 'run.complete', data: ref }).thenFails('conflict', 'unsettled steps: d');
  const done = [...all, ...ran('d')];
  spec.given(done).when({ type: 'run.complete', data: ref }).then([ev('run.completed', { status: 'success' })]);
  spec.given([...done, ev('run.completed', { status: 'success' })]).when({ type: 'run.complete', data: ref }).thenNothing();
  spec.given(running().slice(0, 1)).when({ type: 'run.complete', data: ref }).thenFails('conflict', 'is pending and cannot complete yet');
  spec.given([...done, ev('run.canceled', { by: 'x' })]).when({ type: 'run.complete', data: ref }).thenFails('conflict');
});

test('results of in-flight attempts are recorded after a cancel, and nothing is retried', () => {
  const canceled = [...running(), stepStarted('a'), ev('run.canceled', { by: APPROVER })];
  spec.given(canceled).when(succeed('a')).then([stepSucceeded('a')]);
  spec.given(canceled).when(fail('a', 1, plus(1_000))).then([attemptFailed('a', 1), ev('run.step.failed', { stepId: 'a', attempts: 1, onFailure: 'rollback' })]);
  assert.equal(readySteps(fold([...canceled, stepSucceeded('a')])), []);
});

test('idempotency keys are runId:stepId:attempt', () => {
  assert.is(key('a', 3), `${RUN}:a:3`);
  const state = fold([...running(), stepStarted('a')]);
  assert.equal(state.status !== 'absent' && state.steps['a'], { status: 'running', attempt: 1, attemptsLeft: 2, idempotencyKey: `${RUN}:a:1`, deadline: plus(300_000) });
});

test.run();
