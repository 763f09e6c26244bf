// Specifications of the plan aggregate: content-addressed versions, region, reused labels.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NO_ACTIONS } from '../../schemas/actions.js';
import type { PlanRegister, PlanSpec } from '../../schemas/plan.js';
import { DeciderSpecification } from '../../test/decider-spec.js';
import { REGION, T0, actionsFixture, canary, registered, specOf } from '../../test/maestro-fixtures.js';
import { evolvePlan, initialPlanState, planDecider, planVersion, type PlanCommand } from './plan.js';

const spec = DeciderSpecification.for(planDecider, { now: T0, related: {}, actions: actionsFixture() });
const withoutActions = DeciderSpecification.for(planDecider, { now: T0, related: {}, actions: NO_ACTIONS });
const register = (s: PlanSpec, region = REGION): PlanCommand => ({ type: 'plan.register', data: { region, source: '(yaml)', spec: s } satisfies PlanRegister });
const v2 = (): PlanSpec => ({ ...canary(), version: '1.1.0', description: 'with a longer health check' });

test('the first registration is version 1, with the digest and the spec', () => {
  spec.given([]).when(register(canary())).then([registered(canary(), 1)]);
});

test('registering the same spec again writes nothing', () => {
  spec.given([registered(canary())]).when(register(canary())).thenNothing();
});

test('a different spec is the next version', () => {
  spec.given([registered(canary())]).when(register(v2())).then([registered(v2(), 2)]);
});

test('content registered before, even an older version, writes nothing', () => {
  spec.given([registered(canary(), 1), registered(v2(), 2)]).when(register(canary())).thenNothing();
});

test('reusing a version label for other content is a conflict', () => {
  const relabelled = { ...v2(), version: '1.0.0' };
  spec.given([registered(canary())]).when(register(relabelled)).thenFails('conflict', 'version label "1.0.0" is already version 1');
});

test('a plan without labels just gets numbers', () => {
  const a = specOf('name: p\nsteps:\n  - { id: a, action_type: wait, wait: { duration: 1s } }');
  const b = specOf('name: p\nsteps:\n  - { id: a, action_type: wait, wait: { duration: 2s } }');
  spec.given([registered(a)]).when(register(b)).then([registered(b, 2)]);
});

test('a plan lives in one region', () => {
  spec.given([registered(canary())]).when(register(v2(), 'eu-west')).thenFails('region-mismatch', 'lives in region us-east');
});

test('script steps are refused when the server offers no actions, naming each step', () => {
  withoutActions
    .given([])
    .when(register(canary()))
    .thenFails('action-not-offered', '2 problems: steps[2] (health-10).script: script steps are disabled on this server (no actions are registered); steps[4] (health-50).script');
  // Plans without script steps do not need actions.
  const waits = specOf('name: p\nsteps:\n  - { id: a, action_type: wait, wait: { duration: 1s } }');
  withoutActions.given([]).when(register(waits)).then([registered(waits)]);
});

test('a script step must name a registered action with the parameters it takes', () => {
  const plan = (script: string, compensation = '') =>
    specOf(`name: p\nsteps:\n  - id: check\n    action_type: script\n    script: ${script}${compensation}`);
  spec.given([]).when(register(plan('{ action: rm-rf }'))).thenFails('action-not-offered', 'steps[0] (check).script.action: no action "rm-rf" on this server (offered: check-health)');
  spec
    .given([])
    .when(register(plan('{ action: check-health, params: { service: Checkout, window: 1h, extra: 1 } }')))
    .thenFails(
      'action-not-offered',
      '4 problems: steps[0] (check).script.params.extra: the action has no such parameter; steps[0] (check).script.params.service: "Checkout" does not match the pattern of service; ' +
        'steps[0] (check).script.params.error_budget: missing; steps[0] (check).script.params.window: expected one of 5m, 10m, got "1h"',
    );
  spec
    .given([])
    .when(register(plan('{ action: check-health, params: { service: checkout, error_budget: "--output=/etc/passwd", window: 5m } }')))
    .thenFails('action-not-offered', 'steps[0] (check).script.params.error_budget: expected 1-8 characters without control characters, not starting with "-"');
  const compensated = plan(
    '{ action: check-health, params: { service: checkout, error_budget: "0.1%", window: 5m } }',
    '\n    compensation: { action_type: script, script: { action: undo } }',
  );
  spec.given([]).when(register(compensated)).thenFails('action-not-offered', 'steps[0] (check).compensation.script.action: no action "undo"');
  spec.given([]).when(register(canary())).then([registered(canary())]);
});

test('planVersion: latest by default, or the named one', () => {
  const state = [registered(canary(), 1), registered(v2(), 2)].reduce(evolvePlan, initialPlanState);
  assert.is(planVersion(state)?.version, 2);
  assert.is(planVersion(state, 1)?.spec.version, '1.0.0');
  assert.is(planVersion(state, 3), undefined);
  assert.is(planVersion(initialPlanState), undefined);
});

test.run();
