// Specifications of what a run waits for a person about: approvals (role, two-person, a manual task),
// paused runs (a failed step, a failed compensation), and the status people read (waiting_manual).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { APPROVER, REQUESTER, admitted, chain, compStarted, ev, ran, specOf, stepStarted } from '../../test/maestro-fixtures.js';
import { evolveRun, initialRunState, type RunState } from './run-state.js';
import { visibleStatus, waitsOf } from './run-waits.js';

const fold = (events: Parameters<typeof evolveRun>[1][]): RunState => events.reduce(evolveRun, initialRunState);
const live = (state: RunState) => {
  if (state.status === 'absent') throw new Error('no run');
  return state;
};

const GATES = specOf(`
name: gates
steps:
  - id: confirm
    action_type: manual
    manual: { instructions: Check the dashboard. }
    runbook: https://runbooks.example.com/confirm
  - id: release
    action_type: wait
    wait: { duration: 1s }
    approval_policy: role:release-manager
  - id: risky
    action_type: wait
    wait: { duration: 1s }
    sensitivity: high
    approval_policy: two-person
`);

test('approvals: each waiting step says what it needs, from whom, and who may not; the run reads waiting_manual', () => {
  const state = live(fold(admitted(GATES)));
  assert.is(state.status, 'running', "the run's own state is unchanged");
  assert.is(visibleStatus(state), 'waiting_manual');
  const waits = waitsOf(state);
  assert.equal(waits.map((w) => [w.stepId, w.for, w.actions, w.roles, w.notBy, w.approvalsNeeded]), [
    ['confirm', 'approval', ['approve', 'cancel'], ['operator', 'release-manager', 'admin'], [], 1],
    ['release', 'approval', ['approve', 'cancel'], ['release-manager'], [], 1],
    ['risky', 'approval', ['approve', 'cancel'], ['operator', 'release-manager', 'admin'], [REQUESTER], 2],
  ]);
  assert.equal([waits[0]!.instructions, waits[0]!.runbook], ['Check the dashboard.', 'https://runbooks.example.com/confirm']);
  assert.match(waits[0]!.detail, /confirmation that the manual task is done by an operator or release manager/);
  assert.match(waits[1]!.detail, /approval by a holder of role release-manager/);
  assert.match(waits[2]!.detail, /2 approvals by an operator or release manager other than user:alice/);
  const one = waitsOf(fold([...admitted(GATES), ev('run.step.approved', { stepId: 'risky', approver: APPROVER })]));
  assert.equal([one[2]!.approvals, one[2]!.approvalsNeeded, one[2]!.notBy], [[APPROVER], 1, [REQUESTER, APPROVER]]);
});

test('a step running beside an approval keeps the run running; its approval is still listed', () => {
  const spec = specOf(`
name: side
steps:
  - { id: gate, action_type: wait, wait: { duration: 1s }, approval_policy: role:release-manager }
  - { id: work, action_type: wait, wait: { duration: 1s } }
`);
  const state = live(fold([...admitted(spec), stepStarted('work')]));
  assert.is(visibleStatus(state), 'running');
  assert.equal(waitsOf(state).map((w) => w.stepId), ['gate']);
  const done = live(fold([...admitted(spec), ...ran('work')]));
  assert.is(visibleStatus(done), 'waiting_manual', 'once the other branch is done, only the person can move it');
});

test('paused: a failed step waits for retry, rollback or cancel; a failed compensation for retry or cancel', () => {
  const failedB = [...admitted(chain()), ...ran('a'), ...ran('d'), stepStarted('b'), ev('run.step.attempt_failed', { stepId: 'b', attempt: 1, cause: 'error', error: 'boom' }), ev('run.paused', { stepId: 'b', reason: 'step_failed' })];
  const paused = live(fold(failedB));
  assert.is(paused.status, 'waiting_manual');
  assert.is(visibleStatus(paused), 'waiting_manual');
  assert.equal(waitsOf(paused).map((w) => [w.stepId, w.for, w.actions]), [['b', 'retry', ['retry', 'rollback', 'cancel']]]);
  const canceled = fold([...failedB, ev('run.canceled', { by: APPROVER })]);
  assert.equal(waitsOf(canceled), []);
  assert.is(visibleStatus(live(canceled)), 'canceled');
  const undoFailed = live(fold([
    ...failedB, ev('run.rollback.started', { reason: 'requested', requestedBy: APPROVER }), compStarted('d'),
    ev('run.compensation.attempt_failed', { stepId: 'd', attempt: 1, cause: 'timeout', error: 'slow' }), ev('run.paused', { stepId: 'd', reason: 'compensation_failed' }),
  ]));
  assert.equal([undoFailed.status, visibleStatus(undoFailed)], ['waiting_manual', 'waiting_manual']);
  assert.equal(waitsOf(undoFailed).map((w) => [w.stepId, w.for, w.actions]), [['d', 'compensation', ['retry', 'cancel']]]);
});

test('a run with nothing waiting needs nobody', () => {
  const state = live(fold(admitted(chain())));
  assert.is(visibleStatus(state), 'running');
  assert.equal(waitsOf(state), []);
});

test.run();
