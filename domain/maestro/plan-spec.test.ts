// The mcplan.yaml spec: the seed's plans parse, broken plans name every problem at once (shape and
// Maestro's rules together), the graph is ordered and checked, and the digest ignores formatting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { canonicalize } from '../../ledger/index.js';
import { PlanSpec, type StepSpec } from '../../schemas/plan.js';
import { topologicalOrder } from './plan-order.js';
import { CheckedPlanSpec, planProblems } from './plan-rules.js';
import { parsePlanYaml } from './plan-source.js';
import { formatValidationErrors } from '../../schemas/validation.js';
import { canonicalJson, planDigest } from './digest.js';
import { canary, chain, planFixture, specOf } from '../../test/maestro-fixtures.js';

const problemsOf = (yaml: string): readonly string[] => {
  const r = parsePlanYaml(yaml);
  if (!isLeft(r)) throw new Error('expected problems');
  return r.left;
};

test('the canary plan: 10% → health → 50% → health → 100%, each shift undone by shifting back', () => {
  const spec = canary();
  assert.equal(topologicalOrder(spec.steps), ['approve-release', 'shift-10', 'health-10', 'shift-50', 'health-50', 'shift-100']);
  const weight = (s: StepSpec | StepSpec['compensation']) => (s?.action_type === 'http' ? (s.http.body as { weight: number }).weight : undefined);
  const shifts = spec.steps.filter((s) => s.id.startsWith('shift-'));
  assert.equal(shifts.map((s) => [weight(s), weight(s.compensation)]), [[10, 0], [50, 10], [100, 50]]);
  assert.equal(planProblems(spec), []);
});

test('defaults are filled in: needs, sensitivity, approval, timeout, retries, on_failure', () => {
  const step = specOf('name: p\nsteps:\n  - { id: a, action_type: wait, wait: { duration: 1s } }').steps[0]!;
  assert.equal(step, {
    action_type: 'wait',
    wait: { duration: '1s' },
    id: 'a',
    needs: [],
    sensitivity: 'low',
    approval_policy: 'none',
    timeout: '5m',
    retries: { max: 0, base_delay: '1s', max_delay: '5m', jitter: 0 },
    on_failure: 'rollback',
  });
});

test('the incident-mitigation plan parses and orders its DAG stably', () => {
  const r = parsePlanYaml(planFixture('incident-mitigation.yaml'));
  assert.ok(isRight(r));
  if (isRight(r)) assert.equal(topologicalOrder(r.right.steps), ['page-oncall', 'cordon', 'feature-flag', 'fix-script', 'settle', 'verify-metrics', 'uncordon']);
});

test('a broken plan names every problem at once: fields, unknown fields, durations, actions, graph', () => {
  assert.equal(problemsOf(planFixture('broken-everything.yaml')), [
    'colour: unknown field',
    'name: expected PlanName (1-64 characters: a-z 0-9 . _ -, starting with a letter or digit), got "Not A Slug"',
    'steps[0].timeout: expected Duration (e.g. 250ms, 30s, 5m, 1h30m; more than 0, at most 30d), got "30 seconds"',
    'steps[0].retries.base_delay: expected Duration (e.g. 250ms, 30s, 5m, 1h30m; more than 0, at most 30d), got "0s"',
    'steps[0].retries.jitter: expected number 0..1, got 1.5',
    'steps[0].on_failure: expected OnFailure (one of rollback, continue, manual), got "explode"',
    'steps[0].http: missing, action_type http needs an http block with method and url',
    'steps[1].http: not allowed for action_type script',
    'steps[1].success_condition.status: only http actions have a status, not script',
    'steps[2].manual.instructions: missing, expected text (1-4000 characters, no control characters)',
    'steps[2].approval_policy: a high-sensitivity step needs an approval policy other than none',
    'steps[3].compensation.http.method: expected HttpMethod (one of GET, HEAD, POST, PUT, PATCH, DELETE), got "TELEPORT"',
    'steps[3].compensation.http.url: expected URL (http or https, no user info), got "ftp://example.com"',
    'steps[1].id: duplicate step id "deploy" (first used by steps[0])',
    'steps[2].needs[0]: unknown step id "nobody"',
  ]);
});

