// The Maestro HTTP API end to end on an in-memory log: plans, runs, approvals, cancel, the run-state read
// model (runs, timeline) and the run in the provenance graph, with the real executor (system clock).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { planStream, runStream } from '../../domain/index.js';
import { READ_MODELS, projectUntil } from '../../projections/index.js';
import { openTestApi, type TestApi } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';

interface Ctx {
  memory: TestLog;
  api: TestApi;
  author: string;
  operator: string;
  approver: string;
  viewer: string;
  stranger: string;
}
const test = suite<Ctx>('runs routes', {} as Ctx);

test.before(async (ctx) => {
  ctx.memory = await openMemoryLog();
  ctx.api = await openTestApi(ctx.memory.log);
  ctx.api.system.startExecutor({ onError: () => {} });
  const token = (subject: string, roles: Parameters<TestApi['token']>[0]['roles'], tenant = 'acme') => ctx.api.token({ subject, tenant, roles, region: 'us-east' });
  ctx.author = await token('user:alice', ['plan-author', 'operator']);
  ctx.operator = await token('user:alice', ['operator']);
  ctx.approver = await token('user:bob', ['release-manager']);
  ctx.viewer = await token('user:vic', ['viewer']);
  ctx.stranger = await token('user:eve', ['admin'], 'other');
});
test.after(async (ctx) => {
  await ctx.api.close();
  await ctx.memory.close();
});

const PLAN = `name: quick
steps:
  - id: one
    action_type: wait
    wait: { duration: 10ms }
  - id: two
    needs: [one]
    action_type: wait
    wait: { duration: 10ms }
`;
const GATED = `name: gated
steps:
  - id: go
    action_type: wait
    wait: { duration: 10ms }
    sensitivity: high
    approval_policy: two-person
`;

const yaml = (token: string, source: string) => ({ token, rawBody: source, headers: { 'content-type': 'application/yaml' } });

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const lastType = async ({ memory }: Ctx, runId: string) => (await memory.log.readStream(runStream('acme', runId))).at(-1)?.type;
const project = async ({ api }: Ctx) => {
  for (const p of READ_MODELS) await projectUntil({ log: api.system.log, store: api.system.readStore }, p, { schema: api.system.readStore.schema });
};

test('POST /v1/plans: YAML or JSON; the same content again is the same version; problems are listed', async (ctx) => {
  const first = await ctx.api.call('POST', '/v1/plans', yaml(ctx.author, PLAN));
  assert.is(first.status, 201, JSON.stringify(first.body));
  assert.equal([first.body.name, first.body.version, first.body.created], ['quick', 1, true]);
  const again = await ctx.api.call('POST', '/v1/plans', { token: ctx.author, body: { source: PLAN } });
  assert.is(again.status, 200);
  assert.equal([again.body.version, again.body.created], [1, false]);
  const broken = await ctx.api.call('POST', '/v1/plans', yaml(ctx.author, 'name: x\nsteps:\n  - id: a\n    action_type: teleport\n'));
  assert.is(broken.status, 400);
  assert.is(broken.headers.get('content-type'), 'application/problem+json');
  assert.ok(broken.body.errors.some((e: string) => e.includes('action_type')), JSON.stringify(broken.body.errors));
  const denied = await ctx.api.call('POST', '/v1/plans', yaml(ctx.operator, PLAN));
  assert.is(denied.status, 403);
  assert.is((await ctx.api.call('POST', '/v1/plans', yaml(ctx.author, GATED))).status, 201);
});

test('POST /v1/plans: a script step naming a program is a bad plan (400); with no actions configured any script step is 422, naming the step', async (ctx) => {
  const shell = await ctx.api.call('POST', '/v1/plans', yaml(ctx.author, 'name: own-box\nsteps:\n  - id: pwn\n    action_type: script\n    script: { command: /bin/sh, args: [-c, "id; ls -l data/jwt-secret"] }\n'));
  assert.is(shell.status, 400);
  assert.is(shell.headers.get('content-type'), 'application/problem+json');
  assert.ok(shell.body.errors.includes('source: steps[0].script.command: unknown field'), JSON.stringify(shell.body.errors));
  const interpreter = await ctx.api.call('POST', '/v1/plans', yaml(ctx.author, 'name: own-box\nsteps:\n  - { id: pwn, action_type: script, script: { action: /usr/bin/node } }\n'));
  assert.is(interpreter.status, 400);
  const named = await ctx.api.call('POST', '/v1/plans', yaml(ctx.author, `name: health\nsteps:${'\n  - { id: warm-up, action_type: wait, wait: { duration: 1s } }'}\n  - id: check\n    action_type: script\n    script: { action: check-health, params: { service: checkout } }\n`));
  assert.is(named.status, 422, JSON.stringify(named.body));
  assert.is(named.headers.get('content-type'), 'application/problem+json');
  assert.is(named.body.code, 'action-not-offered');
  assert.equal(named.body.errors, ['steps[1] (check).script: script steps are disabled on this server (no actions are registered)']);
  assert.match(named.body.detail, /steps\[1\] \(check\)/);
  assert.equal(await ctx.memory.log.readStream(planStream('acme', 'health')), [], 'nothing was registered');
});

