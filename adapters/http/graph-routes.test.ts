// Specifications of the graph read API: given commands through the real write side and a projection into
// PGlite → when GET /v1/graph/... → then the answer. One bed for the file; each spec uses its own ids.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { shapeDifferences } from '../../test/answer-shape.js';
import { openReadModelBed, type ReadModelBed } from '../../test/read-model-bed.js';
import { ANSWER_EXAMPLES } from './openapi-examples.js';

const enc = encodeURIComponent;
const T = (day: number) => `2026-01-${String(day).padStart(2, '0')}T00:00:00Z`;
const prov = (at: string) => ({ sourceSystem: 'github', observedAt: at });
const node = (id: string, type: string, at = T(1), region = 'us-east') => ({ id, type, region, attributes: { name: id }, provenance: prov(at) });
const edge = (type: string, from: string, to: string, at = T(1), region = 'us-east') => ({ type, from, to, region, provenance: prov(at) });

let bed: ReadModelBed;
/** bob: an editor of acme in eu-west (writes eu-west nodes); globex: another tenant's admin. */
let bob: string;
let globex: string;

const get = (path: string, token = bed.token) => bed.api.call('GET', path, { token });
const asBob = async (type: string, body: unknown) => {
  const r = await bed.api.call('POST', `/v1/commands/${type}`, { token: bob, body });
  if (r.status !== 201) throw new Error(`${type} answered ${r.status}: ${JSON.stringify(r.body)}`);
};
const lineage = (body: { items: { depth: number; node: { id: string } }[] }) => body.items.map((i) => `${i.depth}:${i.node.id}`);
const linked = (items: { node: { id: string } }[]) => items.map((i) => i.node.id);

/** Commit → Build → Artifact → Deployment → Service → Dataset → FeatureFlag → UserCohort (§1.6), plus neighbours. */
async function given(): Promise<void> {
  const nodes: [string, string][] = [
    ['commit:abc', 'Commit'], ['build:1', 'Build'], ['art:1', 'Artifact'], ['dep:1', 'Deployment'], ['svc:checkout', 'Service'],
    ['ds:orders', 'Dataset'], ['flag:new-checkout', 'FeatureFlag'], ['cohort:beta', 'UserCohort'],
    ['inc:1', 'Incident'], ['ds:extra', 'Dataset'], ['user:carol', 'User'], ['run:1', 'Run'],
    ['dep:2', 'Deployment'], ['svc:payments', 'Service'], ['svc:hub', 'Service'], ['flag:hub', 'FeatureFlag'],
  ];
  for (const [id, type] of nodes) await bed.command('graph.node.upsert', node(id, type));
  for (const i of [1, 2, 3, 4, 5, 6, 7, 8]) await bed.command('graph.node.upsert', node(`ds:h0${i}`, 'Dataset'));
  for (const id of ['ds:c1', 'ds:c2', 'ds:c3']) await bed.command('graph.node.upsert', node(id, 'Dataset'));
  const edges: [string, string, string][] = [
    ['CONSUMES', 'build:1', 'commit:abc'], ['BUILDS', 'build:1', 'art:1'], ['CONSUMES', 'dep:1', 'art:1'],
    ['DEPLOYS', 'dep:1', 'svc:checkout'], ['PRODUCES', 'svc:checkout', 'ds:orders'], ['CONSUMES', 'flag:new-checkout', 'ds:orders'],
    ['TARGETS', 'flag:new-checkout', 'cohort:beta'],
    ['OBSERVES', 'svc:checkout', 'inc:1'], ['RELATES_TO', 'inc:1', 'ds:extra'], ['APPROVES', 'user:carol', 'dep:1'],
    ['CONSUMES', 'run:1', 'ds:orders'],
    ['CONSUMES', 'flag:hub', 'ds:h01'], ['CONSUMES', 'flag:hub', 'ds:h02'],
    ['DERIVED_FROM', 'ds:c1', 'ds:c2'], ['DERIVED_FROM', 'ds:c2', 'ds:c3'], ['DERIVED_FROM', 'ds:c3', 'ds:c1'],
  ];
  for (const [type, from, to] of edges) {
    // One edge a source was less sure of, effective before it was observed.
    const extra = type === 'PRODUCES' && from === 'svc:checkout' ? { confidence: 0.7, effectiveAt: '2025-12-31T00:00:00Z' } : {};
    const e = edge(type, from, to);
    await bed.command('graph.edge.assert', { ...e, provenance: { ...e.provenance, ...extra } });
  }
  for (const i of [1, 2, 3, 4, 5, 6, 7, 8]) await bed.command('graph.edge.assert', edge('PRODUCES', 'svc:hub', `ds:h0${i}`));
  // bob's eu-west corner: an incident and a user, linked in on Jan 3.
  await asBob('graph.node.upsert', node('inc:2', 'Incident', T(3), 'eu-west'));
  await asBob('graph.node.upsert', node('user:dave', 'User', T(3), 'eu-west'));
  await bed.command('graph.edge.assert', edge('RELATES_TO', 'inc:2', 'svc:checkout', T(3)));
  await asBob('graph.edge.assert', edge('PERFORMS', 'user:dave', 'run:1', T(3), 'eu-west'));
  // dep:2 deployed svc:payments from Feb 1 until the deployment was retracted on Feb 10.
  await bed.command('graph.edge.assert', edge('DEPLOYS', 'dep:2', 'svc:payments', '2026-02-01T00:00:00Z'));
  await bed.command('graph.edge.retract', edge('DEPLOYS', 'dep:2', 'svc:payments', '2026-02-10T00:00:00Z'));
  await bed.project();
}

