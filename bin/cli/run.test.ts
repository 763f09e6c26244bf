// `companyos run start|status|approve|cancel` as a person runs them: real CLI processes against a listening
// API (in-memory log, real executor), the run waiting for an approval shown with who may act and the
// command that acts, --json for scripts, and the API's refusals as one line with a non-zero exit.
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startHttpServer } from '../../adapters/http/server.js';
import { runStream } from '../../domain/index.js';
import { READ_MODELS, projectUntil } from '../../projections/index.js';
import { openTestApi, type TestApi } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';

const CLI = resolve(import.meta.dirname, '../companyos.js');
const execute = promisify(execFile);

interface Ctx {
  memory: TestLog;
  api: TestApi;
  server: Server;
  url: string;
  operator: string;
  releaseManager: string;
}
const test = suite<Ctx>('companyos run: start, status, approve, cancel through the API', {} as Ctx);

const PLAN = `name: gate
steps:
  - id: confirm
    action_type: manual
    manual: { instructions: Check the dashboard. }
    approval_policy: role:release-manager
  - id: after
    needs: [confirm]
    action_type: wait
    wait: { duration: 10ms }
`;

test.before(async (ctx) => {
  ctx.memory = await openMemoryLog();
  ctx.api = await openTestApi(ctx.memory.log);
  ctx.api.system.startExecutor({ onError: () => {} });
  ctx.server = await startHttpServer({ fetch: ctx.api.system.app.fetch, port: 0, hostname: '127.0.0.1' });
  const address = ctx.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  ctx.url = `http://127.0.0.1:${address.port}`;
  const token = (subject: string, roles: Parameters<TestApi['token']>[0]['roles']) => ctx.api.token({ subject, tenant: 'acme', roles, region: 'us-east' });
  ctx.operator = await token('user:alice', ['plan-author', 'operator']);
  ctx.releaseManager = await token('user:rita', ['release-manager']);
  const plan = await ctx.api.call('POST', '/v1/plans', { token: ctx.operator, rawBody: PLAN, headers: { 'content-type': 'application/yaml' } });
  assert.is(plan.status, 201, JSON.stringify(plan.body));
});
test.after(async (ctx) => {
  await new Promise((r) => ctx.server.close(r));
  await ctx.api.close();
  await ctx.memory.close();
});

async function cli(ctx: Ctx, token: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execute(process.execPath, [CLI, 'run', ...args], { env: { ...process.env, COMPANYOS_URL: ctx.url, COMPANYOS_TOKEN: token } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const lastType = async (ctx: Ctx, runId: string) => (await ctx.memory.log.readStream(runStream('acme', runId))).at(-1)?.type;
const project = async ({ api }: Ctx) => {
  for (const p of READ_MODELS) await projectUntil({ log: api.system.log, store: api.system.readStore }, p, { schema: api.system.readStore.schema });
};

test('a run waiting for an approval: status says what for, who may act and how; approve by the right role moves it on', async (ctx) => {
  const started = await cli(ctx, ctx.operator, ['start', 'gate', '--run-id', 'c1', '--json']);
  assert.is(started.code, 0, started.stderr);
  assert.equal([JSON.parse(started.stdout).runId, JSON.parse(started.stdout).links.self], ['c1', '/v1/runs/c1']);
  await until('c1 to be admitted', async () => (await lastType(ctx, 'c1')) === 'run.admitted');
  await project(ctx);

  const status = await cli(ctx, ctx.operator, ['status', 'c1']);
  assert.is(status.code, 0, status.stderr);
  assert.match(status.stdout, /^run c1: waiting_manual \(plan gate v1, requested by user:alice/);
  assert.match(status.stdout, /confirm\s+waiting_approval\s+manual/);
  assert.match(status.stdout, /waiting for a person:\n  confirm: confirmation that the manual task is done by a holder of role release-manager\n    instructions: Check the dashboard.\n    companyos run approve c1 confirm \[--comment TEXT\]\n    companyos run cancel c1 \[--reason TEXT\]/);
  const json = await cli(ctx, ctx.operator, ['status', 'c1', '--json', '--timeline']);
  assert.is(json.code, 0, json.stderr);
  const run = JSON.parse(json.stdout);
  assert.equal([run.status, run.waitingFor.map((w: { stepId: string; roles: string[] }) => [w.stepId, w.roles]), run.timeline.map((i: { type: string }) => i.type)], [
    'waiting_manual', [['confirm', ['release-manager']]], ['run.started', 'run.evaluation.started', 'run.admitted'],
  ]);

  // An operator without the role: Cedar's refusal, as one line, exit 1.
  const refused = await cli(ctx, ctx.operator, ['approve', 'c1', 'confirm']);
  assert.is(refused.code, 1);
  assert.is(refused.stdout, '');
  assert.match(refused.stderr, /^companyos: denied: a step with approval policy role:<r> is approved only by a holder of role r\n$/, refused.stderr);

  const approved = await cli(ctx, ctx.releaseManager, ['approve', 'c1', 'confirm', '--comment', 'dashboard is green']);
  assert.is(approved.code, 0, approved.stderr);
  assert.is(approved.stdout, 'approved step confirm of run c1\n');
  await until('c1 to complete', async () => (await lastType(ctx, 'c1')) === 'run.completed');
  await project(ctx);
  const done = JSON.parse((await cli(ctx, ctx.operator, ['status', 'c1', '--json'])).stdout);
  assert.equal([done.status, done.steps.map((s: { status: string; approvals: string[] }) => [s.status, s.approvals]), done.waitingFor], [
    'success', [['succeeded', ['user:rita']], ['succeeded', []]], [],
  ]);
  const late = await cli(ctx, ctx.releaseManager, ['approve', 'c1', 'confirm']);
  assert.is(late.code, 1);
  assert.match(late.stderr, /^companyos: run c1 is success; approvals no longer apply\n$/);
});

test('cancel: a waiting run stops; again says so; approvals after it and unknown runs are refused as one line', async (ctx) => {
  assert.is((await cli(ctx, ctx.operator, ['start', 'gate', '--run-id', 'c2'])).code, 0);
  const canceled = await cli(ctx, ctx.operator, ['cancel', 'c2', '--reason', 'release postponed']);
  assert.is(canceled.code, 0, canceled.stderr);
  assert.match(canceled.stdout, /^run c2 canceled/);
  assert.match((await cli(ctx, ctx.operator, ['cancel', 'c2'])).stdout, /^run c2 was already canceled/);
  const approve = await cli(ctx, ctx.releaseManager, ['approve', 'c2', 'confirm']);
  assert.is(approve.code, 1);
  assert.match(approve.stderr, /^companyos: run c2 is canceled; approvals no longer apply\n$/);
  const unknown = await cli(ctx, ctx.operator, ['cancel', 'nope']);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /^companyos: no run nope in this tenant/);
  const missing = await cli(ctx, ctx.operator, ['status', 'nope']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /^companyos: no run nope in this tenant/);
});

test('usage mistakes exit 2 with the usage', async (ctx) => {
  const noStep = await cli(ctx, ctx.operator, ['approve', 'c1']);
  assert.is(noStep.code, 2);
  assert.match(noStep.stderr, /^companyos: usage: companyos run approve RUN STEP \[--comment TEXT\]/);
  const noToken = await cli(ctx, '', ['cancel', 'c1']);
  assert.is(noToken.code, 2);
  assert.match(noToken.stderr, /COMPANYOS_TOKEN is not set/);
});

test.run();
