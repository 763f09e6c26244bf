// Maestro's command handlers as the pipeline drives them: decode, streams, related plan, Cedar
// resource attributes, fold, decide (with and without the principal), encode.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { DomainEvent } from '../command-handler.js';
import { formatValidationErrors } from '../../schemas/validation.js';
import { APPROVER, REGION, RUN, T0, actionsFixture, admitted, canary, planFixture, registered, started } from '../../test/maestro-fixtures.js';
import { EXECUTOR_COMMANDS, maestroCommandHandlers, maestroCommands, planRegisterHandler } from './index.js';

const rightOf = <A>(r: Either<unknown, A>): A => {
  if (isLeft(r)) throw new Error(`expected Right, got ${JSON.stringify(r.left)}`);
  return r.right;
};
const stored = (events: readonly DomainEvent[], encode: (e: never) => unknown) =>
  events.map((e, i) => ({ ...(encode as (e: DomainEvent) => object)(e), id: `id-${i}`, revision: i, meta: {} }));

test('the list holds every Maestro command once; executor commands are named', () => {
  const types = maestroCommandHandlers.map(([type]) => type);
  assert.is(new Set(types).size, types.length);
  assert.equal(types, Object.keys(maestroCommands));
  for (const t of EXECUTOR_COMMANDS) assert.ok(types.includes(t), t);
  for (const [type, h] of maestroCommandHandlers) assert.is(h.resourceType, type.startsWith('plan.') ? 'Plan' : 'Run', type);
});

test('plan.register: the YAML decodes in the codec, every problem reported; stream by plan name', () => {
  const h = planRegisterHandler(actionsFixture());
  const cmd = rightOf(h.codec.decode({ region: REGION, source: planFixture('canary.yaml') }));
  assert.is(h.streamOf('acme', cmd), 'acme/maestro.plan/checkout-canary');
  assert.is(h.resourceId(cmd), 'checkout-canary');
  assert.equal(h.resourceAttributes(cmd, h.initialState), { status: 'absent', region: REGION, name: 'checkout-canary', versions: 0, maxSensitivity: 'high', highSensitivitySteps: 3 });
  const events = rightOf(h.decide(cmd, h.initialState, { now: T0, related: {} }));
  assert.equal(events.map((e) => h.encodeEvent(e)), [JSON.parse(JSON.stringify(registered(canary())))]);
  const bad = h.codec.decode({ region: REGION, source: planFixture('broken-cycle.yaml'), extra: 1 });
  assert.ok(isLeft(bad));
  if (isLeft(bad)) assert.equal(formatValidationErrors(bad.left), ['extra: unknown field']);
  const cyc = h.codec.decode({ region: REGION, source: planFixture('broken-cycle.yaml') });
  if (isLeft(cyc)) assert.equal(formatValidationErrors(cyc.left)[2], 'source: steps: cycle in needs: a → b → c → a (each step needs the next)');
  else assert.unreachable('expected problems');
});

test('run.start reads the plan stream and needs the principal from the pipeline', () => {
  const h = maestroCommands['run.start'];
  const cmd = rightOf(h.codec.decode({ runId: RUN, region: REGION, plan: 'checkout-canary' }));
  assert.is(h.streamOf('acme', cmd), `acme/maestro.run/${RUN}`);
  const related = h.relatedStreams('acme', cmd);
  assert.is(related.plan.stream, 'acme/maestro.plan/checkout-canary');
  const plan = rightOf(related.plan.fold(stored([registered(canary())], maestroCommands['plan.register'].encodeEvent)));
  assert.equal(h.resourceAttributes(cmd, h.initialState), { status: 'absent', region: REGION, plan: 'checkout-canary' });
  // Today's pipeline passes { now, related } only: refuse rather than record an unknown requester.
  const without = h.decide(cmd, h.initialState, { now: T0, related: { plan } });
  assert.ok(isLeft(without) && without.left.code === 'forbidden');
  const ctx = { now: T0, related: { plan }, actor: 'user:alice' };
  const events = rightOf(h.decide(cmd, h.initialState, ctx));
  assert.equal(events.map((e) => h.encodeEvent(e)), [JSON.parse(JSON.stringify(started(canary())))]);
});

test('step commands expose what Cedar needs: sensitivity, approval policy, role, approvers, requester', () => {
  const h = maestroCommands['run.step.approve'];
  const state = rightOf(h.fold(stored(admitted(canary()), maestroCommands['run.start'].encodeEvent)));
  const cmd = rightOf(h.codec.decode({ runId: RUN, region: REGION, stepId: 'shift-10' }));
  assert.equal(h.resourceAttributes(cmd, state), {
    status: 'running',
    region: REGION,
    plan: 'checkout-canary',
    planVersion: 1,
    requester: 'user:alice',
    maxSensitivity: 'high',
    step: { id: 'shift-10', status: 'pending', sensitivity: 'medium', approvalPolicy: 'role:release-manager', actionType: 'http', approvals: [], requiredRole: 'release-manager' },
  });
  const withActor = { now: T0, related: {}, actor: APPROVER };
  const events = rightOf(h.decide(cmd, state, withActor));
  assert.equal(events.map((e) => h.encodeEvent(e)), [{ type: 'run.step.approved', schemaVersion: 1, data: { stepId: 'shift-10', approver: APPROVER } }]);
});

test('executor commands decode strictly and fold the run stream', () => {
  const h = maestroCommands['run.step.attempt.fail'];
  const bad = h.codec.decode({ runId: 'a:b', region: REGION, stepId: 'x', attempt: 0, cause: 'meh', error: 'e', retryAt: 'soon' });
  assert.ok(isLeft(bad));
  if (isLeft(bad)) assert.equal(formatValidationErrors(bad.left).map((l) => l.split(':')[0]), ['runId', 'attempt', 'cause', 'retryAt']);
  const unreadable = h.fold([{ type: 'run.exploded', schemaVersion: 1, data: {} }]);
  assert.ok(isLeft(unreadable));
});

test.run();
