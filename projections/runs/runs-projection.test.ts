// RunsProjection specifications: runs driven by the real executor (fake clock) → the read model's rows,
// the timeline, the queries, and a replay into a fresh schema with the same digest.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { migrate } from '../../adapters/read-store/postgres/database.js';
import { openExecutorBed, REGION, BOB, type ExecutorBed } from '../../test/executor-bed.js';
import { readModelDigest, readModelMigrations, projectUntil } from '../index.js';
import { RunQueries } from './queries.js';
import { runsProjection } from './runs-projection.js';

const test = suite<{ bed: ExecutorBed }>('runs projection', {} as { bed: ExecutorBed });
test.before(async (ctx) => {
  ctx.bed = await openExecutorBed();
});
test.after.each(async ({ bed }) => {
  await bed.reset();
});
test.after(async ({ bed }) => {
  await bed.close();
});

const storeOf = (bed: ExecutorBed) => bed.system.readStore;
const project = async (bed: ExecutorBed, schema = storeOf(bed).schema) => {
  await projectUntil({ log: bed.system.log, store: storeOf(bed) }, runsProjection, { schema });
};
const ended = (bed: ExecutorBed, runId: string) => async () => ['success', 'failed', 'rolled_back', 'canceled'].includes((await bed.state(runId)).status);

const PLAN = `name: deploy
steps:
  - id: shift
    action_type: wait
    wait: { duration: 1s }
    compensation: { action_type: wait, wait: { duration: 1s } }
  - id: check
    needs: [shift]
    action_type: wait
    wait: { duration: 1s }
    retries: { max: 1, base_delay: 2s }`;

test('a rolled-back run: run, steps, attempts and a timeline line per event', async ({ bed }) => {
  await bed.register(PLAN);
  bed.start((id) => (id === 'check' ? 'fail' : 'ok'));
  await bed.run('p1', 'deploy');
  await bed.drive(ended(bed, 'p1'));
  // Projected in two batches to exercise the fold carried over between batches.
  const events = await bed.events('p1');
  await projectUntil({ log: bed.system.log, store: storeOf(bed) }, runsProjection, { schema: storeOf(bed).schema, until: events[4]!.position });
  await project(bed);
  const queries = new RunQueries(storeOf(bed));
  const run = await queries.run('acme', 'p1');
  assert.ok(run);
  assert.is(run.status, 'rolled_back');
  assert.is(run.requester, 'user:alice');
  assert.equal(run.plan.name, 'deploy');
  assert.ok(run.endedAt);
  assert.equal(run.steps.map((s) => [s.id, s.status, s.attempts]), [['shift', 'compensated', 1], ['check', 'failed', 2]]);
  const check = run.steps[1]!;
  assert.match(check.lastError ?? '', /check failed \(attempt 2\)/);
  assert.equal(check.history.map((a) => [a.kind, a.attempt, a.outcome, a.cause, a.idempotencyKey]), [
    ['action', 1, 'failed', 'error', 'p1:check:1'],
    ['action', 2, 'failed', 'error', 'p1:check:2'],
  ]);
  assert.ok(check.history[0]!.retryAt, 'the first failure names its retry time');
  assert.equal(run.steps[0]!.history.map((a) => [a.kind, a.outcome]), [['action', 'succeeded'], ['compensation', 'succeeded']]);
  const timeline = await queries.timeline('acme', 'p1', { limit: 100 });
  assert.ok(timeline);
  assert.is(timeline.items.length, events.length);
  assert.equal(timeline.items.map((i) => i.type), events.map((e) => e.type));
  assert.match(timeline.items.find((i) => i.type === 'run.rollback.started')!.summary, /rollback started: step check failed/);
  assert.is(timeline.items[0]!.actor, 'user:alice');
  assert.is(timeline.items[1]!.actor, 'service:maestro-executor');
  const page = await queries.timeline('acme', 'p1', { limit: 3 });
  assert.is(page?.items.length, 3);
  const rest = await queries.timeline('acme', 'p1', { limit: 100, after: page!.next! });
  assert.is(rest?.items[0]?.revision, 3);
  assert.is(await queries.run('other-tenant', 'p1'), undefined);
});

test('waiting for approval: the run reads waiting_manual with what it waits for, also when projected event by event; listing by state with a cursor', async ({ bed }) => {
  await bed.register(`name: gate\nsteps:\n  - id: ok\n    action_type: manual\n    manual: { instructions: say so }\n    approval_policy: role:release-manager`);
  bed.start(() => 'ok');
  for (const id of ['g1', 'g2', 'g3']) await bed.run(id, 'gate');
  await bed.drive(async () => (await bed.state('g3')).status === 'running');
  // One event per batch: the step that run.admitted promotes without naming it must not stay pending.
  for (const e of await bed.events('g2')) await projectUntil({ log: bed.system.log, store: storeOf(bed) }, runsProjection, { schema: storeOf(bed).schema, until: e.position });
  await bed.command('run.step.approve', { runId: 'g1', region: REGION, stepId: 'ok', comment: 'fine' }, BOB);
  await bed.drive(ended(bed, 'g1'));
  await project(bed);
  const queries = new RunQueries(storeOf(bed));
  const g1 = await queries.run('acme', 'g1');
  assert.equal([g1?.status, g1?.waitingFor], ['success', []]);
  assert.equal(g1?.steps.map((s) => [s.status, s.approvals, s.waitingFor]), [['succeeded', ['user:bob'], null]]);
  const g2 = await queries.run('acme', 'g2');
  assert.equal([g2?.status, g2?.blockedOn, g2?.resumeTo], ['waiting_manual', ['ok'], 'running']);
  assert.equal(g2?.steps.map((s) => [s.status, s.approvals]), [['waiting_approval', []]]);
  assert.equal(g2?.steps[0]?.waitingFor, {
    stepId: 'ok', for: 'approval', detail: 'confirmation that the manual task is done by a holder of role release-manager', actions: ['approve', 'cancel'],
    roles: ['release-manager'], notBy: [], approvals: [], approvalsNeeded: 1, instructions: 'say so',
  });
  assert.equal((await queries.list('acme', { status: 'running', limit: 10 })).items, []);
  const first = await queries.list('acme', { status: 'waiting_manual', limit: 1 });
  assert.equal(first.items.map((r) => [r.runId, r.waitingFor.map((w) => w.stepId)]), [['g3', ['ok']]]);
  const second = await queries.list('acme', { status: 'waiting_manual', limit: 1, after: first.next! });
  assert.equal(second.items.map((r) => r.runId), ['g2']);
  assert.is(second.next, undefined);
});

test('replaying into a fresh schema gives the same digest', async ({ bed }) => {
  await project(bed);
  const store = storeOf(bed);
  const live = await readModelDigest(store, store.schema, runsProjection);
  assert.ok(live.rows > 0);
  await migrate(store, readModelMigrations, 'runs_replay');
  await project(bed, 'runs_replay');
  assert.is((await readModelDigest(store, 'runs_replay', runsProjection)).digest, live.digest);
});

test.run();
