// Step-up and explanations in the Cedar adapter: a denial by @stepUpMaxAge/@stepUpAcr policies alone
// carries what the RFC 9470 challenge asks for, a denial a new login would not lift carries nothing, a
// malformed mark refuses the set; and `conditions` says which clause of which policy failed.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AuthorizationRequest } from '../../commands/authorizer.js';
import { CedarAuthorizer, PolicySetError } from './cedar-authorizer.js';

const DEFAULT_TEXT = await readFile(fileURLToPath(new URL('../../commands/policies/default.cedar', import.meta.url)), 'utf8');
const cedar = new CedarAuthorizer(DEFAULT_TEXT);

const request = (roles: string[], action: string, groups: string[], context: AuthorizationRequest['context'], resource: Record<string, string> = {}): AuthorizationRequest => ({
  principal: { id: 'alice', tenant: 'acme', roles, region: 'eu-west', authTime: undefined, authn: 'jwt' },
  action,
  actionGroups: groups,
  resource: { type: action === 'audit.export' ? 'AuditIndex' : 'PolicySet', id: 'r1', attributes: { tenant: 'acme', region: 'eu-west', ...resource } },
  context,
});
const exportAudit = (roles: string[], context: AuthorizationRequest['context']) => request(roles, 'audit.export', ['audit', 'read'], context);

const test = suite('step-up and explanations');

test('a stale login is asked to step up (max_age 900); a fresh one passes; no auth_time at all is stale', () => {
  const stale = cedar.authorize(exportAudit(['admin'], { authAge: 901 }), 'd1');
  assert.is(stale.allowed, false);
  assert.equal(stale.determiningPolicies, ['step-up-recent-login']);
  assert.equal(stale.stepUp, { maxAge: 900 });
  const fresh = cedar.authorize(exportAudit(['admin'], { authAge: 5 }), 'd2');
  assert.is(fresh.allowed, true);
  assert.is(fresh.stepUp, undefined);
  assert.equal(cedar.authorize(exportAudit(['admin'], {}), 'd3').stepUp, { maxAge: 900 });
});

test('a denial a new login would not lift is no step-up: a viewer exporting, a self-publication', () => {
  const viewer = cedar.authorize(exportAudit(['viewer'], { authAge: 3600 }), 'd1');
  assert.is(viewer.allowed, false);
  assert.is(viewer.stepUp, undefined);
  assert.ok(viewer.determiningPolicies.includes('audit-index-admins'));
  // Only the step-up forbid, yet no permit would allow an editor to publish: a 403, not a 401.
  const editor = cedar.authorize(request(['editor'], 'policy.set.publish', ['policy.write', 'write'], { authAge: 3600 }, { proposer: 'bob' }), 'd2');
  assert.equal(editor.determiningPolicies, ['step-up-recent-login']);
  assert.is(editor.stepUp, undefined);
  const own = cedar.authorize(request(['admin'], 'policy.set.publish', ['policy.write', 'write'], { authAge: 3600 }, { proposer: 'alice' }), 'd3');
  assert.is(own.stepUp, undefined);
});

test('@stepUpAcr asks for acr_values; two step-up policies merge into the shortest age and the common acr values', () => {
  const text = [
    '@id("all") permit (principal, action, resource);',
    '@id("mfa") @stepUpAcr("urn:mfa urn:hwk") forbid (principal, action, resource) unless { context has acr && ["urn:mfa", "urn:hwk"].contains(context.acr) };',
    '@id("recent") @stepUpMaxAge("300") @stepUpAcr("urn:hwk") forbid (principal, action, resource) unless { context has authAge && context.authAge <= 300 };',
  ].join('\n');
  const a = new CedarAuthorizer(text);
  assert.equal(a.authorize(exportAudit(['admin'], { authAge: 10 }), 'd1').stepUp, { acrValues: ['urn:mfa', 'urn:hwk'] });
  assert.equal(a.authorize(exportAudit(['admin'], { authAge: 600 }), 'd2').stepUp, { maxAge: 300, acrValues: ['urn:hwk'] });
  assert.is(a.authorize(exportAudit(['admin'], { authAge: 10, acr: 'urn:hwk' }), 'd3').allowed, true);
});

test('a malformed step-up mark refuses the set', () => {
  assert.throws(() => new CedarAuthorizer('@id("x") @stepUpMaxAge("soon") forbid (principal, action, resource);'), (e: unknown) => e instanceof PolicySetError && /stepUpMaxAge must be a number of seconds/.test(e.message));
  assert.throws(() => new CedarAuthorizer('@id("x") @stepUpAcr("  ") forbid (principal, action, resource);'), (e: unknown) => e instanceof PolicySetError && /stepUpAcr/.test(e.message));
});

test('conditions: the permits in scope and the clause each failed; a forbid that applied and the clause that made it', () => {
  const viewerWrites: AuthorizationRequest = {
    principal: { id: 'vic', tenant: 'acme', roles: ['viewer'], region: 'eu-west', authTime: undefined, authn: 'jwt' },
    action: 'graph.node.upsert',
    actionGroups: ['graph.write', 'write'],
    resource: { type: 'GraphNode', id: 'n1', attributes: { tenant: 'acme', region: 'us-east' } },
    context: {},
  };
  const all = cedar.conditions(viewerWrites);
  const byId = new Map(all.map((p) => [p.policy, p]));
  // Out of scope (another action): not listed.
  assert.is(byId.has('maestro-plan-authors'), false);
  assert.is(byId.has('tenant-readers'), false);
  const editors = byId.get('editor-graph-write')!;
  assert.equal(editors, {
    policy: 'editor-graph-write', effect: 'permit', reason: 'editors may change the provenance graph', applied: false,
    conditions: [{ kind: 'when', condition: 'principal.roles.contains("editor")', value: false, failed: true }],
  });
  const region = byId.get('write-region-match')!;
  assert.is(region.applied, true);
  assert.equal(region.conditions.map((c) => [c.kind, c.value, c.failed]), [['unless', false, true]]);
  assert.match(region.conditions[0]!.condition, /principal\.region == resource\.region/);
  const isolation = byId.get('tenant-isolation')!;
  assert.is(isolation.applied, false);
  assert.equal(isolation.conditions.map((c) => c.failed), [false]);
});

test.run();
