// The actions file: what an operator may register, every mistake named at once; parameters checked and
// templated as whole arguments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import type { ActionDefinition } from '../../schemas/actions.js';
import { paramProblems } from '../../domain/maestro/action-params.js';
import { actionArgv } from './action-argv.js';
import { parseActionsFile } from './actions-file.js';

const problemsOf = (yaml: string): readonly string[] => {
  const r = parseActionsFile(yaml);
  if (!isLeft(r)) throw new Error('expected problems');
  return r.left;
};

const DEPLOY = `actions:
  deploy-canary:
    program: /opt/deploy/bin/shift-traffic
    args: [--service, "{service}", --percent, "{percent}", --env, "{env}", --key, "{idempotency_key}"]
    params:
      service: { type: string, pattern: "[a-z][a-z0-9-]{0,62}" }
      percent: { type: integer, min: 0, max: 100 }
      env: { type: enum, values: [staging, production], default: staging }
    timeout: 2m
    env:
      PATH: /usr/bin:/bin
      DEPLOY_TOKEN: { from: DEPLOY_TOKEN }
    outputCap: 65536
`;

const deploy = (): ActionDefinition => {
  const r = parseActionsFile(DEPLOY);
  if (isLeft(r)) throw new Error(r.left.join('; '));
  return r.right.get('deploy-canary')!;
};

test('a well-formed action: defaults filled in, parameters templated as whole arguments', () => {
  const d = deploy();
  assert.equal(d.timeout, '2m');
  assert.equal(paramProblems(d, { service: 'checkout', percent: 10 }), []);
  assert.equal(actionArgv(d, { service: 'checkout', percent: 10 }, 'r:s:1'), ['--service', 'checkout', '--percent', '10', '--env', 'staging', '--key', 'r:s:1']);
  const json = parseActionsFile('{"actions": {"x": {"program": "/bin/true"}}}');
  assert.ok(isRight(json));
  if (isRight(json)) assert.equal(json.right.get('x'), { program: '/bin/true', args: [], params: {}, timeout: '5m', env: {} });
});

test('parameters: unknown, missing, out of range, off pattern, not in the enum, option-like, control characters', () => {
  assert.equal(paramProblems(deploy(), { service: 'Checkout; rm -rf /', percent: 101, env: 'prod', extra: 'x' }), [
    'params.extra: the action has no such parameter',
    'params.service: "Checkout; rm -rf /" does not match the pattern of service',
    'params.percent: expected an integer 0..100, got 101',
    'params.env: expected one of staging, production, got "prod"',
  ]);
  assert.equal(paramProblems(deploy(), { percent: '10' as unknown as number }), ['params.service: missing', 'params.percent: expected an integer 0..100, got "10"']);
  const free = parseActionsFile('actions:\n  a: { program: /bin/echo, args: ["{v}"], params: { v: { type: string } } }');
  if (isLeft(free)) throw new Error(free.left.join('; '));
  const a = free.right.get('a')!;
  for (const v of ['--output=/etc/passwd', '-c', 'a\u0000b', 'line\nbreak', '', 'x'.repeat(257)]) assert.is(paramProblems(a, { v }).length, 1, JSON.stringify(v));
  assert.equal(paramProblems(a, { v: 'a value; with $(shell) `chars`' }), [], 'no shell ever reads it, so shell characters are just characters');
});

test('a broken actions file names every problem', () => {
  assert.equal(
    problemsOf(`actions:
  Bad Name: { program: /bin/true }
  relative: { program: ./deploy.sh }
  dotted: { program: /opt/../bin/sh }
  spliced: { program: /bin/echo, args: ["--percent={percent}", "{nope}"], params: { percent: { type: integer } } }
  unused: { program: /bin/echo, params: { p: { type: string, pattern: "(" } } }
  leaky: { program: /bin/env, env: { A: { from: COMPANYOS_JWT_SECRET }, B: { from: DATABASE_URL } } }
  typed: { program: /bin/true, params: { p: { type: float } }, timeout: forever, shell: true }
`),
    [
      'actions.Bad Name: expected the name to be ActionName (1-64 characters: a-z 0-9 . _ -, starting with a letter or digit)',
      'actions.relative.program: expected absolute path of a program (no "." or ".." segments), got "./deploy.sh"',
      'actions.dotted.program: expected absolute path of a program (no "." or ".." segments), got "/opt/../bin/sh"',
      'actions.spliced: args[0]: a placeholder must be a whole argument, like "{name}" (no splicing into a string)',
      'actions.spliced: args[1]: {nope} names no parameter',
      'actions.spliced: params.percent: not used in args',
      'actions.unused.params.p.pattern: not a regular expression: Invalid regular expression: /(/u: Unterminated group',
      'actions.leaky.env.A.from: expected a variable of the server environment (not COMPANYOS_*, DATABASE_URL, EVENTSTORE_URL, CLICKHOUSE_URL or NATS_URL), got "COMPANYOS_JWT_SECRET"',
      'actions.leaky.env.B.from: expected a variable of the server environment (not COMPANYOS_*, DATABASE_URL, EVENTSTORE_URL, CLICKHOUSE_URL or NATS_URL), got "DATABASE_URL"',
      'actions.typed.shell: unknown field',
      'actions.typed.params.p: expected a parameter with type string, integer or enum, got {"type":"float"}',
      'actions.typed.timeout: expected Duration (e.g. 250ms, 30s, 5m, 1h30m; more than 0, at most 30d), got "forever"',
    ],
  );
  assert.equal(problemsOf('actions: [1]'), ['actions: expected a map of action names to actions, got [1]']);
  assert.match(problemsOf('actions:\n  a: 1\n  a: 2')[0]!, /^yaml: Map keys must be unique/);
});

test.run();
