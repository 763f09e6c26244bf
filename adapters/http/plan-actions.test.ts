// Operator-registered actions end to end: COMPANYOS_ACTIONS_FILE and COMPANYOS_ACTION_USER configure the
// system; a plan's script step is checked against the actions at registration (422 naming the step), and
// the executor runs the action unprivileged with the step's parameters. A bad file stops start-up.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runStream } from '../../domain/index.js';
import { openTestApi, type TestApi } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';

interface Ctx {
  memory: TestLog;
  api: TestApi;
  dir: string;
  author: string;
}
const test = suite<Ctx>('plan actions', {} as Ctx);

const ACTIONS = `actions:
  report:
    program: /bin/sh
    args: [-c, 'echo "uid=$(id -u) percent=$1 key=$2 env=$(env | sort | tr "\\n" " ")"', report, "{percent}", "{idempotency_key}"]
    params:
      percent: { type: integer, min: 0, max: 100 }
    env: { PATH: /usr/bin:/bin }
    timeout: 30s
`;

test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'companyos-actions-'));
  await writeFile(join(ctx.dir, 'actions.yaml'), ACTIONS);
  ctx.memory = await openMemoryLog();
  ctx.api = await openTestApi(ctx.memory.log, { COMPANYOS_ACTIONS_FILE: join(ctx.dir, 'actions.yaml'), COMPANYOS_ACTION_USER: '65534:65534' });
  ctx.api.system.startExecutor({ onError: () => {} });
  ctx.author = await ctx.api.token({ subject: 'user:alice', tenant: 'acme', roles: ['plan-author', 'operator'], region: 'us-east' });
});
test.after(async (ctx) => {
  await ctx.api.close();
  await ctx.memory.close();
  await rm(ctx.dir, { recursive: true, force: true });
});

const yaml = (token: string, source: string) => ({ token, rawBody: source, headers: { 'content-type': 'application/yaml' } });
const plan = (percent: unknown, name = 'report') => `name: ${name}
steps:
  - id: shift
    action_type: script
    script: { action: report, params: { percent: ${JSON.stringify(percent)} } }
`;

test('a script step is checked against the registered action: unknown action or bad parameter is 422 naming the step', async (ctx) => {
  const unknown = await ctx.api.call('POST', '/v1/plans', yaml(ctx.author, 'name: x\nsteps:\n  - { id: s, action_type: script, script: { action: sh } }\n'));
  assert.is(unknown.status, 422);
  assert.equal(unknown.body.errors, ['steps[0] (s).script.action: no action "sh" on this server (offered: report)']);
  const bad = await ctx.api.call('POST', '/v1/plans', yaml(ctx.author, plan('10; id')));
  assert.is(bad.status, 422);
  assert.equal(bad.body.errors, ['steps[0] (shift).script.params.percent: expected an integer 0..100, got "10; id"']);
});

test('the executor runs the action as the action user, with its parameters and only its variables', async (ctx) => {
  if (process.getuid?.() !== 0) return console.log('skipped: running as another user needs root');
  const registered = await ctx.api.call('POST', '/v1/plans', yaml(ctx.author, plan(10)));
  assert.is(registered.status, 201, JSON.stringify(registered.body));
  const started = await ctx.api.call('POST', '/v1/runs', { token: ctx.author, body: { plan: 'report', runId: 'a1' } });
  assert.is(started.status, 201, JSON.stringify(started.body));
  const deadline = Date.now() + 20_000;
  let events = await ctx.memory.log.readStream(runStream('acme', 'a1'));
  while (events.at(-1)?.type !== 'run.completed' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    events = await ctx.memory.log.readStream(runStream('acme', 'a1'));
  }
  const succeeded = events.find((e) => e.type === 'run.step.succeeded');
  assert.ok(succeeded, JSON.stringify(events.map((e) => [e.type, e.data])));
  const out = (succeeded!.data as { result: { stdout: string } }).result.stdout;
  // `env` lists PWD (set by sh) and the allowed PATH: nothing of the server's environment.
  assert.is(out, `uid=65534 percent=10 key=a1:shift:1 env=PATH=/usr/bin:/bin PWD=${out.match(/PWD=(\S+)/)?.[1]} \n`);
  assert.match(out, /PWD=\/\S+\/companyos-action-/);
});

test('a bad actions file stops start-up, naming the problem', async (ctx) => {
  await writeFile(join(ctx.dir, 'bad.yaml'), 'actions:\n  deploy: { program: ./deploy.sh }\n  gone: { program: /no/such/program }\n');
  const opening = openTestApi(ctx.memory.log, { COMPANYOS_ACTIONS_FILE: join(ctx.dir, 'bad.yaml') });
  const error = await opening.then(
    async (api) => (await api.close(), undefined),
    (e: Error) => e,
  );
  assert.ok(error, 'start-up should fail');
  assert.match(error!.message, /COMPANYOS_ACTIONS_FILE \S+bad\.yaml: actions\.deploy\.program: expected absolute path/);
});

test.run();