test('POST /v1/runs starts a run the executor finishes; GET shows it, its steps and its timeline', async (ctx) => {
  const started = await ctx.api.call('POST', '/v1/runs', { token: ctx.operator, body: { plan: 'quick', runId: 'q1', inputs: { env: 'prod' } } });
  assert.is(started.status, 201, JSON.stringify(started.body));
  assert.is(started.headers.get('location'), '/v1/runs/q1');
  await until('q1 to complete', async () => (await lastType(ctx, 'q1')) === 'run.completed');
  await project(ctx);
  const run = await ctx.api.call('GET', '/v1/runs/q1', { token: ctx.viewer });
  assert.is(run.status, 200);
  assert.equal([run.body.status, run.body.requester, run.body.inputs], ['success', 'user:alice', { env: 'prod' }]);
  assert.equal(run.body.steps.map((s: { id: string; status: string }) => [s.id, s.status]), [['one', 'succeeded'], ['two', 'succeeded']]);
  const timeline = await ctx.api.call('GET', '/v1/runs/q1/timeline?limit=4', { token: ctx.viewer });
  assert.is(timeline.status, 200);
  assert.equal(timeline.body.items.map((i: { type: string }) => i.type), ['run.started', 'run.evaluation.started', 'run.admitted', 'run.step.started']);
  assert.ok(timeline.body.next);
  const list = await ctx.api.call('GET', '/v1/runs?state=success', { token: ctx.viewer });
  assert.equal(list.body.items.map((r: { runId: string }) => r.runId), ['q1']);
  assert.is((await ctx.api.call('GET', '/v1/runs?state=exploded', { token: ctx.viewer })).status, 400);
  assert.is((await ctx.api.call('GET', '/v1/runs/q1', { token: ctx.stranger })).status, 404, 'another tenant sees nothing');
  assert.is((await ctx.api.call('GET', '/v1/runs/q1')).status, 401);
  // The run in the provenance graph: Run node, PERFORMS from its requester.
  const node = await ctx.api.call('GET', `/v1/graph/nodes/${encodeURIComponent('run:q1')}`, { token: ctx.viewer });
  assert.is(node.status, 200, JSON.stringify(node.body));
  assert.is(node.body.attributes.status, 'success');
  const related = await ctx.api.call('GET', `/v1/graph/related?id=${encodeURIComponent('run:q1')}&direction=up`, { token: ctx.viewer });
  assert.equal(related.body.items.map((i: { node: { id: string }; edge: { type: string } }) => [i.node.id, i.edge.type]), [['user:alice', 'PERFORMS']]);
});

test('POST /v1/runs: unknown plan 404, bad body 400, wrong role 403', async (ctx) => {
  assert.is((await ctx.api.call('POST', '/v1/runs', { token: ctx.operator, body: { plan: 'nope' } })).status, 404);
  const bad = await ctx.api.call('POST', '/v1/runs', { token: ctx.operator, body: { plan: 'quick', runId: 'has:colon' } });
  assert.is(bad.status, 400);
  assert.match(bad.body.detail, /runId/);
  assert.is((await ctx.api.call('POST', '/v1/runs', { token: ctx.viewer, body: { plan: 'quick' } })).status, 403);
});

test('run and plan writes check the Idempotency-Key like every command (400 bad-idempotency-key)', async (ctx) => {
  const headers = { 'idempotency-key': 'has space' };
  for (const [path, body] of [['/v1/runs', { plan: 'quick' }], ['/v1/runs/r9/cancel', {}], ['/v1/runs/r9/steps/s/approve', {}], ['/v1/plans', { source: PLAN }]] as const) {
    const res = await ctx.api.call('POST', path, { token: ctx.operator, body, headers });
    assert.is(res.status, 400, path);
    assert.is(res.body.type.endsWith('bad-idempotency-key'), true, path);
  }
});

