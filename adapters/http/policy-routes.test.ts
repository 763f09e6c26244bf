// The policy set's lifecycle through the HTTP API: read the default, a refused proposal (422 with the
// validator's messages), propose, the proposer's own publication refused (two-person rule), a second admin
// publishes and decisions switch at once (sealed under the new version), history and versions, another
// tenant unaffected, and preflight answering the pipeline's decision with nothing appended.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRight } from 'fp-ts/lib/Either.js';
import { policyStream, policyVersionOf } from '../../domain/index.js';
import { fromRecordedEvent } from '../../ledger/log-codec.js';
import { auditStream } from '../../schemas/streams.js';
import { openTestApi, type TestApi } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';

const DEFAULT_TEXT = await readFile(fileURLToPath(new URL('../../commands/policies/default.cedar', import.meta.url)), 'utf8');
const WITHOUT_EDITORS = DEFAULT_TEXT.replace(/@id\("editor-graph-write"\)[\s\S]*?;\n/, '');
const V1 = policyVersionOf(DEFAULT_TEXT);
const V2 = policyVersionOf(WITHOUT_EDITORS);

interface Ctx {
  memory: TestLog;
  api: TestApi;
  alice: string;
  bob: string;
  editor: string;
  viewer: string;
  otherEditor: string;
}
const test = suite<Ctx>('policy routes', {} as Ctx);

test.before(async (ctx) => {
  ctx.memory = await openMemoryLog();
  ctx.api = await openTestApi(ctx.memory.log);
  const token = (subject: string, roles: Parameters<TestApi['token']>[0]['roles'], tenant = 'acme') => ctx.api.token({ subject, tenant, roles, region: 'eu-west' });
  ctx.alice = await token('user:alice', ['admin']);
  ctx.bob = await token('user:bob', ['admin']);
  ctx.editor = await token('user:ed', ['editor']);
  ctx.viewer = await token('user:vic', ['viewer']);
  ctx.otherEditor = await token('user:ola', ['editor'], 'globex');
});
test.after(async (ctx) => {
  await ctx.api.close();
  await ctx.memory.close();
});

const node = (id: string) => ({
  id,
  type: 'Service',
  region: 'eu-west',
  attributes: { name: id },
  provenance: { sourceSystem: 'test', observedAt: '2026-03-02T09:15:00Z', reason: 'test', externalId: id },
});

test('before any change, the default set is version 1 and its text is served', async ({ api, viewer }) => {
  const res = await api.call('GET', '/v1/policy', { token: viewer });
  assert.is(res.status, 200);
  assert.is(res.body.version, V1);
  assert.is(res.body.ordinal, 1);
  assert.is(res.body.text, DEFAULT_TEXT);
  assert.equal(res.body.history, []);
  const v1 = await api.call('GET', '/v1/policy/versions/1', { token: viewer });
  assert.is(v1.status, 200);
  assert.is(v1.body.version, V1);
});

test('a set that does not validate is refused with the validator messages (422), nothing written', async ({ api, alice, memory }) => {
  const res = await api.call('POST', '/v1/commands/policy.set.propose', {
    token: alice,
    body: { region: 'eu-west', text: '@id("x")\npermit (principal, action, resource) when { principal.rolez.contains("a") };\n', reason: 'typo' },
  });
  assert.is(res.status, 422);
  assert.is(res.body.type.endsWith('policy-invalid'), true, JSON.stringify(res.body));
  assert.match(res.body.detail, /attribute `rolez` on entity type `CompanyOS::Principal` not found/);
  assert.equal(await memory.log.readStream(policyStream('acme')), []);
});

test('an admin proposes: the default is sealed as version 1, the proposal as version 2; editors still write', async ({ api, alice, editor }) => {
  const res = await api.call('POST', '/v1/commands/policy.set.propose', { token: alice, body: { region: 'eu-west', text: WITHOUT_EDITORS, reason: 'CHG-1: editors lose graph writes' } });
  assert.is(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.events.map((e: { type: string }) => e.type), ['policy.set.proposed', 'policy.set.published', 'policy.set.proposed']);
  assert.is(res.body.decision.policyVersion, V1);
  const write = await api.call('POST', '/v1/commands/graph.node.upsert', { token: editor, body: node('svc:before') });
  assert.is(write.status, 201);
  assert.is(write.body.decision.policyVersion, V1);
});

test('the proposer cannot publish their own proposal (policy-two-person)', async ({ api, alice }) => {
  const res = await api.call('POST', '/v1/commands/policy.set.publish', { token: alice, body: { region: 'eu-west', version: V2 } });
  assert.is(res.status, 403);
  assert.equal(res.body.determiningPolicies, ['policy-two-person']);
});

