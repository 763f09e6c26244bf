// The two-person rule over HTTP (issue 16 item 7): proposing a policy text opens the proposal of its
// publication on <tenant>/approvals; a second admin approves it and the publication executes as theirs,
// sealed with both identities (meta.approval); the proposer cannot approve (403), a repeat answers the first
// result, a second approver is a conflict, a rejected or expired proposal never executes; POST /v1/approvals
// proposes directly (only dual-control commands, bodies checked by their codecs); no door skips it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DUAL_CONTROL, policyStream, policyVersionOf } from '../../domain/index.js';
import { fromRecordedEvent } from '../../ledger/log-codec.js';
import type { SealedEvent } from '../../schemas/sealed-event.js';
import { approvalsStream } from '../../schemas/streams.js';
import { openTestApi, type TestApi } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';

const DEFAULT_TEXT = await readFile(fileURLToPath(new URL('../../commands/policies/default.cedar', import.meta.url)), 'utf8');
const text = (n: number) => `${DEFAULT_TEXT}\n// change ${n}\n`;
const WINDOW_MS = DUAL_CONTROL.get('policy.set.publish')!.windowSeconds * 1000;

interface Ctx {
  memory: TestLog;
  api: TestApi;
  /** The system's clock, moved by the expiry test. */
  nowMs: number;
}
const test = suite<Ctx>('approvals over HTTP (two-person rule)', { nowMs: Date.now() } as Ctx);

test.before(async (ctx) => {
  ctx.memory = await openMemoryLog();
  ctx.api = await openTestApi(ctx.memory.log, {}, { clock: () => new Date(ctx.nowMs) });
});
test.after(async (ctx) => {
  await ctx.api.close();
  await ctx.memory.close();
});

type Roles = Parameters<TestApi['token']>[0]['roles'];
/** A token logged in at the system's clock (so step-up sees a fresh login however far the clock moved). */
const tokenOf = (ctx: Ctx, subject: string, roles: Roles) =>
  ctx.api.token({ subject, tenant: 'acme', roles, region: 'eu-west', authTime: Math.floor(ctx.nowMs / 1000) });

async function sealed(memory: TestLog, stream: string): Promise<SealedEvent[]> {
  return (await memory.log.readStream(stream)).flatMap((r) => {
    const s = fromRecordedEvent(r);
    return isRight(s) ? [s.right] : [];
  });
}

async function proposeText(ctx: Ctx, n: number): Promise<{ id: string; version: string }> {
  const alice = await tokenOf(ctx, 'user:alice', ['admin']);
  const res = await ctx.api.call('POST', '/v1/commands/policy.set.propose', { token: alice, body: { region: 'eu-west', text: text(n), reason: `CHG-${n}` } });
  assert.is(res.status, 201, JSON.stringify(res.body));
  return { id: res.body.approval.id, version: policyVersionOf(text(n)) };
}

test('proposing a policy text opens the proposal of its publication: pending, by the author, until the window ends', async (ctx) => {
  const alice = await tokenOf(ctx, 'user:alice', ['admin']);
  const res = await ctx.api.call('POST', '/v1/commands/policy.set.propose', { token: alice, body: { region: 'eu-west', text: text(1), reason: 'CHG-1' } });
  assert.is(res.status, 201, JSON.stringify(res.body));
  const approval = res.body.approval;
  assert.is(approval.command, 'policy.set.publish');
  assert.equal(approval.body, { region: 'eu-west', version: policyVersionOf(text(1)) });
  assert.is(approval.state, 'pending');
  assert.is(approval.proposer, 'user:alice');
  assert.is(approval.reason, 'CHG-1');
  assert.is(Date.parse(approval.expiresAt) - Date.parse(approval.proposedAt), WINDOW_MS);
  const viewer = await tokenOf(ctx, 'user:vic', ['viewer']);
  const pending = await ctx.api.call('GET', '/v1/approvals?state=pending', { token: viewer });
  assert.is(pending.status, 200);
  assert.equal(pending.body.approvals.map((a: { id: string }) => a.id), [approval.id]);
  assert.is((await ctx.api.call('GET', `/v1/approvals/${approval.id}`, { token: viewer })).body.approval.id, approval.id);
  assert.is((await ctx.api.call('GET', '/v1/approvals?state=executed', { token: viewer })).body.approvals.length, 0);
  assert.is((await ctx.api.call('GET', '/v1/approvals?state=maybe', { token: viewer })).status, 400);
  assert.is((await ctx.api.call('GET', '/v1/approvals/00000000-0000-4000-8000-000000000000', { token: viewer })).status, 404);
  const [proposed] = (await sealed(ctx.memory, approvalsStream('acme'))).filter((e) => e.type === 'approval.proposed');
  assert.is(proposed!.meta.actor.id, 'user:alice');
});