test('approve: the requester may not approve a two-person step; two others can; cancel is idempotent', async (ctx) => {
  assert.is((await ctx.api.call('POST', '/v1/runs', { token: ctx.operator, body: { plan: 'gated', runId: 'g1' } })).status, 201);
  const self = await ctx.api.call('POST', '/v1/runs/g1/steps/go/approve', { token: ctx.author, body: {} });
  assert.is(self.status, 403, JSON.stringify(self.body));
  assert.match(self.body.detail, /nobody approves/);
  assert.is((await ctx.api.call('POST', '/v1/runs/g1/steps/go/approve', { token: ctx.approver, body: { comment: 'looks good' } })).status, 201);
  const carol = await ctx.api.token({ subject: 'user:carol', tenant: 'acme', roles: ['operator'], region: 'us-east' });
  assert.is((await ctx.api.call('POST', '/v1/runs/g1/steps/go/approve', { token: carol })).status, 201);
  await until('g1 to complete', async () => (await lastType(ctx, 'g1')) === 'run.completed');
  assert.is((await ctx.api.call('POST', '/v1/runs/nope/cancel', { token: ctx.operator })).status, 404);
  assert.is((await ctx.api.call('POST', '/v1/runs', { token: ctx.operator, body: { plan: 'gated', runId: 'g2' } })).status, 201);
  assert.is((await ctx.api.call('POST', '/v1/runs/g2/cancel', { token: ctx.operator, body: { reason: 'not today' } })).status, 201);
  assert.is((await ctx.api.call('POST', '/v1/runs/g2/cancel', { token: ctx.operator })).status, 200);
  await project(ctx);
  const g2 = await ctx.api.call('GET', '/v1/runs/g2', { token: ctx.viewer });
  assert.is(g2.body.status, 'canceled');
});

test('GET /v1/runs?state=waiting_manual: runs waiting for an approval, with what for and who may act; the step reads waiting_approval', async (ctx) => {
  assert.is((await ctx.api.call('POST', '/v1/runs', { token: ctx.operator, body: { plan: 'gated', runId: 'w1' } })).status, 201);
  await until('w1 to be admitted', async () => (await lastType(ctx, 'w1')) === 'run.admitted');
  await project(ctx);
  const list = await ctx.api.call('GET', '/v1/runs?state=waiting_manual', { token: ctx.viewer });
  assert.is(list.status, 200);
  assert.equal(list.body.items.map((r: { runId: string; waitingFor: { stepId: string; approvalsNeeded: number; notBy: string[] }[] }) => [r.runId, r.waitingFor.map((w) => [w.stepId, w.approvalsNeeded, w.notBy])]), [
    ['w1', [['go', 2, ['user:alice']]]],
  ]);
  assert.equal((await ctx.api.call('GET', '/v1/runs?state=running', { token: ctx.viewer })).body.items, []);
  const run = await ctx.api.call('GET', '/v1/runs/w1', { token: ctx.viewer });
  assert.equal([run.body.status, run.body.blockedOn, run.body.resumeTo], ['waiting_manual', ['go'], 'running']);
  assert.equal([run.body.steps[0].status, run.body.steps[0].waitingFor.roles, run.body.steps[0].waitingFor.actions], ['waiting_approval', ['operator', 'release-manager', 'admin'], ['approve', 'cancel']]);
  // One approval of two: still waiting, for one more, not from who already approved.
  assert.is((await ctx.api.call('POST', '/v1/runs/w1/steps/go/approve', { token: ctx.approver })).status, 201);
  await project(ctx);
  const half = await ctx.api.call('GET', '/v1/runs/w1', { token: ctx.viewer });
  assert.equal([half.body.status, half.body.waitingFor[0].approvalsNeeded, half.body.waitingFor[0].notBy], ['waiting_manual', 1, ['user:alice', 'user:bob']]);
  assert.is((await ctx.api.call('POST', '/v1/runs/w1/cancel', { token: ctx.operator })).status, 201);
  await project(ctx);
  const canceled = await ctx.api.call('GET', '/v1/runs/w1', { token: ctx.viewer });
  assert.equal([canceled.body.status, canceled.body.waitingFor, canceled.body.steps[0].waitingFor], ['canceled', [], null]);
});

test.run();
