// The sliced, cached authorizer answers what the whole set answers: for every golden case of
// commands/policies/golden.json, asked fresh (whole set, every entity, no cache), asked once sliced (a
// miss) and asked again (a hit), the decisions are equal but for their ids. A new policy version decides
// anew; a step-up decision is keyed by the login's age, so a fresh login's allow is never served to a
// stale one; values that hold Cedar escapes are asked whole and not cached. Also what policy-reads.ts
// finds a policy reads, and the cache's bound and switch.
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { AuthorizationDecision, AuthorizationRequest } from '../../commands/authorizer.js';
import { goldenRequests, loadGolden } from '../../commands/policy-golden.js';
import type { JsonValue } from '../../schemas/json.js';
import { CedarAuthorizer } from './cedar-authorizer.js';
import { DecisionCache, decisionCacheCounts, decisionCacheEntries, renderDecisionCacheMetrics } from './decision-cache.js';
import { policyReads } from './policy-reads.js';

const { golden, policyText } = await loadGolden(fileURLToPath(new URL('../../commands/policies/golden.json', import.meta.url)));
const cases = goldenRequests(golden);
const WITHOUT_EDITORS = policyText.replace(/@id\("editor-graph-write"\)[\s\S]*?;\n/, '');

/** A decision without its id: what must not depend on how it was reached. */
const outcome = (d: AuthorizationDecision) => ({ ...d, id: undefined });

const test = suite('sliced and cached decisions');

test('every golden case: fresh (whole set) == sliced (miss) == cached (hit), ids fresh per decision, input as asked', () => {
  const fresh = new CedarAuthorizer(policyText, { slicing: false });
  const cached = new CedarAuthorizer(policyText, { cacheEntries: 1000 });
  const before = decisionCacheCounts();
  for (const [i, { golden: g, request }] of cases.entries()) {
    const expected = fresh.authorize(request, `fresh-${i}`);
    const miss = cached.authorize(request, `miss-${i}`);
    const hit = cached.authorize(request, `hit-${i}`);
    assert.equal(outcome(miss), outcome(expected), `${g.name} [${request.action}] (first ask)`);
    assert.equal(outcome(hit), outcome(expected), `${g.name} [${request.action}] (from the cache)`);
    assert.is(hit.id, `hit-${i}`);
    assert.ok(hit.input === request, 'the sealed input is the request as asked');
  }
  const after = decisionCacheCounts();
  assert.ok(after.hits - before.hits >= cases.length, `at least one hit per case (${after.hits - before.hits})`);
});

test('ids no policy reads do not split the cache: another resource and another caller of the same roles hit it', () => {
  const cached = new CedarAuthorizer(policyText, { cacheEntries: 1000 });
  const fresh = new CedarAuthorizer(policyText, { slicing: false });
  const { request } = cases.find((c) => c.request.action === 'graph.node.upsert' && c.golden.expect === 'allow')!;
  cached.authorize(request, 'd0');
  const h0 = decisionCacheCounts().hits;
  for (const [n, other] of [
    { ...request, resource: { ...request.resource, id: 'svc:another' } },
    { ...request, principal: { ...request.principal, id: 'bob' } },
    { ...request, context: { ...request.context, time: '2026-06-01T00:00:00.000Z', authAge: 7 } },
  ].entries()) {
    assert.equal(outcome(cached.authorize(other, `d${n + 1}`)), outcome(fresh.authorize(other, 'x')));
  }
  assert.is(decisionCacheCounts().hits - h0, 3, 'resource id, principal id, time and authAge are not read by the graph.write slice');
});

test('a new policy version decides anew (its own cache): editors allowed under v1 are denied under v2', () => {
  const { request } = cases.find((c) => c.request.action === 'graph.node.upsert' && c.golden.determining.includes('editor-graph-write'))!;
  const v1 = new CedarAuthorizer(policyText, { cacheEntries: 1000 });
  assert.is(v1.authorize(request, 'a').allowed, true);
  assert.is(v1.authorize(request, 'b').allowed, true);
  const v2 = new CedarAuthorizer(WITHOUT_EDITORS, { cacheEntries: 1000 });
  const denied = v2.authorize(request, 'c');
  assert.is(denied.allowed, false);
  assert.is(denied.policyVersion, v2.policyVersion);
  assert.is.not(denied.policyVersion, v1.policyVersion);
});