const test = suite('graph read API');
test.before(async () => {
  bed = await openReadModelBed();
  bob = await bed.api.token({ subject: 'user:bob', tenant: 'acme', roles: ['editor'], region: 'eu-west' });
  globex = await bed.api.token({ subject: 'user:gina', tenant: 'globex', roles: ['admin'], region: 'us-east' });
  await given();
});
test.after(async () => {
  await bed.close();
});

test('a node: its current facts and the sealed event they came from; 404 when unknown', async () => {
  const r = await get(`/v1/graph/nodes/${enc('svc:checkout')}`);
  assert.is(r.status, 200);
  assert.equal([r.body.id, r.body.type, r.body.region, r.body.attributes], ['svc:checkout', 'Service', 'us-east', { name: 'svc:checkout' }]);
  assert.is(r.body.provenance.actor.id, 'user:alice');
  assert.is(r.body.provenance.sourceSystem, 'github');
  assert.match(r.body.provenance.event.hash, /^[0-9a-f]{64}$/);
  assert.is(r.body.provenance.event.revision, 0);
  const missing = await get('/v1/graph/nodes/svc:nope');
  assert.is(missing.status, 404);
  assert.is(missing.body.code, 'not-found');
  assert.is(missing.headers.get('content-type'), 'application/problem+json');
  const doc = await bed.api.call('GET', '/openapi.json');
  assert.ok(['/v1/graph/nodes/{id}', '/v1/graph/related', '/v1/graph/changes', '/v1/graph/edges/{id}/provenance'].every((p) => p in doc.body.paths));
});

test('a node as of a time: the version valid then; before it existed → 404', async () => {
  const then = await get(`/v1/graph/nodes/inc:2?asOf=${enc('2026-01-05T00:00:00Z')}`);
  assert.is(then.status, 200);
  assert.equal([then.body.validFrom, then.body.validTo, then.body.region], ['2026-01-03T00:00:00.000Z', null, 'eu-west']);
  assert.is((await get(`/v1/graph/nodes/inc:2?asOf=${enc('2026-01-02T00:00:00Z')}`)).status, 404);
});

