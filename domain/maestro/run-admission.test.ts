// Specifications of a run before its steps: start from a registered plan, evaluation and admission,
// approvals (the two-person rule), cancel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeciderSpecification } from '../../test/decider-spec.js';
import { APPROVER, APPROVER2, REGION, REQUESTER, RUN, admitted, canary, chain, ctx, ev, ran, ref, registered, started } from '../../test/maestro-fixtures.js';
import { evolvePlan, initialPlanState } from './plan.js';
import { runDecider, type RunCommand } from './run.js';
import { evolveRun, initialRunState } from './run-state.js';
import { readySteps } from './schedule.js';

const spec = DeciderSpecification.for(runDecider, ctx());
const planState = [registered(canary())].reduce(evolvePlan, initialPlanState);
const start = (over: Record<string, unknown> = {}): RunCommand => ({ type: 'run.start', data: { ...ref, plan: 'checkout-canary', ...over } });
const approve = (stepId: string): RunCommand => ({ type: 'run.step.approve', data: { ...ref, stepId } });
const as = (actor: string) => ctx({ actor });
const canaryRunning = () => admitted(canary());

test('start copies the latest plan version into the run, with the requester from the principal', () => {
  spec.given([]).when(start({ inputs: { ticket: 'CHG-1' } }), ctx({ related: { plan: planState } })).then([started(canary(), { inputs: { ticket: 'CHG-1' } })]);
  spec.given([]).when(start({ version: 1 }), ctx({ related: { plan: planState } })).then([started(canary())]);
});

test('start refuses an unknown plan or version, an existing run id, and a missing principal', () => {
  spec.given([]).when(start(), ctx({ related: { plan: initialPlanState } })).thenFails('not-found', 'plan checkout-canary is not registered');
  spec.given([]).when(start({ version: 7 }), ctx({ related: { plan: planState } })).thenFails('not-found', 'has no version 7 (latest is 1)');
  spec.given([started(canary())]).when(start(), ctx({ related: { plan: planState } })).thenFails('conflict', `run ${RUN} already exists`);
  spec.given([]).when(start(), { now: ctx().now, related: { plan: planState } }).thenFails('forbidden', 'needs the principal');
});

test('evaluate: pending → evaluating_policies; again is a no-op; later is a conflict', () => {
  const evaluate: RunCommand = { type: 'run.evaluate', data: ref };
  spec.given([started(canary())]).when(evaluate).then([ev('run.evaluation.started', {})]);
  spec.given([started(canary()), ev('run.evaluation.started', {})]).when(evaluate).thenNothing();
  spec.given(canaryRunning()).when(evaluate).thenFails('conflict', 'is running, not pending');
  spec.given([]).when(evaluate).thenFails('not-found', `run ${RUN} does not exist`);
  spec.given([started(canary())]).when({ type: 'run.evaluate', data: { ...ref, region: 'eu-west' } }).thenFails('region-mismatch');
});

test('admit needs evaluation and passed gates; reject ends the run failed', () => {
  const evaluating = [started(canary()), ev('run.evaluation.started', {})];
  const gates = [{ name: 'error-budget', passed: true }];
  spec.given(evaluating).when({ type: 'run.admit', data: { ...ref, gates } }).then([ev('run.admitted', { gates })]);
  spec.given([started(canary())]).when({ type: 'run.admit', data: ref }).thenFails('conflict', 'only a run under evaluation is admitted');
  spec.given(evaluating).when({ type: 'run.admit', data: { ...ref, gates: [{ name: 'freeze', passed: false }] } }).thenFails('validation', 'freeze did not pass');
  const reject: RunCommand = { type: 'run.reject', data: { ...ref, reason: 'change freeze', gates: [{ name: 'freeze', passed: false }] } };
  spec.given(evaluating).when(reject).then([ev('run.rejected', { reason: 'change freeze', gates: [{ name: 'freeze', passed: false }] })]);
  spec.given(canaryRunning()).when(reject).thenFails('conflict');
  const state = [...evaluating, ev('run.rejected', { reason: 'x', gates: [] })].reduce(evolveRun, initialRunState);
  assert.is(state.status, 'failed');
});

test('admitted: steps without needs become ready, or wait for approval', () => {
  const state = canaryRunning().reduce(evolveRun, initialRunState);
  assert.is(state.status, 'running');
  if (state.status === 'absent') return;
  assert.equal(state.steps['approve-release'], { status: 'waiting_approval', approvals: [] });
  assert.equal(state.steps['shift-10'], { status: 'pending', approvals: [] });
  assert.equal(readySteps(state), []);
  const plain = admitted(chain()).reduce(evolveRun, initialRunState);
  assert.equal(readySteps(plain).map((w) => [w.stepId, w.attempt, w.idempotencyKey]), [['a', 1, `${RUN}:a:1`]]);
});

