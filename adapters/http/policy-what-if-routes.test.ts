// POST /v1/policy/what-if on the demo tenant: a proposed version without editor graph writes reports the
// editors' recorded edits (made through the API) as flipping to deny; admins only (it discloses every
// actor's decisions, like the audit index); a bad body is a 400, an unknown version a 404; `limit` bounds
// the read and `next` resumes it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { seedDemoTenant, DEMO_REGION, DEMO_TENANT } from '../../bin/demo-tenant.js';
import { policyVersionOf } from '../../domain/index.js';
import { openTestApi, type TestApi } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';

const DEFAULT_TEXT = await readFile(fileURLToPath(new URL('../../commands/policies/default.cedar', import.meta.url)), 'utf8');
const WITHOUT_EDITORS = DEFAULT_TEXT.replace(/@id\("editor-graph-write"\)[\s\S]*?;\n/, '');

interface Ctx {
  memory: TestLog;
  api: TestApi;
  admin: string;
  editor: string;
  edits: string[];
}
const test = suite<Ctx>('POST /v1/policy/what-if', {} as Ctx);

test.before(async (ctx) => {
  ctx.memory = await openMemoryLog();
  ctx.api = await openTestApi(ctx.memory.log);
  await seedDemoTenant(ctx.api.system.pipeline);
  const token = (subject: string, roles: Parameters<TestApi['token']>[0]['roles']) => ctx.api.token({ subject, tenant: DEMO_TENANT, roles, region: DEMO_REGION });
  ctx.admin = await token('user:alice', ['admin']);
  ctx.editor = await token('user:eve', ['editor']);
  ctx.edits = [];
  for (const id of ['service:search', 'service:cart']) {
    const res = await ctx.api.call('POST', '/v1/commands/graph.node.upsert', {
      token: ctx.editor,
      body: { id, type: 'Service', region: DEMO_REGION, attributes: { owner: 'eve' }, provenance: { sourceSystem: 'test', observedAt: '2026-01-05T10:00:00Z', reason: 'edit', externalId: id } },
    });
    assert.is(res.status, 201, JSON.stringify(res.body));
    ctx.edits.push(res.body.decision.id);
  }
  const proposed = await ctx.api.call('POST', '/v1/commands/policy.set.propose', { token: ctx.admin, body: { region: DEMO_REGION, text: WITHOUT_EDITORS, reason: 'editors stop writing the graph' } });
  assert.is(proposed.status, 201, JSON.stringify(proposed.body));
});
test.after(async (ctx) => {
  await ctx.api.close();
  await ctx.memory.close();
});

test('a proposed version: the editors recorded edits flip to deny, grouped by action and policy', async ({ api, admin, edits }) => {
  const res = await api.call('POST', '/v1/policy/what-if', { token: admin, body: { version: policyVersionOf(WITHOUT_EDITORS) } });
  assert.is(res.status, 200, JSON.stringify(res.body));
  assert.is(res.body.candidateVersion, policyVersionOf(WITHOUT_EDITORS));
  assert.equal(res.body.flips.map((f: { decisionId: string }) => f.decisionId), edits);
  assert.equal(res.body.byAction, [{ action: 'graph.node.upsert', toDeny: 2, toAllow: 0 }]);
  assert.equal(res.body.byPolicy, [{ was: 'allow', now: 'deny', before: ['editor-graph-write'], after: [], count: 2 }]);
  assert.is(res.body.notReproducible, 0);
  assert.is(res.body.next, undefined);
  // By ordinal: the proposal is version 2 of the tenant's policy stream.
  const byOrdinal = await api.call('POST', '/v1/policy/what-if', { token: admin, body: { version: '2' } });
  assert.equal(byOrdinal.body.flips, res.body.flips);
});

test('admins only: an editor is denied (403, sealed); a bad body is a 400; an unknown version a 404', async ({ api, admin, editor }) => {
  const denied = await api.call('POST', '/v1/policy/what-if', { token: editor, body: { version: '2' } });
  assert.is(denied.status, 403);
  assert.ok(denied.body.determiningPolicies.includes('audit-index-admins'));
  for (const body of [{}, { version: '2', limit: 0 }, { version: '2', after: 'x' }, { version: '2', extra: 1 }, { version: '2', from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }]) {
    const res = await api.call('POST', '/v1/policy/what-if', { token: admin, body });
    assert.is(res.status, 400, JSON.stringify(body));
  }
  const unknown = await api.call('POST', '/v1/policy/what-if', { token: admin, body: { version: 'a'.repeat(64) } });
  assert.is(unknown.status, 404);
});

test('limit bounds the events read; next resumes after them and the pages hold the same flips', async ({ api, admin, edits }) => {
  const flips: string[] = [];
  let after: string | undefined;
  let pages = 0;
  do {
    const res = await api.call('POST', '/v1/policy/what-if', { token: admin, body: { version: '2', limit: 10, ...(after === undefined ? {} : { after }) } });
    assert.is(res.status, 200);
    assert.ok(res.body.eventsRead <= 10);
    flips.push(...res.body.flips.map((f: { decisionId: string }) => f.decisionId));
    after = res.body.next;
    pages++;
  } while (after !== undefined);
  assert.ok(pages >= 3, `${pages} pages`);
  assert.equal(flips, edits);
});

test.run();