test('lineage down, up and both ways along the demo path, by depth', async () => {
  const down = await get('/v1/graph/related?id=dep:1&direction=down&depth=2');
  assert.is(down.status, 200);
  assert.is(down.body.root.id, 'dep:1');
  assert.equal(lineage(down.body), ['1:art:1', '1:svc:checkout', '2:ds:orders', '2:inc:1']);
  const hop = down.body.items.find((i: { node: { id: string } }) => i.node.id === 'ds:orders');
  assert.equal(hop.edge, { type: 'PRODUCES', from: 'svc:checkout', to: 'ds:orders' });
  assert.equal([hop.node.type, hop.provenance.actor.id, hop.provenance.sourceSystem], ['Dataset', 'user:alice', 'github']);
  assert.match(hop.provenance.event.id, /^[0-9a-f-]{36}$/);
  // The edge's chips: observed and effective time, and the confidence its event was sealed with.
  assert.equal([hop.provenance.observedAt, hop.provenance.effectiveAt, hop.provenance.confidence], ['2026-01-01T00:00:00.000Z', '2025-12-31T00:00:00.000Z', 0.7]);
  // The OpenAPI document's example answer has this shape.
  assert.equal(shapeDifferences(ANSWER_EXAMPLES['GET /v1/graph/related'], down.body, ['attributes']), []);
  const art = down.body.items.find((i: { node: { id: string } }) => i.node.id === 'art:1');
  assert.equal([art.provenance.effectiveAt, art.provenance.confidence], ['2026-01-01T00:00:00.000Z', 1], 'defaults: effective when observed, confidence 1');

  const up = await get('/v1/graph/related?id=ds:orders&direction=up&depth=4');
  assert.equal(lineage(up.body), ['1:flag:new-checkout', '1:run:1', '1:svc:checkout', '2:dep:1', '2:inc:2', '2:user:dave', '3:user:carol']);

  const both = await get('/v1/graph/related?id=art:1&direction=both&depth=4');
  assert.equal(lineage(both.body).slice(0, 4), ['1:build:1', '1:dep:1', '2:commit:abc', '2:svc:checkout']);
  assert.ok(lineage(both.body).includes('3:ds:orders'));
  assert.ok(lineage(both.body).includes('4:cohort:beta') === false, 'cohort:beta is 5 hops from art:1');
  const deeper = await get('/v1/graph/related?id=dep:1&direction=both&depth=4');
  assert.equal(lineage(deeper.body).filter((x) => x.startsWith('4:')), ['4:cohort:beta', '4:user:dave']);
  const defaults = await get('/v1/graph/related?id=flag:new-checkout');
  assert.equal([defaults.body.depth, defaults.body.direction], [1, 'down']);
  assert.equal(lineage(defaults.body), ['1:cohort:beta', '1:ds:orders']);
});

test('lineage through a cycle visits each node once, at its shortest depth', async () => {
  assert.equal(lineage((await get('/v1/graph/related?id=ds:c1&direction=down&depth=4')).body), ['1:ds:c2', '2:ds:c3']);
  assert.equal(lineage((await get('/v1/graph/related?id=ds:c1&direction=both&depth=4')).body), ['1:ds:c2', '1:ds:c3']);
});

test('lineage follows only the edge types asked for', async () => {
  const r = await get('/v1/graph/related?id=art:1&direction=both&depth=4&types=CONSUMES,BUILDS');
  assert.equal(lineage(r.body), ['1:build:1', '1:dep:1', '2:commit:abc']);
  assert.equal(r.body.types, ['CONSUMES', 'BUILDS']);
});

test('lineage as of a time sees an edge before its retraction and not after; now it is gone', async () => {
  const before = await get(`/v1/graph/related?id=dep:2&asOf=${enc('2026-02-05T00:00:00Z')}`);
  assert.equal(lineage(before.body), ['1:svc:payments']);
  assert.is(before.body.items[0].provenance.observedAt, '2026-02-01T00:00:00.000Z');
  assert.equal([before.body.items[0].provenance.effectiveAt, before.body.items[0].provenance.confidence], ['2026-02-01T00:00:00.000Z', 1], 'from the version rows too');
  const after = await get(`/v1/graph/related?id=dep:2&asOf=${enc('2026-02-15T00:00:00Z')}`);
  assert.equal(lineage(after.body), []);
  assert.equal(lineage((await get('/v1/graph/related?id=dep:2')).body), []);
});

test('lineage pages: limit + cursor give every result once, in (depth, id) order', async () => {
  const all = lineage((await get('/v1/graph/related?id=svc:hub&direction=both&depth=2')).body);
  assert.is(all.length, 9);
  const seen: string[] = [];
  let path: string | undefined = '/v1/graph/related?id=svc:hub&direction=both&depth=2&limit=4';
  let pages = 0;
  while (path !== undefined) {
    const r = await get(path);
    assert.is(r.status, 200);
    seen.push(...lineage(r.body));
    path = r.body.next;
    pages++;
  }
  assert.is(pages, 3);
  assert.equal(seen, all);
  assert.is(all.at(-1), '2:flag:hub');
});