test('the proposer approving their own proposal is refused (403), nothing approved', async (ctx) => {
  const [{ id }] = (await ctx.api.call('GET', '/v1/approvals?state=pending', { token: await tokenOf(ctx, 'user:vic', ['viewer']) })).body.approvals;
  const alice = await tokenOf(ctx, 'user:alice', ['admin']);
  const res = await ctx.api.call('POST', `/v1/approvals/${id}/approve`, { token: alice });
  assert.is(res.status, 403);
  // Publishing one's own text is also what the publication's own policy forbids; that decision comes first.
  assert.equal(res.body.determiningPolicies, ['policy-two-person']);
  assert.is(res.body.approvalId, id);
  // Bob proposes publishing alice's text himself and approves his own proposal: the mechanism's refusal.
  const bob = await tokenOf(ctx, 'user:bob', ['admin']);
  const own = await ctx.api.call('POST', '/v1/approvals', { token: bob, body: { command: 'policy.set.publish', body: { region: 'eu-west', version: policyVersionOf(text(1)) }, reason: 'mine' } });
  assert.is(own.status, 202, JSON.stringify(own.body));
  const self = await ctx.api.call('POST', `/v1/approvals/${own.body.approval.id}/approve`, { token: bob });
  assert.is(self.status, 403);
  assert.is(self.body.code, 'two-person-rule');
  assert.match(self.body.detail, /user:bob proposed approval .*; a different principal must approve it/);
  const withdrawn = await ctx.api.call('POST', `/v1/approvals/${own.body.approval.id}/reject`, { token: bob, body: { reason: 'withdrawn' } });
  assert.is(withdrawn.status, 200);
  assert.is(withdrawn.body.approval.state, 'rejected');
  assert.equal((await ctx.api.call('GET', `/v1/approvals/${id}`, { token: bob })).body.approval.state, 'pending');
});

test("a second admin approves: the publication executes as theirs, its event sealed with both identities", async (ctx) => {
  const [{ id }] = (await ctx.api.call('GET', '/v1/approvals?state=pending', { token: await tokenOf(ctx, 'user:vic', ['viewer']) })).body.approvals;
  const bob = await tokenOf(ctx, 'user:bob', ['admin']);
  const res = await ctx.api.call('POST', `/v1/approvals/${id}/approve`, { token: bob, body: { reason: 'reviewed in CHG-1' } });
  assert.is(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.events.map((e: { type: string }) => e.type), ['policy.set.published']);
  assert.is(res.headers.get('x-decision-id'), res.body.decision.id);
  assert.is(res.body.approval.state, 'executed');
  assert.is(res.body.approval.approver, 'user:bob');
  assert.equal(res.body.approval.outcome.events.map((e: { id: string }) => e.id), res.body.events.map((e: { id: string }) => e.id));
  const published = (await sealed(ctx.memory, policyStream('acme'))).find((e) => e.id === res.body.events[0].id)!;
  assert.is(published.meta.actor.id, 'user:bob');
  assert.equal(published.meta.approval, { id, proposer: 'user:alice', approver: 'user:bob', proposedAt: published.meta.approval!.proposedAt });
  assert.equal(published.data, { version: policyVersionOf(text(1)), ordinal: 2, proposer: 'user:alice', approver: 'user:bob', previous: policyVersionOf(DEFAULT_TEXT), reason: 'reviewed in CHG-1' });
  const trail = (await sealed(ctx.memory, approvalsStream('acme'))).filter((e) => (e.data as { id?: string }).id === id).map((e) => e.type);
  assert.equal(trail, ['approval.proposed', 'approval.approved', 'approval.outcome.recorded']);
  const approved = (await sealed(ctx.memory, approvalsStream('acme'))).find((e) => e.type === 'approval.approved')!;
  assert.equal(approved.meta.approval?.approver, 'user:bob');
  assert.equal(approved.meta.approval?.proposer, 'user:alice');
  await ctx.api.system.policies.whenInForce('acme', policyVersionOf(text(1)));
});

test('approving twice: the approver again gets the first result (200, nothing new); another admin a conflict (409)', async (ctx) => {
  const [{ id }] = (await ctx.api.call('GET', '/v1/approvals?state=executed', { token: await tokenOf(ctx, 'user:vic', ['viewer']) })).body.approvals;
  const before = (await ctx.memory.log.readStream(policyStream('acme'))).length;
  const bob = await tokenOf(ctx, 'user:bob', ['admin']);
  const again = await ctx.api.call('POST', `/v1/approvals/${id}/approve`, { token: bob });
  assert.is(again.status, 200, JSON.stringify(again.body));
  assert.is(again.body.replayed, true);
  const carol = await tokenOf(ctx, 'user:carol', ['admin']);
  const other = await ctx.api.call('POST', `/v1/approvals/${id}/approve`, { token: carol });
  assert.is(other.status, 409);
  assert.match(other.body.detail, /already approved by user:bob/);
  assert.is((await ctx.memory.log.readStream(policyStream('acme'))).length, before);
});