test('two-person rule: the requester cannot approve a high-sensitivity step; two others can', () => {
  spec.given(canaryRunning()).when(approve('approve-release'), as(REQUESTER)).thenFails('forbidden', `${REQUESTER} requested run ${RUN}, so cannot approve its high-sensitivity step approve-release`);
  spec.given(canaryRunning()).when(approve('approve-release'), as(APPROVER)).then([ev('run.step.approved', { stepId: 'approve-release', approver: APPROVER })]);
  const once = [...canaryRunning(), ev('run.step.approved', { stepId: 'approve-release', approver: APPROVER })];
  spec.given(once).when(approve('approve-release'), as(APPROVER)).thenNothing();
  spec.given(once).when(approve('approve-release'), as(APPROVER2)).then([ev('run.step.approved', { stepId: 'approve-release', approver: APPROVER2 })]);
  const twice = [...once, ev('run.step.approved', { stepId: 'approve-release', approver: APPROVER2 })];
  const state = twice.reduce(evolveRun, initialRunState);
  assert.equal(readySteps(state).map((w) => w.stepId), ['approve-release']);
  spec.given(twice).when(approve('approve-release'), as('user:dave')).thenFails('conflict', 'step approve-release is ready');
});

test('role approval: one approval suffices; the requester may approve a medium step (Cedar checks the role)', () => {
  const base = [...canaryRunning(), ev('run.step.approved', { stepId: 'approve-release', approver: APPROVER }), ev('run.step.approved', { stepId: 'approve-release', approver: APPROVER2 }), ...ran('approve-release')];
  const before = base.reduce(evolveRun, initialRunState);
  assert.equal(before.status !== 'absent' && before.steps['shift-10'], { status: 'waiting_approval', approvals: [] });
  spec.given(base).when(approve('shift-10'), as(REQUESTER)).then([ev('run.step.approved', { stepId: 'shift-10', approver: REQUESTER })]);
  spec.given(base).when(approve('shift-50'), as(REQUESTER)).thenFails('forbidden', 'high-sensitivity step shift-50');
});

test('approvals may come early (pending step, pending run), never for steps needing none, started steps or ended runs', () => {
  spec.given([started(canary())]).when(approve('shift-10'), as(APPROVER)).then([ev('run.step.approved', { stepId: 'shift-10', approver: APPROVER })]);
  spec.given(canaryRunning()).when(approve('health-10'), as(APPROVER)).thenFails('conflict', 'step health-10 needs no approval');
  spec.given(canaryRunning()).when(approve('nope'), as(APPROVER)).thenFails('not-found', 'has no step nope');
  spec.given([...canaryRunning(), ev('run.canceled', { by: REQUESTER })]).when(approve('shift-10'), as(APPROVER)).thenFails('conflict', 'approvals no longer apply');
  spec.given(canaryRunning()).when(approve('shift-10'), { now: ctx().now, related: {} }).thenFails('forbidden');
});

test('cancel: any live run, skipping steps not yet started; twice is a no-op; an ended run is a conflict', () => {
  const cancel: RunCommand = { type: 'run.cancel', data: { ...ref, reason: 'wrong artifact' } };
  spec.given([started(canary())]).when(cancel).then([ev('run.canceled', { by: REQUESTER, reason: 'wrong artifact' })]);
  spec.given(canaryRunning()).when(cancel, as(APPROVER)).then([ev('run.canceled', { by: APPROVER, reason: 'wrong artifact' })]);
  const canceled = [...canaryRunning(), ev('run.canceled', { by: REQUESTER })];
  spec.given(canaryRunning().concat(ev('run.canceled', { by: REQUESTER }))).when(cancel).thenNothing();
  const state = canceled.reduce(evolveRun, initialRunState);
  assert.is(state.status, 'canceled');
  assert.equal(state.status !== 'absent' && Object.values(state.steps).map((s) => s.status), Array(6).fill('skipped'));
  spec.given([...canaryRunning().slice(0, 2), ev('run.rejected', { reason: 'x', gates: [] })]).when(cancel).thenFails('conflict', 'has already ended (failed)');
});

test('the run carries the region and requester it was started with', () => {
  const state = [started(canary())].reduce(evolveRun, initialRunState);
  assert.is(state.status, 'pending');
  if (state.status !== 'absent') {
    assert.is(state.region, REGION);
    assert.is(state.requester, REQUESTER);
    assert.equal(state.order, ['approve-release', 'shift-10', 'health-10', 'shift-50', 'health-50', 'shift-100']);
  }
});

test.run();
