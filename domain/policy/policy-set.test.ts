// Decider specifications of a tenant's policy set: the default as version 1, proposals refused with the
// validator's messages, repeats, and the two-person rule on publishing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DeciderSpecification } from '../../test/decider-spec.js';
import type { PolicyEvent } from '../../schemas/policy.js';
import { evolvePolicySet, inForce, initialPolicySetState, policySetDecider, policyVersionOf, type PolicyContext } from './policy-set.js';

const DEFAULT = '@id("a") permit (principal, action, resource);\n';
const NEXT = '@id("b") permit (principal, action, resource);\n';
const V1 = policyVersionOf(DEFAULT);
const V2 = policyVersionOf(NEXT);
const ctx = (actor: string): PolicyContext => ({
  now: '2026-12-07T00:00:00Z',
  related: {},
  actor,
  defaultText: DEFAULT,
  problems: (text) => (text.includes('rolez') ? ['x: attribute `rolez` on entity type `CompanyOS::Principal` not found'] : []),
});

const proposed = (ordinal: number, text: string, author: string, reason: string): PolicyEvent => ({
  type: 'policy.set.proposed', schemaVersion: 1, data: { version: policyVersionOf(text), ordinal, text, author, reason },
});
const published = (ordinal: number, version: string, proposer: string, approver: string, previous: string | null, reason: string): PolicyEvent => ({
  type: 'policy.set.published', schemaVersion: 1, data: { version, ordinal, proposer, approver, previous, reason },
});
const seed = [
  proposed(1, DEFAULT, 'system', 'the default policy set, in force until the tenant publishes another'),
  published(1, V1, 'system', 'system', null, 'the default policy set'),
];

const policy = suite('policy set decider');
const spec = DeciderSpecification.for(policySetDecider);

policy('the first proposal writes the default as version 1 (published by the system), then proposes version 2', () => {
  spec.given([]).when({ type: 'policy.set.propose', data: { region: 'eu-west', text: NEXT, reason: 'tighten' } }, ctx('alice'))
    .then([...seed, proposed(2, NEXT, 'alice', 'tighten')]);
});

policy('a text that does not validate is refused with the validator messages, nothing written', () => {
  const error = spec.given(seed).when({ type: 'policy.set.propose', data: { region: 'eu-west', text: 'permit (principal.rolez)', reason: 'x' } }, ctx('alice'))
    .thenFails('policy-invalid', 'attribute `rolez`');
  assert.is(error.status, 422);
  assert.equal(error.extensions?.['errors'], ['x: attribute `rolez` on entity type `CompanyOS::Principal` not found']);
});

policy('proposing the text in force is a conflict; proposing a waiting text again writes nothing', () => {
  spec.given(seed).when({ type: 'policy.set.propose', data: { region: 'eu-west', text: DEFAULT, reason: 'again' } }, ctx('alice')).thenFails('conflict', 'already in force');
  spec.given([]).when({ type: 'policy.set.propose', data: { region: 'eu-west', text: DEFAULT, reason: 'again' } }, ctx('alice')).thenFails('conflict', V1);
  spec.given([...seed, proposed(2, NEXT, 'alice', 'tighten')]).when({ type: 'policy.set.propose', data: { region: 'eu-west', text: NEXT, reason: 'again' } }, ctx('bob')).thenNothing();
});

policy('a second admin publishes; the proposer cannot (two-person rule)', () => {
  const given = [...seed, proposed(2, NEXT, 'alice', 'tighten')];
  spec.given(given).when({ type: 'policy.set.publish', data: { region: 'eu-west', version: V2 } }, ctx('bob'))
    .then([published(2, V2, 'alice', 'bob', V1, 'approved by bob')]);
  spec.given(given).when({ type: 'policy.set.publish', data: { region: 'eu-west', version: V2, reason: 'reviewed' } }, ctx('bob'))
    .then([published(2, V2, 'alice', 'bob', V1, 'reviewed')]);
  const refused = spec.given(given).when({ type: 'policy.set.publish', data: { region: 'eu-west', version: V2 } }, ctx('alice')).thenFails('two-person-rule', 'a different admin');
  assert.is(refused.status, 403);
});

policy('publishing what is in force writes nothing; publishing what nobody proposed is not found', () => {
  const done = [...seed, proposed(2, NEXT, 'alice', 'tighten'), published(2, V2, 'alice', 'bob', V1, 'ok')];
  spec.given(done).when({ type: 'policy.set.publish', data: { region: 'eu-west', version: V2 } }, ctx('carol')).thenNothing();
  spec.given(seed).when({ type: 'policy.set.publish', data: { region: 'eu-west', version: 'f'.repeat(64) } }, ctx('carol')).thenFails('not-found');
});

policy('rolling back: the earlier text proposed again is a new ordinal with the same version', () => {
  const done = [...seed, proposed(2, NEXT, 'alice', 'tighten'), published(2, V2, 'alice', 'bob', V1, 'ok')];
  spec.given(done).when({ type: 'policy.set.propose', data: { region: 'eu-west', text: DEFAULT, reason: 'roll back' } }, ctx('bob'))
    .then([proposed(3, DEFAULT, 'bob', 'roll back')]);
  const state = [...done, proposed(3, DEFAULT, 'bob', 'roll back'), published(3, V1, 'bob', 'alice', V2, 'ok')].reduce(evolvePolicySet, initialPolicySetState);
  assert.is(inForce(state)?.ordinal, 3);
  assert.equal(state.versions.map((v) => v.status), ['superseded', 'superseded', 'published']);
});

policy.run();