test('a rejected proposal never executes; an editor neither approves nor rejects', async (ctx) => {
  const { id } = await proposeText(ctx, 2);
  const editor = await tokenOf(ctx, 'user:ed', ['editor']);
  assert.is((await ctx.api.call('POST', `/v1/approvals/${id}/approve`, { token: editor })).status, 403);
  const denied = await ctx.api.call('POST', `/v1/approvals/${id}/reject`, { token: editor, body: { reason: 'no' } });
  assert.is(denied.status, 403);
  assert.equal(denied.body.determiningPolicies, ['approval-approver-role']);
  const carol = await tokenOf(ctx, 'user:carol', ['admin']);
  const rejected = await ctx.api.call('POST', `/v1/approvals/${id}/reject`, { token: carol, body: { reason: 'not before the freeze' } });
  assert.is(rejected.status, 200);
  assert.equal([rejected.body.approval.state, rejected.body.approval.rejectedBy], ['rejected', 'user:carol']);
  const bob = await tokenOf(ctx, 'user:bob', ['admin']);
  const late = await ctx.api.call('POST', `/v1/approvals/${id}/approve`, { token: bob });
  assert.is(late.status, 409);
  assert.match(late.body.detail, /rejected by user:carol/);
  assert.is((await ctx.api.call('POST', `/v1/approvals/${id}/reject`, { token: carol, body: {} })).status, 400);
});

test('past its window a proposal reads as expired and cannot be approved (410)', async (ctx) => {
  const { id } = await proposeText(ctx, 3);
  ctx.nowMs += WINDOW_MS + 1000;
  const viewer = await tokenOf(ctx, 'user:vic', ['viewer']);
  const expired = await ctx.api.call('GET', '/v1/approvals?state=expired', { token: viewer });
  assert.ok(expired.body.approvals.some((a: { id: string }) => a.id === id));
  const bob = await tokenOf(ctx, 'user:bob', ['admin']);
  const res = await ctx.api.call('POST', `/v1/approvals/${id}/approve`, { token: bob });
  assert.is(res.status, 410, JSON.stringify(res.body));
  assert.is(res.body.code, 'approval-expired');
  // The thin form finds no waiting proposal of that publication now: Bob's POST proposes it anew (202).
  const thin = await ctx.api.call('POST', '/v1/commands/policy.set.publish', { token: bob, body: { region: 'eu-west', version: policyVersionOf(text(3)) } });
  assert.is(thin.status, 202, JSON.stringify(thin.body));
  assert.is(thin.headers.get('location'), `/v1/approvals/${thin.body.approval.id}`);
  assert.is(thin.body.approval.proposer, 'user:bob');
  // Carol sends the same command: she approves Bob's proposal, and the publication executes.
  const carol = await tokenOf(ctx, 'user:carol', ['admin']);
  const done = await ctx.api.call('POST', '/v1/commands/policy.set.publish', { token: carol, body: { region: 'eu-west', version: policyVersionOf(text(3)), reason: 'ok' } });
  assert.is(done.status, 201, JSON.stringify(done.body));
  assert.equal([done.body.approval.proposer, done.body.approval.approver], ['user:bob', 'user:carol']);
});

test('POST /v1/approvals takes dual-control commands only, their bodies checked by their codecs', async (ctx) => {
  const bob = await tokenOf(ctx, 'user:bob', ['admin']);
  const plain = await ctx.api.call('POST', '/v1/approvals', { token: bob, body: { command: 'graph.node.upsert', body: {}, reason: 'x' } });
  assert.is(plain.status, 422);
  assert.is(plain.body.code, 'not-dual-control');
  assert.is((await ctx.api.call('POST', '/v1/approvals', { token: bob, body: { command: 'graph.node.nope', body: {}, reason: 'x' } })).status, 404);
  const bad = await ctx.api.call('POST', '/v1/approvals', { token: bob, body: { command: 'policy.set.publish', body: { region: 'eu-west', version: 'nope' }, reason: 'x' } });
  assert.is(bad.status, 400);
  assert.is((await ctx.api.call('POST', '/v1/approvals', { token: bob, body: { command: 'policy.set.publish', reason: 'x' } })).status, 400);
});

test('no door skips the rule: the approval commands and a dual-control command sent to the pipeline without an approval are refused', async (ctx) => {
  const bob = await tokenOf(ctx, 'user:bob', ['admin']);
  const outcome = await ctx.api.call('POST', '/v1/commands/approval.outcome.record', {
    token: bob,
    body: { region: 'eu-west', id: '00000000-0000-4000-8000-000000000000', outcome: { kind: 'refused', status: 403, code: 'forbidden', detail: 'x' } },
  });
  assert.is(outcome.status, 403);
  assert.is(outcome.body.code, 'approval-required');
  const principal = { id: 'svc:nats', tenant: 'acme', roles: ['admin'], region: 'eu-west', authTime: undefined, authn: 'jwt' as const };
  const direct = await ctx.api.system.pipeline.execute('policy.set.publish', { region: 'eu-west', version: policyVersionOf(text(2)) }, principal, { requestId: 'r', context: {} });
  assert.ok(isLeft(direct) && direct.left.code === 'approval-required');
  const viaCommand = await ctx.api.call('POST', '/v1/commands/approval.approve', { token: bob, body: { region: 'eu-west', id: '00000000-0000-4000-8000-000000000000' } });
  assert.is(viaCommand.status, 404);
});

test.run();