test('cycles are named by their path, each once, next to unknown and self needs', () => {
  assert.equal(problemsOf(planFixture('broken-cycle.yaml')), [
    'steps[2].needs[1]: unknown step id "ghost"',
    'steps[3].needs[0]: step "d" cannot need itself',
    'steps: cycle in needs: a → b → c → a (each step needs the next)',
    'steps: cycle in needs: e → f → e (each step needs the next)',
  ]);
});

test('YAML syntax errors are reported with their line, all of them', () => {
  const problems = problemsOf(planFixture('broken-yaml.yaml'));
  assert.is(problems.length, 2);
  assert.match(problems[0]!, /^yaml: Map keys must be unique at line 2/);
  assert.match(problems[1]!, /^yaml: .*line 7/);
});

test('an empty plan, a non-object and a missing block', () => {
  assert.equal(problemsOf(planFixture('broken-empty.yaml')), ['steps: expected list of 1-200 steps, got []']);
  assert.equal(problemsOf('just text'), ['(root): expected a Plan object, got "just text"']);
  assert.equal(problemsOf('name: p\nsteps:\n  - { id: a, action_type: script }'), [
    'steps[0].script: missing, action_type script needs a script block with action (and params)',
  ]);
});

test('graph problems are still found when a step does not decode', () => {
  assert.equal(problemsOf('name: p\nsteps:\n  - { id: a, needs: [b], action_type: wait, wait: { duration: forever } }\n  - { id: b, needs: [a], action_type: wait, wait: { duration: 1s } }'), [
    'steps[0].wait.duration: expected Duration (e.g. 250ms, 30s, 5m, 1h30m; more than 0, at most 30d), got "forever"',
    'steps: cycle in needs: a → b → a (each step needs the next)',
  ]);
});

test('success conditions belong to their action type', () => {
  assert.equal(problemsOf('name: p\nsteps:\n  - { id: a, action_type: wait, wait: { duration: 1s }, success_condition: { exit_code: 0 } }'), [
    'steps[0].success_condition.exit_code: only script actions have an exit code, not wait',
  ]);
  const spec = specOf('name: p\nsteps:\n  - { id: a, action_type: script, script: { action: x }, success_condition: { exit_code: 3 } }');
  assert.equal(spec.steps[0]!.action_type === 'script' && spec.steps[0]!.success_condition, { exit_code: 3 });
});

test('a script step names a registered action and its parameters, never a program, shell or arguments', () => {
  assert.equal(problemsOf('name: p\nsteps:\n  - { id: a, action_type: script, script: { command: /bin/sh, args: [-c, "id"] } }'), [
    'steps[0].script.command: unknown field',
    'steps[0].script.args: unknown field',
    'steps[0].script.action: missing, expected ActionName (1-64 characters: a-z 0-9 . _ -, starting with a letter or digit)',
  ]);
  for (const name of ['/bin/sh', '../bin/sh', 'sh -c id', 'node --eval x', '-c']) {
    assert.match(problemsOf(`name: p\nsteps:\n  - { id: a, action_type: script, script: { action: "${name}" } }`)[0]!, /^steps\[0\]\.script\.action: expected ActionName/, name);
  }
  assert.match(problemsOf('name: p\nsteps:\n  - { id: a, action_type: script, script: { action: ok, params: { x: [1] } } }')[0]!, /^steps\[0\]\.script\.params\.x: expected ParamValue/);
  assert.equal(problemsOf('name: p\nsteps:\n  - { id: a, action_type: script, script: { action: ok, params: { Bad-Name: 1 } } }'), [
    'steps[0].script.params.Bad-Name: expected the name to be ParamName (1-64 characters: a-z 0-9 _, starting with a letter)',
  ]);
  const spec = specOf('name: p\nsteps:\n  - { id: a, action_type: script, script: { action: deploy, params: { percent: 10, service: checkout } } }');
  assert.equal(spec.steps[0]!.action_type === 'script' && spec.steps[0]!.script, { action: 'deploy', params: { percent: 10, service: 'checkout' } });
});

