// Decisions as the HTTP API answers them (issue 16 items 5, 6, 8): every authorized answer and every
// denial names its decision and policy version in headers; `?explain=true` lists an admin's failed
// conditions (nobody else's); a stale login is challenged per RFC 9470 (401, WWW-Authenticate) and a fresh
// one passes; a sovereign tenant (COMPANYOS_TENANT_REGIONS) is neither written nor read outside its regions;
// reading personal data needs a declared purpose, which the denial records.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRight } from 'fp-ts/lib/Either.js';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { policyVersionOf } from '../../domain/index.js';
import { fromRecordedEvent } from '../../ledger/log-codec.js';
import { auditStream } from '../../schemas/streams.js';
import { openTestApi, type TestApi } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';

const DEFAULT_TEXT = await readFile(fileURLToPath(new URL('../../commands/policies/default.cedar', import.meta.url)), 'utf8');
const V1 = policyVersionOf(DEFAULT_TEXT);
const NEXT_TEXT = `${DEFAULT_TEXT}\n// a reviewed change\n`;

interface Ctx {
  memory: TestLog;
  api: TestApi;
}
const test = suite<Ctx>('decisions over HTTP', {} as Ctx);

test.before(async (ctx) => {
  ctx.memory = await openMemoryLog();
  ctx.api = await openTestApi(ctx.memory.log, { COMPANYOS_TENANT_REGIONS: 'sov=eu-central,eu-north' });
});
test.after(async (ctx) => {
  await ctx.api.close();
  await ctx.memory.close();
});

type Roles = Parameters<TestApi['token']>[0]['roles'];
const now = () => Math.floor(Date.now() / 1000);
const tokenOf = (api: TestApi, subject: string, roles: Roles, extra: Partial<Parameters<TestApi['token']>[0]> = {}) =>
  api.token({ subject, tenant: 'acme', roles, region: 'eu-west', ...extra });

const node = (id: string, region = 'eu-west', privacyTier?: string) => ({
  id,
  type: 'Service',
  region,
  attributes: { name: id },
  provenance: { sourceSystem: 'test', observedAt: '2026-03-02T09:15:00Z', reason: 'test', externalId: id, ...(privacyTier ? { privacyTier } : {}) },
});

async function deniedRecords(memory: TestLog, tenant: string): Promise<Record<string, unknown>[]> {
  const records = await memory.log.readStream(auditStream(tenant));
  return records.flatMap((r) => {
    const sealed = fromRecordedEvent(r);
    return isRight(sealed) && sealed.right.type === 'access.denied' ? [sealed.right.data as Record<string, unknown>] : [];
  });
}

test('a command and a read carry X-Decision-Id and X-Policy-Version; a denial too, matching its problem', async ({ api }) => {
  const editor = await tokenOf(api, 'user:ed', ['editor']);
  const write = await api.call('POST', '/v1/commands/graph.node.upsert', { token: editor, body: node('svc:a') });
  assert.is(write.status, 201, JSON.stringify(write.body));
  assert.is(write.headers.get('x-decision-id'), write.body.decision.id);
  assert.is(write.headers.get('x-policy-version'), V1);
  const read = await api.call('GET', `/v1/streams/${write.body.stream}`, { token: editor });
  assert.is(read.status, 200);
  assert.match(read.headers.get('x-decision-id') ?? '', /^[0-9a-f-]{36}$/);
  assert.is.not(read.headers.get('x-decision-id'), write.body.decision.id);
  assert.is(read.headers.get('x-policy-version'), V1);
  const viewer = await tokenOf(api, 'user:vic', ['viewer']);
  const denied = await api.call('POST', '/v1/commands/graph.node.upsert', { token: viewer, body: node('svc:b') });
  assert.is(denied.status, 403);
  assert.is(denied.headers.get('x-decision-id'), denied.body.decisionId);
  assert.is(denied.headers.get('x-policy-version'), V1);
});

test('?explain=true: an admin sees which conditions failed; a viewer does not', async ({ api }) => {
  const admin = await tokenOf(api, 'user:alice', ['admin']);
  // An admin writing in another region than the token's: write-region-match applied, by its unless clause.
  const res = await api.call('POST', '/v1/commands/graph.node.upsert?explain=true', { token: admin, body: node('svc:far', 'us-east') });
  assert.is(res.status, 403);
  assert.equal(res.body.determiningPolicies, ['write-region-match']);
  const byId = new Map((res.body.conditions as { policy: string; applied: boolean }[]).map((p) => [p.policy, p]));
  assert.equal(byId.get('write-region-match'), {
    policy: 'write-region-match', effect: 'forbid', reason: "writes require the token's region to match the resource's region", applied: true,
    conditions: [{ kind: 'unless', condition: '(principal has region) && (resource has region) && (principal.region == resource.region)', value: false, failed: true }],
  });
  assert.equal(byId.get('admin-all')?.applied, true);
  // On a read whose query codec is closed, explain is not an unknown parameter.
  const other = await api.call('GET', '/v1/streams/globex/graph/node/x?explain=true', { token: admin });
  assert.is(other.status, 403);
  assert.equal(other.body.determiningPolicies, ['tenant-isolation']);
  assert.is((other.body.conditions as { policy: string; applied: boolean }[]).find((p) => p.policy === 'tenant-isolation')?.applied, true);
  const viewer = await tokenOf(api, 'user:vic', ['viewer']);
  const plain = await api.call('POST', '/v1/commands/graph.node.upsert?explain=true', { token: viewer, body: node('svc:c') });
  assert.is(plain.status, 403);
  assert.is(plain.body.conditions, undefined);
});