test('a second admin publishes; the next decisions are made and sealed under version 2', async ({ api, bob, editor, alice, memory }) => {
  const res = await api.call('POST', '/v1/commands/policy.set.publish', { token: bob, body: { region: 'eu-west', version: V2, reason: 'reviewed' } });
  assert.is(res.status, 201, JSON.stringify(res.body));
  const inForce = await api.system.policies.whenInForce('acme', V2);
  assert.is(String(inForce.position), res.body.position);
  const denied = await api.call('POST', '/v1/commands/graph.node.upsert', { token: editor, body: node('svc:after') });
  assert.is(denied.status, 403);
  assert.is(denied.body.policyVersion, V2);
  const allowed = await api.call('POST', '/v1/commands/graph.node.upsert', { token: alice, body: node('svc:after') });
  assert.is(allowed.status, 201);
  assert.is(allowed.body.decision.policyVersion, V2);
  const [recorded] = await memory.log.readStream(allowed.body.stream);
  const sealed = fromRecordedEvent(recorded!);
  assert.ok(isRight(sealed));
  if (isRight(sealed)) assert.is(sealed.right.meta.decision.policyVersion, V2);
});

test('GET /v1/policy: version 2 in force, its text, and the history of who proposed and who approved', async ({ api, viewer }) => {
  const res = await api.call('GET', '/v1/policy', { token: viewer });
  assert.is(res.status, 200);
  assert.is(res.body.version, V2);
  assert.is(res.body.ordinal, 2);
  assert.is(res.body.text, WITHOUT_EDITORS);
  assert.equal(
    res.body.history.map((h: Record<string, unknown>) => [h['ordinal'], h['status'], h['author'], h['approver']]),
    [[1, 'superseded', 'system', 'system'], [2, 'published', 'user:alice', 'user:bob']],
  );
  const byHash = await api.call('GET', `/v1/policy/versions/${V1}`, { token: viewer });
  assert.is(byHash.body.text, DEFAULT_TEXT);
  const v2 = await api.call('GET', '/v1/policy/versions/2', { token: viewer });
  assert.is(v2.body.text, WITHOUT_EDITORS);
  assert.is(v2.body.replaced, V1);
  assert.equal(v2.body.changes, { against: V1, added: [], removed: ['editor-graph-write'], changed: [] });
  assert.is((await api.call('GET', '/v1/policy/versions/9', { token: viewer })).status, 404);
  assert.is((await api.call('GET', '/v1/policy/versions/latest', { token: viewer })).status, 400);
});

test("another tenant's decisions stay under the default", async ({ api, otherEditor }) => {
  const res = await api.call('POST', '/v1/commands/graph.node.upsert', { token: otherEditor, body: node('svc:globex') });
  assert.is(res.status, 201);
  assert.is(res.body.decision.policyVersion, V1);
});

test('preflight answers the decision the command would get, with nothing appended and no denial recorded', async ({ api, editor, alice, memory }) => {
  const auditBefore = (await memory.log.readStream(auditStream('acme'))).length;
  const denied = await api.call('POST', '/v1/policy/preflight', { token: editor, body: { type: 'graph.node.upsert', body: node('svc:pre') } });
  assert.is(denied.status, 200, JSON.stringify(denied.body));
  assert.is(denied.body.allowed, false);
  assert.is(denied.body.decision.policyVersion, V2);
  assert.equal(denied.body.decision.determiningPolicies, []);
  assert.match(denied.body.decision.explanation, /no policy permits roles \[editor\] to graph\.node\.upsert/);
  assert.is(denied.body.resource.type, 'GraphNode');
  const allowed = await api.call('POST', '/v1/policy/preflight', { token: alice, body: { type: 'graph.node.upsert', body: node('svc:pre') } });
  assert.is(allowed.body.allowed, true);
  assert.equal(allowed.body.decision.determiningPolicies, ['admin-all']);
  assert.equal(allowed.body.outcome, { kind: 'appended', events: ['graph.node.upserted'] });
  const self = await api.call('POST', '/v1/policy/preflight', { token: alice, body: { type: 'policy.set.publish', body: { region: 'eu-west', version: V2 } } });
  assert.is(self.body.allowed, true);
  assert.equal(self.body.outcome, { kind: 'unchanged', events: [] });
  assert.equal(await memory.log.readStream('acme/graph.node/svc:pre'), []);
  assert.is((await memory.log.readStream(auditStream('acme'))).length, auditBefore);
  const unknown = await api.call('POST', '/v1/policy/preflight', { token: alice, body: { type: 'graph.node.nope', body: {} } });
  assert.is(unknown.status, 404);
  const invalid = await api.call('POST', '/v1/policy/preflight', { token: alice, body: { type: 'graph.node.upsert', body: { id: 1 } } });
  assert.is(invalid.status, 400);
});

test('asking for a preflight needs policy.read: a token with no role is denied', async ({ api }) => {
  const nobody = await api.token({ subject: 'user:nobody', tenant: 'acme', roles: [], region: 'eu-west' });
  const res = await api.call('POST', '/v1/policy/preflight', { token: nobody, body: { type: 'graph.node.upsert', body: node('svc:x') } });
  assert.is(res.status, 403);
  assert.is((await api.call('GET', '/v1/policy', { token: nobody })).status, 403);
});

test.run();
