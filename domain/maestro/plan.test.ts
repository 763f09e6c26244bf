// Specifications of the plan aggregate: content-addressed versions, region, reused labels.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PlanRegister, PlanSpec } from '../../schemas/plan.js';
import { DeciderSpecification } from '../../test/decider-spec.js';
import { REGION, T0, canary, registered, specOf } from './fixtures.js';
import { evolvePlan, initialPlanState, planDecider, planVersion, type PlanCommand } from './plan.js';

const spec = DeciderSpecification.for(planDecider, { now: T0, related: {} });
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

test('planVersion: latest by default, or the named one', () => {
  const state = [registered(canary(), 1), registered(v2(), 2)].reduce(evolvePlan, initialPlanState);
  assert.is(planVersion(state)?.version, 2);
  assert.is(planVersion(state, 1)?.spec.version, '1.0.0');
  assert.is(planVersion(state, 3), undefined);
  assert.is(planVersion(initialPlanState), undefined);
});

test.run();