test('step-up: a fresh login\'s cached allow is not served to a stale login, nor the other way round', () => {
  const cached = new CedarAuthorizer(policyText, { cacheEntries: 1000 });
  const publish = (authAge: number | undefined): AuthorizationRequest => ({
    principal: { id: 'alice', tenant: 'acme', roles: ['admin'], region: 'eu-west', authTime: 1_800_000_000, authn: 'jwt' },
    action: 'policy.set.publish',
    actionGroups: ['policy.write', 'write'],
    resource: { type: 'PolicySet', id: 'acme', attributes: { tenant: 'acme', region: 'eu-west', proposer: 'bob' } },
    context: authAge === undefined ? {} : { authAge },
  });
  assert.is(cached.authorize(publish(60), 'd1').allowed, true);
  assert.is(cached.authorize(publish(60), 'd2').allowed, true);
  const stale = cached.authorize(publish(901), 'd3');
  assert.is(stale.allowed, false);
  assert.equal(stale.stepUp, { maxAge: 900 });
  assert.is(cached.authorize(publish(900), 'd4').allowed, true);
  assert.equal(cached.authorize(publish(901), 'd5').stepUp, { maxAge: 900 });
  assert.equal(cached.authorize(publish(undefined), 'd6').stepUp, { maxAge: 900 });
});

test('a value holding a Cedar escape is asked whole and not cached; the answer is the fresh one', () => {
  const cached = new CedarAuthorizer(policyText, { cacheEntries: 1000 });
  const fresh = new CedarAuthorizer(policyText, { slicing: false });
  const { request } = cases.find((c) => c.request.action === 'graph.node.upsert' && c.golden.expect === 'allow')!;
  const odds: JsonValue[] = [{ __entity: { type: 'CompanyOS::Principal', id: 'alice' } }, { __extn: { fn: 'nonsense', arg: 'x' } }];
  for (const odd of odds) {
    const asked: AuthorizationRequest = { ...request, resource: { ...request.resource, attributes: { ...request.resource.attributes, odd } } };
    const h0 = decisionCacheCounts();
    assert.equal(outcome(cached.authorize(asked, 'a')), outcome(fresh.authorize(asked, 'b')));
    assert.equal(outcome(cached.authorize(asked, 'a')), outcome(fresh.authorize(asked, 'b')));
    const h1 = decisionCacheCounts();
    assert.is(h1.hits + h1.misses, h0.hits + h0.misses, 'the cache was not consulted');
  }
});

test('policy reads: attributes per variable, ids when compared, the whole context when it is used whole', () => {
  const reads = (text: string) => {
    const json = cedar.policyToJson(text);
    if (json.type === 'failure') throw new Error(json.errors[0]!.message);
    return policyReads(json.json);
  };
  const plain = reads('permit(principal, action, resource) when { principal.roles.contains("x") && resource has step && resource.step.kind == "k" && context has a };');
  assert.equal([...(plain.principal as Set<string>)].sort(), ['kind', 'roles']);
  assert.equal([...(plain.resource as Set<string>)].sort(), ['kind', 'step']);
  assert.equal([...(plain.context as Set<string>)], ['a']);
  assert.is(plain.principalIdentity, false);
  assert.is(plain.resourceIdentity, false);
  assert.is(plain.action, false);
  const compared = reads('forbid(principal, action, resource is CompanyOS::Run) when { resource.owner == principal && action in CompanyOS::Action::"write" && context == {} };');
  assert.is(compared.principalIdentity, true);
  assert.is(compared.resourceIdentity, false, 'a type test alone needs no id');
  assert.is(compared.action, true);
  assert.is(compared.context, 'all');
  assert.is(reads('permit(principal, action, resource in CompanyOS::Folder::"f");').resourceIdentity, true);
});

test('the cache keeps its bound (least recently used goes), COMPANYOS_DECISION_CACHE sets it, 0 turns it off', () => {
  const lru = new DecisionCache<number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  assert.is(lru.get('a'), 1);
  lru.set('c', 3);
  assert.is(lru.size, 2);
  assert.is(lru.get('b'), undefined, 'b was the least recently used');
  assert.is(lru.get('a'), 1);
  const off = new DecisionCache<number>(0);
  off.set('a', 1);
  assert.is(off.get('a'), undefined);
  assert.is(decisionCacheEntries({}), 10_000);
  assert.is(decisionCacheEntries({ COMPANYOS_DECISION_CACHE: '0' }), 0);
  assert.throws(() => decisionCacheEntries({ COMPANYOS_DECISION_CACHE: 'lots' }), /COMPANYOS_DECISION_CACHE/);
  assert.match(renderDecisionCacheMetrics(), /companyos_decision_cache_total\{result="hit"\} \d+/);
});

test.run();