test('a publication with a login older than 15 minutes is challenged (RFC 9470); the same admin logged in afresh publishes', async ({ api, memory }) => {
  const alice = await tokenOf(api, 'user:alice', ['admin']);
  const proposed = await api.call('POST', '/v1/commands/policy.set.propose', { token: alice, body: { region: 'eu-west', text: NEXT_TEXT, reason: 'CHG-2' } });
  assert.is(proposed.status, 201, JSON.stringify(proposed.body));
  const staleBob = await tokenOf(api, 'user:bob', ['admin'], { authTime: now() - 3600 });
  const publish = { region: 'eu-west', version: policyVersionOf(NEXT_TEXT) };
  const preflight = await api.call('POST', '/v1/policy/preflight', { token: staleBob, body: { type: 'policy.set.publish', body: publish } });
  assert.is(preflight.status, 200, JSON.stringify(preflight.body));
  assert.is(preflight.body.allowed, false);
  assert.equal(preflight.body.decision.stepUp, { maxAge: 900 });
  const stale = await api.call('POST', '/v1/commands/policy.set.publish', { token: staleBob, body: publish });
  assert.is(stale.status, 401);
  assert.is(stale.headers.get('content-type'), 'application/problem+json');
  const challenge = stale.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer error="insufficient_user_authentication", error_description="[\x20\x21\x23-\x5B\x5D-\x7E]+", max_age="900"$/);
  assert.is(stale.body.code, 'insufficient-user-authentication');
  assert.is(stale.body.maxAge, 900);
  assert.equal(stale.body.determiningPolicies, ['step-up-recent-login']);
  assert.match(stale.body.detail, /authenticated 3[56]\d\d s ago/);
  assert.ok((await deniedRecords(memory, 'acme')).some((d) => d['action'] === 'policy.set.publish'));
  const freshBob = await tokenOf(api, 'user:bob', ['admin']);
  const fresh = await api.call('POST', '/v1/commands/policy.set.publish', { token: freshBob, body: publish });
  assert.is(fresh.status, 201, JSON.stringify(fresh.body));
  assert.is(fresh.headers.get('www-authenticate'), null);
});

test('a stale login that no login would help (an editor publishing) is a plain 403', async ({ api }) => {
  const editor = await tokenOf(api, 'user:ed', ['editor'], { authTime: now() - 3600 });
  const res = await api.call('POST', '/v1/commands/policy.set.publish', { token: editor, body: { region: 'eu-west', version: policyVersionOf(NEXT_TEXT) } });
  assert.is(res.status, 403);
  assert.is(res.headers.get('www-authenticate'), null);
});

test('a sovereign tenant is written and read only in its regions; the denial records the declared purpose', async ({ api, memory }) => {
  const sov = (subject: string, roles: Roles, region: string) => api.token({ subject, tenant: 'sov', roles, region });
  const outside = await api.call('POST', '/v1/commands/graph.node.upsert', { token: await sov('user:ed', ['editor'], 'eu-west'), body: node('svc:s', 'eu-west') });
  assert.is(outside.status, 403);
  assert.equal(outside.body.determiningPolicies, ['tenant-residency']);
  assert.match(outside.body.detail, /request region eu-west, tenant regions eu-central, eu-north/);
  const inside = await api.call('POST', '/v1/commands/graph.node.upsert', { token: await sov('user:ed', ['editor'], 'eu-central'), body: node('svc:s', 'eu-central') });
  assert.is(inside.status, 201, JSON.stringify(inside.body));
  const readOutside = await api.call('GET', `/v1/streams/${inside.body.stream}`, { token: await sov('user:vic', ['viewer'], 'us-east'), headers: { 'x-purpose': 'incident:42' } });
  assert.is(readOutside.status, 403);
  assert.equal(readOutside.body.determiningPolicies, ['tenant-residency']);
  assert.is(readOutside.body.purpose, 'incident:42');
  const recorded = (await deniedRecords(memory, 'sov')).filter((d) => d['action'] === 'stream.read');
  assert.equal(recorded.map((d) => d['purpose']), ['incident:42']);
  const readInside = await api.call('GET', `/v1/streams/${inside.body.stream}`, { token: await sov('user:vic', ['viewer'], 'eu-north') });
  assert.is(readInside.status, 200);
  // Another tenant is not sovereign: its writes anywhere its tokens are.
  const acme = await api.call('POST', '/v1/commands/graph.node.upsert', { token: await tokenOf(api, 'user:ed', ['editor'], { region: 'us-east' }), body: node('svc:us', 'us-east') });
  assert.is(acme.status, 201);
});

test('personal data (privacy tier confidential) is read only with a declared purpose: X-Purpose or the token claim', async ({ api }) => {
  const editor = await tokenOf(api, 'user:ed', ['editor']);
  const write = await api.call('POST', '/v1/commands/graph.node.upsert', { token: editor, body: node('person:ann', 'eu-west', 'confidential') });
  assert.is(write.status, 201, JSON.stringify(write.body));
  const path = `/v1/streams/${write.body.stream}`;
  const viewer = await tokenOf(api, 'user:vic', ['viewer']);
  const none = await api.call('GET', path, { token: viewer });
  assert.is(none.status, 403);
  assert.equal(none.body.determiningPolicies, ['personal-data-purpose']);
  const header = await api.call('GET', path, { token: viewer, headers: { 'x-purpose': 'support-ticket:4711' } });
  assert.is(header.status, 200);
  const claim = await api.call('GET', path, { token: await tokenOf(api, 'user:vic', ['viewer'], { purpose: 'dsar:2026-17' }) });
  assert.is(claim.status, 200);
  // Internal data needs none.
  const internal = await api.call('POST', '/v1/commands/graph.node.upsert', { token: editor, body: node('svc:plain') });
  assert.is((await api.call('GET', `/v1/streams/${internal.body.stream}`, { token: viewer })).status, 200);
});

test.run();
