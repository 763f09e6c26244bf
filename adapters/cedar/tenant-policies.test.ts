// Two processes on one log switch policy version at the same log position: the position of the
// `policy.set.published` event. Each system (its own log connection, read store and authorizer) follows
// the policy events; after A publishes, B decides under the new version without a restart, and a third
// process started later reads it at start. On PostgreSQL when DATABASE_URL is set (a fresh schema), else
// on one PGlite log shared in process. Also: a tenant's set decides only that tenant's resources.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openPostgresEventLog, type PostgresEventLog } from '../event-log/postgres/index.js';
import { policyVersionOf } from '../../domain/index.js';
import { openTestApi, type TestApi } from '../../test/api-harness.js';
import { TenantPolicies } from './tenant-policies.js';

const DEFAULT_TEXT = await readFile(fileURLToPath(new URL('../../commands/policies/default.cedar', import.meta.url)), 'utf8');
const WITHOUT_EDITORS = DEFAULT_TEXT.replace(/@id\("editor-graph-write"\)[\s\S]*?;\n/, '');
const V1 = policyVersionOf(DEFAULT_TEXT);
const V2 = policyVersionOf(WITHOUT_EDITORS);
const url = process.env['DATABASE_URL'];
const schema = url === undefined ? 'companyos' : `policy_${randomBytes(4).toString('hex')}`;

const node = (id: string) => ({
  id,
  type: 'Service',
  region: 'eu-west',
  attributes: { name: id },
  provenance: { sourceSystem: 'test', observedAt: '2026-03-02T09:15:00Z', reason: 'test', externalId: id },
});

interface Ctx {
  logs: PostgresEventLog[];
  apis: TestApi[];
}
const test = suite<Ctx>(`policy versions followed by every process (${url === undefined ? 'PGlite' : 'PostgreSQL'})`, { logs: [], apis: [] });

async function openProcess(ctx: Ctx): Promise<TestApi> {
  // On PGlite one in-memory log can only be shared, not reopened: processes share its object.
  const log = url === undefined && ctx.logs.length > 0 ? ctx.logs[0]! : await openPostgresEventLog(url === undefined ? { schema } : { url, schema });
  if (!ctx.logs.includes(log)) ctx.logs.push(log);
  const api = await openTestApi(log);
  ctx.apis.push(api);
  return api;
}

test.after(async (ctx) => {
  for (const api of ctx.apis) await api.close();
  if (url !== undefined) await ctx.logs[0]?.database.withSession((s) => s.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)).catch(() => {});
  for (const log of ctx.logs) await log.close();
});

test('A publishes; A and B switch at the position of the publication; a process started later starts on it', async (ctx) => {
  const a = await openProcess(ctx);
  const b = await openProcess(ctx);
  const token = (api: TestApi, subject: string, roles: Parameters<TestApi['token']>[0]['roles']) => api.token({ subject, tenant: 'acme', roles, region: 'eu-west' });
  const editorOnB = await token(b, 'user:ed', ['editor']);

  assert.is(a.system.policies.inForce('acme').version, V1);
  assert.is(b.system.policies.inForce('acme').version, V1);
  const before = await b.call('POST', '/v1/commands/graph.node.upsert', { token: editorOnB, body: node('svc:one') });
  assert.is(before.status, 201);
  assert.is(before.body.decision.policyVersion, V1);

  const proposed = await a.call('POST', '/v1/commands/policy.set.propose', { token: await token(a, 'user:alice', ['admin']), body: { region: 'eu-west', text: WITHOUT_EDITORS, reason: 'CHG-2' } });
  assert.is(proposed.status, 201, JSON.stringify(proposed.body));
  const published = await a.call('POST', '/v1/commands/policy.set.publish', { token: await token(a, 'user:bob', ['admin']), body: { region: 'eu-west', version: V2 } });
  assert.is(published.status, 201, JSON.stringify(published.body));

  const [onA, onB] = await Promise.all([a.system.policies.whenInForce('acme', V2), b.system.policies.whenInForce('acme', V2)]);
  assert.is(String(onA.position), published.body.position);
  assert.is(String(onB.position), published.body.position);
  assert.is(onB.ordinal, 2);

  const after = await b.call('POST', '/v1/commands/graph.node.upsert', { token: editorOnB, body: node('svc:two') });
  assert.is(after.status, 403);
  assert.is(after.body.policyVersion, V2);

  const c = await openProcess(ctx);
  const started = c.system.policies.inForce('acme');
  assert.is(started.version, V2);
  assert.is(String(started.position), published.body.position);
});

test('before any publication every tenant decides under the default set, version 1', () => {
  const policies = new TenantPolicies(DEFAULT_TEXT);
  const editor = { id: 'ed', tenant: 'acme', roles: ['editor'], region: 'eu-west', authTime: undefined, authn: 'jwt' as const };
  const request = (tenant: string) => ({
    principal: { ...editor, tenant },
    action: 'graph.node.upsert',
    actionGroups: ['graph.write', 'write'],
    resource: { type: 'GraphNode', id: 'n', attributes: { tenant, region: 'eu-west' } },
    context: {},
  });
  assert.ok(policies.authorize(request('acme'), 'd1').allowed);
  assert.is(policies.inForce('acme').ordinal, 1);
  assert.is(policies.inForce('acme').position, undefined);
  assert.is(policies.policyVersion, V1);
  assert.ok(policies.authorize(request('globex'), 'd2').allowed);
});

test('a policy event it cannot read is reported and passed over; the tenant keeps the set in force', async () => {
  const log = await openPostgresEventLog({ schema: 'companyos' });
  try {
    await log.append('acme/policy', 'no-stream', [{ id: '00000000-0000-4000-8000-000000000001', type: 'policy.set.published', data: { version: 'x' }, metadata: {} }]);
    const policies = new TenantPolicies(DEFAULT_TEXT);
    const errors: unknown[] = [];
    await policies.catchUp(log, (error) => errors.push(error));
    assert.is(errors.length, 1);
    assert.match(String(errors[0]), /policy event at \d+ on acme\/policy cannot be read/);
    assert.ok(policies.position !== undefined);
    assert.is(policies.inForce('acme').version, V1);
  } finally {
    await log.close();
  }
});

test.run();