test('surface of a service: incidents, deployments and datasets; since and region filter them', async () => {
  const r = await get(`/v1/graph/services/${enc('svc:checkout')}/surface`);
  assert.is(r.status, 200);
  assert.is(r.body.service.id, 'svc:checkout');
  assert.equal(linked(r.body.incidents), ['inc:2', 'inc:1'], 'newest link first');
  assert.equal(linked(r.body.deployments), ['dep:1']);
  assert.equal(linked(r.body.datasets), ['ds:orders']);
  assert.equal(r.body.incidents[0].via, { type: 'RELATES_TO', from: 'inc:2', to: 'svc:checkout', validFrom: '2026-01-03T00:00:00.000Z' });
  assert.is(r.body.deployments[0].provenance.actor.id, 'user:alice');

  const since = await get(`/v1/graph/services/svc:checkout/surface?since=${enc(T(2))}`);
  assert.equal([linked(since.body.incidents), linked(since.body.deployments), linked(since.body.datasets)], [['inc:2'], [], []]);
  const eu = await get('/v1/graph/services/svc:checkout/surface?region=eu-west');
  assert.equal([linked(eu.body.incidents), linked(eu.body.deployments)], [['inc:2'], []]);
  const limited = await get('/v1/graph/services/svc:hub/surface?limit=3');
  assert.is(limited.body.datasets.length, 3);
  assert.is((await get('/v1/graph/services/ds:orders/surface')).status, 404, 'not a Service');
  assert.is((await get('/v1/graph/services/svc:none/surface')).status, 404);
});

test('impact of an incident: services, their deployments, datasets and the users reachable from them', async () => {
  const r = await get('/v1/graph/incidents/inc:1/impact');
  assert.is(r.status, 200);
  assert.is(r.body.incident.id, 'inc:1');
  assert.equal(linked(r.body.services), ['svc:checkout']);
  assert.equal(linked(r.body.deployments), ['dep:1']);
  assert.equal(linked(r.body.datasets), ['ds:extra', 'ds:orders']);
  assert.equal(linked(r.body.users), ['cohort:beta', 'user:carol', 'user:dave']);
  const via = Object.fromEntries(r.body.users.map((u: { node: { id: string }; via: { type: string } }) => [u.node.id, u.via.type]));
  assert.equal(via, { 'cohort:beta': 'TARGETS', 'user:carol': 'APPROVES', 'user:dave': 'PERFORMS' });

  const eu = await get('/v1/graph/incidents/inc:1/impact?region=eu-west');
  assert.equal([linked(eu.body.services), linked(eu.body.users)], [[], ['user:dave']]);
  assert.is((await get('/v1/graph/incidents/svc:checkout/impact')).status, 404, 'not an Incident');
});

test('change audit by actor and by resource, newest first, paged', async () => {
  const byBob = await get(`/v1/graph/changes?actor=${enc('user:bob')}`);
  assert.is(byBob.status, 200);
  assert.equal(
    byBob.body.items.map((c: { kind: string; id: string; change: string }) => `${c.kind}:${c.id}:${c.change}`).sort(),
    ['edge:user:dave|PERFORMS|run:1:asserted', 'node:inc:2:upserted', 'node:user:dave:upserted'],
  );
  const all = await get('/v1/graph/changes?resource=svc:checkout');
  const ids = all.body.items.map((c: { id: string }) => c.id);
  assert.equal(ids[0], 'inc:2|RELATES_TO|svc:checkout', 'observed Jan 3: newest');
  assert.equal([...ids].sort(), [
    'dep:1|DEPLOYS|svc:checkout', 'inc:2|RELATES_TO|svc:checkout', 'svc:checkout', 'svc:checkout|OBSERVES|inc:1', 'svc:checkout|PRODUCES|ds:orders',
  ]);
  const seen: string[] = [];
  let path: string | undefined = '/v1/graph/changes?resource=svc:checkout&limit=2';
  while (path !== undefined) {
    const r = await get(path);
    seen.push(...r.body.items.map((c: { id: string }) => c.id));
    path = r.body.next;
  }
  assert.equal(seen, ids);
  const windowed = await get(`/v1/graph/changes?resource=svc:checkout&from=${enc(T(2))}&to=${enc(T(4))}`);
  assert.equal(windowed.body.items.map((c: { id: string }) => c.id), ['inc:2|RELATES_TO|svc:checkout']);
  const both = await get(`/v1/graph/changes?resource=svc:checkout&actor=${enc('user:bob')}`);
  assert.equal(both.body.items, []);
  const retraction = await get('/v1/graph/changes?resource=svc:payments');
  assert.equal(retraction.body.items.map((c: { change: string }) => c.change).slice(0, 2), ['retracted', 'asserted']);
});

test("another tenant's token sees nothing of acme", async () => {
  assert.is((await get('/v1/graph/nodes/svc:checkout', globex)).status, 404);
  assert.is((await get('/v1/graph/related?id=dep:1', globex)).status, 404);
  assert.is((await get('/v1/graph/services/svc:checkout/surface', globex)).status, 404);
  assert.is((await get('/v1/graph/incidents/inc:1/impact', globex)).status, 404);
  assert.equal((await get('/v1/graph/changes?actor=user:alice', globex)).body.items, []);
  assert.is((await get(`/v1/graph/edges/${enc('build:1|BUILDS|art:1')}/provenance`, globex)).status, 404);
  // A tenant in the query string is just an unknown parameter.
  assert.is((await get('/v1/graph/related?id=dep:1&tenant=acme', globex)).status, 400);
});