test('http URLs: http or https only, no user info', () => {
  for (const url of ['file:///etc/passwd', 'gopher://x/', 'http://user:pw@example.com/', 'https://example.com@127.0.0.1/']) {
    assert.match(problemsOf(`name: p\nsteps:\n  - { id: a, action_type: http, http: { method: GET, url: "${url}" } }`)[0]!, /^steps\[0\]\.http\.url: expected URL/, url);
  }
});

test('approval policies: none, two-person, role:<role>; nothing else', () => {
  for (const p of ['none', 'two-person', 'role:release-manager']) {
    assert.ok(isRight(parsePlanYaml(`name: p\nsteps:\n  - { id: a, action_type: wait, wait: { duration: 1s }, approval_policy: "${p}" }`)), p);
  }
  assert.match(problemsOf('name: p\nsteps:\n  - { id: a, action_type: wait, wait: { duration: 1s }, approval_policy: everyone }')[0]!, /^steps\[0\]\.approval_policy: expected ApprovalPolicy/);
});

test('planProblems checks a hand-built spec (an SDK builds specs without YAML)', () => {
  const spec = chain();
  const broken = { ...spec, steps: [...spec.steps, { ...spec.steps[0]!, needs: ['c'] }, { ...spec.steps[1]!, id: 'x', sensitivity: 'high' as const }] };
  assert.equal(planProblems(broken), [
    'steps[4].id: duplicate step id "a" (first used by steps[0])',
    'steps[5].approval_policy: a high-sensitivity step needs an approval policy other than none',
  ]);
  const cyclic = { ...spec, steps: spec.steps.map((s) => (s.id === 'a' ? { ...s, needs: ['c'] } : s)) };
  assert.equal(planProblems(cyclic), ['steps: cycle in needs: a → c → b → a (each step needs the next)']);
  assert.throws(() => topologicalOrder(cyclic.steps), /cycle/);
});

test('the rules are the domain\'s: the shape codec (what events carry) reads a spec as written, the checked one refuses it', () => {
  const spec = chain();
  const cyclic = PlanSpec.encode({ ...spec, steps: spec.steps.map((s) => (s.id === 'a' ? { ...s, needs: ['c'] } : s)) });
  assert.ok(isRight(PlanSpec.decode(cyclic)));
  const checked = CheckedPlanSpec.decode(cyclic);
  assert.ok(isLeft(checked));
  if (isLeft(checked)) assert.equal(formatValidationErrors(checked.left), ['steps: cycle in needs: a → c → b → a (each step needs the next)']);
});

test('the digest is over canonical JSON: formatting and key order do not change it, content does', () => {
  const a = specOf('name: p\nsteps:\n  - { id: a, action_type: wait, wait: { duration: 1s } }');
  const b = specOf('steps:\n  - wait:\n      duration: 1s\n    action_type: wait\n    id: a\n# a comment\nname: p\n');
  const json = specOf('{"name": "p", "steps": [{"id": "a", "action_type": "wait", "wait": {"duration": "1s"}, "retries": {"max": 0}}]}');
  assert.is(planDigest(a), planDigest(b));
  assert.is(planDigest(a), planDigest(json));
  assert.is.not(planDigest(a), planDigest(specOf('name: p\nsteps:\n  - { id: a, action_type: wait, wait: { duration: 2s } }')));
  assert.match(planDigest(a), /^[0-9a-f]{64}$/);
});

test('the local canonical JSON equals the ledger canonicalizer (RFC 8785) on specs', () => {
  const value = JSON.parse(JSON.stringify(PlanSpec.encode(canary())));
  assert.is(canonicalJson(value), canonicalize(value));
  const tricky = { é: 1, e: [1e21, 0.1, -0, 'a"b\u0001'], A: { z: null, a: true } };
  assert.is(canonicalJson(tricky), canonicalize(tricky));
});

test.run();