test('bad parameters are 400 problems naming the parameter', async () => {
  const cases: [string, RegExp][] = [
    ['/v1/graph/related?id=dep:1&depth=5', /^depth: /],
    ['/v1/graph/related?id=dep:1&direction=sideways', /^direction: /],
    ['/v1/graph/related?id=dep:1&types=BUILDS,FLIES', /^types: unknown edge type FLIES/],
    ['/v1/graph/related?id=dep:1&limit=1001', /^limit: /],
    ['/v1/graph/related?id=dep:1&cursor=not-a-cursor', /^cursor: /],
    ['/v1/graph/related?id=dep:1&asOf=yesterday', /^asOf: /],
    ['/v1/graph/related?depth=2', /^id: missing/],
    ['/v1/graph/related?artifact_id=art:1&id=art:1', /^artifact_id: unknown field/],
    ['/v1/graph/changes', /^resource: required unless actor is given/],
    [`/v1/graph/changes?actor=x&from=${enc(T(5))}&to=${enc(T(4))}`, /^to: must not be before from/],
    ['/v1/graph/services/svc:checkout/surface?since=2026', /^since: /],
    ['/v1/graph/edges/svc:checkout/provenance', /^id: /],
    [`/v1/graph/nodes/${enc('a|b')}`, /^id: /],
  ];
  for (const [path, detail] of cases) {
    const r = await get(path);
    assert.is(r.status, 400, path);
    assert.is(r.body.code, 'bad-query', path);
    assert.match(r.body.detail, detail, path);
  }
});

test('a token without a reading role is refused by policy (403) and the denial is recorded', async () => {
  const nobody = await bed.api.token({ subject: 'user:nobody', tenant: 'acme', roles: [], region: 'us-east' });
  const r = await get('/v1/graph/related?id=dep:1', nobody);
  assert.is(r.status, 403);
  assert.match(r.body.auditEventId, /^[0-9a-f-]{36}$/);
});

test('edge provenance: the edge, its sealed event from the log and the verified chain', async () => {
  const r = await get(`/v1/graph/edges/${enc('build:1|BUILDS|art:1')}/provenance`);
  assert.is(r.status, 200);
  assert.equal([r.body.edge.type, r.body.edge.from, r.body.edge.to, r.body.edge.current], ['BUILDS', 'build:1', 'art:1', true]);
  assert.is(r.body.stream, 'acme/graph.edge/build:1|BUILDS|art:1');
  assert.is(r.body.event.id, r.body.edge.provenance.event.id);
  assert.is(r.body.event.hash, r.body.edge.provenance.event.hash);
  assert.is(r.body.event.type, 'graph.edge.asserted');
  assert.match(r.body.event.signature, /==$/);
  assert.equal(r.body.verification, { verified: true, eventsChecked: 1, problems: [] });

  const retracted = await get(`/v1/graph/edges/${enc('dep:2|DEPLOYS|svc:payments')}/provenance`);
  assert.equal([retracted.body.edge.current, retracted.body.edge.retracted, retracted.body.event.type], [false, true, 'graph.edge.retracted']);
  assert.equal(retracted.body.verification, { verified: true, eventsChecked: 2, problems: [] });
  assert.is((await get(`/v1/graph/edges/${enc('build:1|BUILDS|art:9')}/provenance`)).status, 404);
});

test('edge provenance of a tampered event: verified false, naming the broken event', async () => {
  // Last: it alters the stored log, as someone with database access would.
  const stream = 'acme/graph.edge/dep:1|DEPLOYS|svc:checkout';
  await bed.sql(`UPDATE \${schema}.events SET data = jsonb_set(data, '{attributes}', '{"evil":true}') WHERE stream = $1 AND revision = 0`, [stream]);
  const r = await get(`/v1/graph/edges/${enc('dep:1|DEPLOYS|svc:checkout')}/provenance`);
  assert.is(r.status, 200);
  assert.is(r.body.verification.verified, false);
  assert.match(r.body.verification.problems[0], /^revision 0 \(event [0-9a-f-]{36}\): hash mismatch/);
  assert.equal(r.body.event.data.attributes, { evil: true }, 'shown as stored');
});

test.run();
