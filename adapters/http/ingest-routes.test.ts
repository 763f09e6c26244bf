// Specifications of the ingest routes on a real (embedded PGlite) log: GitHub webhooks authenticated by
// their signature, OpenLineage events by bearer token; what lands in the log, and that redelivery adds nothing.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTestApi, type ApiResponse, type TestApi } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';
import { githubSignature } from '../ingest/github-signature.js';
import { datasetNodeId } from '../ingest/openlineage.js';

const ACME_SECRET = 'acme-github-webhook-secret-1';
const GLOBEX_SECRET = 'globex:secret:with:colons!';
const SHA = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
const REPO = 'Codertocat%2FHello-World';
const BUILD = `build:${REPO}#30433642`;
const COMMIT = `commit:${REPO}@${SHA}`;
const ARTIFACT = `artifact:${REPO}@${SHA}`;
const DEPLOYMENT = `deployment:${REPO}#145988746`;
const SERVICE = `service:${REPO}`;
const RUN = 'run:d9cb8e0b-a410-435e-a619-da5e87ba8508';
const ORDERS = 'dataset:postgres:%2F%2Fdb.example.com:5432#shop.public.orders';
const REVENUE = 'dataset:s3:%2F%2Fanalytics-bucket#%2Fwarehouse%2Fdaily_revenue';

const fixtureText = (path: string) => readFileSync(new URL(`../../test/fixtures/${path}.json`, import.meta.url), 'utf8');
const fixture = (path: string): Record<string, any> => JSON.parse(fixtureText(path));
const enc = encodeURIComponent;

// One embedded log and server for the file (PGlite takes seconds to start); each suite has its own tenant.
let testLog: TestLog;
let api: TestApi;
let viewer: string;
let editor: string;

const total = async () => (await testLog.log.readAll()).length;
const nodeStream = (tenant: string, id: string) => `${tenant}/graph.node/${id}`;
const edgeStream = (tenant: string, from: string, type: string, to: string) => `${tenant}/graph.edge/${from}|${type}|${to}`;
const read = async (stream: string): Promise<any[]> => {
  const res = await api.call('GET', `/v1/streams/${enc(stream)}`, { token: viewer });
  return res.status === 200 ? res.body.events : [];
};
const lastOf = async (stream: string) => (await read(stream)).at(-1);

const open = (tenant: string) => async () => {
  if (api === undefined) {
    testLog = await openMemoryLog();
    api = await openTestApi(testLog.log, { COMPANYOS_GITHUB_WEBHOOKS: `acme:us-east:${ACME_SECRET}, globex:eu-west:${GLOBEX_SECRET}` });
  }
  viewer = await api.token({ tenant, roles: ['viewer'], region: 'us-east', subject: 'victor' });
  editor = await api.token({ tenant, roles: ['editor'], region: 'us-east', subject: 'alice' });
};

/** Posts a webhook as GitHub does: the raw body, its signature, the event and delivery headers. */
const deliver = (event: string, body: string, options: { secret?: string | null; delivery?: string; headers?: Record<string, string> } = {}): Promise<ApiResponse> => {
  const secret = options.secret === undefined ? ACME_SECRET : options.secret;
  return api.call('POST', '/v1/ingest/github', {
    rawBody: body,
    headers: {
      'x-github-event': event,
      'x-github-delivery': options.delivery ?? '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      ...(secret === null ? {} : { 'x-hub-signature-256': githubSignature(body, secret) }),
      ...(options.headers ?? {}),
    },
  });
};

// ---------------------------------------------------------------------------------------------------
const signatures = suite('ingest/github: the signature is the credential');
signatures.before(open('acme'));

signatures('missing, malformed, wrong or unknown signatures answer 401 and write nothing', async () => {
  const before = await total();
  const body = fixtureText('github/push');
  for (const res of [
    await deliver('push', body, { secret: null }),
    await deliver('push', body, { secret: null, headers: { 'x-hub-signature-256': 'sha256=xyz' } }),
    await deliver('push', body, { secret: 'not-a-configured-secret' }),
    await deliver('push', body, { secret: null, headers: { 'x-hub-signature-256': githubSignature(`${body} `, ACME_SECRET) } }),
  ]) {
    assert.is(res.status, 401, JSON.stringify(res.body));
    assert.is(res.headers.get('content-type'), 'application/problem+json');
    assert.is(res.body.code, 'unauthenticated');
  }
  // A bearer token is no substitute: this route knows only signatures.
  const token = await api.token({ tenant: 'acme', roles: ['admin'], region: 'us-east' });
  assert.is((await api.call('POST', '/v1/ingest/github', { token, rawBody: body, headers: { 'x-github-event': 'push' } })).status, 401);
  assert.is(await total(), before);
});

signatures('ping answers 200 and unmapped events 202, writing nothing; the signature comes first', async () => {
  const before = await total();
  const ping = await deliver('ping', fixtureText('github/ping'));
  assert.is(ping.status, 200);
  assert.equal(ping.body, { source: 'github', event: 'ping', delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958', ok: true });
  const issues = await deliver('issues', '{"action":"opened"}');
  assert.is(issues.status, 202);
  assert.is(issues.body.ignored, true);
  assert.is((await deliver('issues', '{"action":"opened"}', { secret: null })).status, 401);
  assert.is(await total(), before);
});

signatures('bad requests with a good signature: content type, event header, JSON, fields', async () => {
  const before = await total();
  const wrongType = await deliver('push', '{}', { headers: { 'content-type': 'text/plain' } });
  assert.is(wrongType.status, 415);
  const form = { headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  const noPayload = await deliver('push', 'other=%7B%7D', form);
  assert.is(noPayload.status, 400);
  assert.is(noPayload.body.code, 'validation');
  const formMalformed = await deliver('push', `payload=${encodeURIComponent('{"ref":')}`, form);
  assert.is(formMalformed.status, 400);
  assert.is(formMalformed.body.code, 'malformed-json');
  const noEvent = await api.call('POST', '/v1/ingest/github', { rawBody: '{}', headers: { 'x-hub-signature-256': githubSignature('{}', ACME_SECRET) } });
  assert.is(noEvent.status, 400);
  assert.is(noEvent.body.code, 'bad-event-header');
  const huge = await deliver('push', `{"pad":"${'x'.repeat(6 * 1024 * 1024)}"}`);
  assert.is(huge.status, 413);
  assert.is(huge.body.code, 'payload-too-large');
  const malformed = await deliver('push', '{"ref":');
  assert.is(malformed.status, 400);
  assert.is(malformed.body.code, 'malformed-json');
  const run = fixture('github/workflow_run.completed');
  delete run['workflow_run'].head_sha;
  const invalid = await deliver('workflow_run', JSON.stringify(run));
  assert.is(invalid.status, 400);
  assert.is(invalid.body.code, 'validation');
  assert.ok(invalid.body.errors.some((e: string) => e.startsWith('workflow_run.head_sha: missing')), JSON.stringify(invalid.body));
  assert.is(await total(), before);
});

// ---------------------------------------------------------------------------------------------------
const github = suite('ingest/github: events into the graph');
github.before(open('acme'));

github('push: a Commit node per commit, sealed as the tenant webhook service, at the commit time', async () => {
  const res = await deliver('push', fixtureText('github/push'), { delivery: 'd-push-1' });
  assert.is(res.status, 201, JSON.stringify(res.body));
  assert.is(res.body.appended, 2);
  assert.equal(res.body.commands.map((c: any) => [c.type, c.target, c.outcome]), [
    ['graph.node.upsert', `commit:${REPO}@0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c`, 'appended'],
    ['graph.node.upsert', COMMIT, 'appended'],
  ]);
  const [event] = await read(nodeStream('acme', COMMIT));
  assert.is(event.type, 'graph.node.upserted');
  assert.is(event.region, 'us-east');
  assert.is(event.data.nodeType, 'Commit');
  assert.is(event.data.externalId, SHA);
  assert.is(event.data.attributes.message, 'Fix typo in README\n\nSigned-off-by: Codertocat');
  assert.equal(event.meta.actor, { id: 'service:github-webhook', type: 'service', authn: 'hmac' });
  assert.is(event.meta.sourceSystem, 'github');
  assert.is(event.meta.effectiveAt, '2019-05-15T15:24:10.000Z');
  assert.is(event.meta.correlationId, 'github-delivery:d-push-1');
  assert.equal(event.meta.decision.determiningPolicies, ['service-graph-ingest']);
});

github('a form-encoded delivery (GitHub\'s other content type) carries the same facts as its JSON', async () => {
  // The push test above delivered this push as JSON; as a form it maps to the same commands, which replay.
  const asForm = await deliver('push', `payload=${encodeURIComponent(fixtureText('github/push'))}`, { delivery: 'd-push-form', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.is(asForm.status, 200, JSON.stringify(asForm.body));
  assert.is(asForm.body.commands.length, 2);
  assert.ok(asForm.body.commands.every((c: any) => c.type === 'graph.node.upsert' && c.outcome === 'replayed'), JSON.stringify(asForm.body));
});

github('a redelivered push writes nothing (200), even under a new delivery id', async () => {
  const before = await total();
  for (const delivery of ['d-push-1', 'd-push-2']) {
    const res = await deliver('push', fixtureText('github/push'), { delivery });
    assert.is(res.status, 200, JSON.stringify(res.body));
    assert.is(res.body.appended, 0);
    assert.equal(res.body.commands.map((c: any) => c.outcome), ['replayed', 'replayed']);
  }
  assert.is(await total(), before);
});

github('workflow_run: Build CONSUMES its head Commit; on success BUILDS the Artifact; redelivery adds nothing', async () => {
  const running = await deliver('workflow_run', fixtureText('github/workflow_run.in_progress'));
  assert.is(running.status, 201, JSON.stringify(running.body));
  // The head commit is stated exactly as push stated it: the first result, nothing new.
  assert.equal(running.body.commands.map((c: any) => c.outcome), ['appended', 'replayed', 'appended']);
  const done = await deliver('workflow_run', fixtureText('github/workflow_run.completed'));
  assert.is(done.status, 201, JSON.stringify(done.body));
  assert.equal(done.body.commands.map((c: any) => c.outcome), ['appended', 'replayed', 'appended', 'unchanged', 'appended']);

  const build = await lastOf(nodeStream('acme', BUILD));
  assert.is(build.data.attributes.conclusion, 'success');
  assert.is(build.meta.effectiveAt, '2019-05-15T15:26:40.000Z');
  assert.is((await lastOf(edgeStream('acme', BUILD, 'CONSUMES', COMMIT))).data.toType, 'Commit');
  assert.is((await lastOf(edgeStream('acme', BUILD, 'BUILDS', ARTIFACT))).data.toType, 'Artifact');

  // A late redelivery of "in progress" must not roll the build back.
  const before = await total();
  const again = await deliver('workflow_run', fixtureText('github/workflow_run.in_progress'));
  assert.is(again.status, 200);
  assert.is(await total(), before);
  assert.is((await lastOf(nodeStream('acme', BUILD))).data.attributes.conclusion, 'success');
});

github('deployment and its statuses: CONSUMES the artifact, DEPLOYS the service on success; late status changes nothing', async () => {
  const created = await deliver('deployment', fixtureText('github/deployment'));
  assert.is(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.commands.map((c: any) => [c.target, c.outcome]), [
    [DEPLOYMENT, 'appended'],
    [ARTIFACT, 'unchanged'],
    [`${DEPLOYMENT} -CONSUMES-> ${ARTIFACT}`, 'appended'],
  ]);
  assert.is((await deliver('deployment_status', fixtureText('github/deployment_status.in_progress'))).status, 201);
  const success = await deliver('deployment_status', fixtureText('github/deployment_status.success'));
  assert.is(success.status, 201, JSON.stringify(success.body));
  const deploys = await lastOf(edgeStream('acme', DEPLOYMENT, 'DEPLOYS', SERVICE));
  assert.equal([deploys.type, deploys.data.fromType, deploys.data.toType, deploys.data.attributes], ['graph.edge.asserted', 'Deployment', 'Service', { environment: 'production' }]);
  const node = await lastOf(nodeStream('acme', DEPLOYMENT));
  assert.is(node.data.attributes.state, 'success');
  assert.is(node.meta.effectiveAt, '2019-05-15T15:31:10.000Z');

  const before = await total();
  for (const name of ['deployment', 'deployment_status.in_progress', 'deployment_status.success']) {
    const res = await deliver(name.split('.')[0]!, fixtureText(`github/${name}`));
    assert.is(res.status, 200, `${name}: ${JSON.stringify(res.body)}`);
  }
  assert.is(await total(), before);
  assert.is((await lastOf(nodeStream('acme', DEPLOYMENT))).data.attributes.state, 'success');
});

github("another tenant's secret writes into that tenant, in its region", async () => {
  const res = await deliver('push', fixtureText('github/push'), { secret: GLOBEX_SECRET });
  assert.is(res.status, 201, JSON.stringify(res.body));
  assert.ok(res.body.commands.every((c: any) => c.stream.startsWith('globex/')));
  const globexViewer = await api.token({ tenant: 'globex', roles: ['viewer'], region: 'eu-west' });
  const events = await api.call('GET', `/v1/streams/${enc(nodeStream('globex', COMMIT))}`, { token: globexViewer });
  assert.is(events.body.events[0].region, 'eu-west');
});

github('a refused command stops the mapping, names the command, and keeps the ones before it', async () => {
  // Someone recorded the artifact id as a Service: the webhook's Artifact upsert must fail.
  const run = fixture('github/workflow_run.completed');
  run['workflow_run'].id = 99;
  run['workflow_run'].head_sha = run['workflow_run'].head_commit.id = 'a'.repeat(40);
  const taken = `artifact:${REPO}@${'a'.repeat(40)}`;
  const prov = { sourceSystem: 'manual', observedAt: '2026-01-01T00:00:00Z' };
  const pre = await api.call('POST', '/v1/commands/graph.node.upsert', { token: editor, body: { id: taken, type: 'Service', region: 'us-east', attributes: {}, provenance: prov } });
  assert.is(pre.status, 201, JSON.stringify(pre.body));
  const res = await deliver('workflow_run', JSON.stringify(run));
  assert.is(res.status, 422, JSON.stringify(res.body));
  assert.is(res.body.code, 'node-type-change');
  assert.equal(res.body.failedCommand, { index: 2, type: 'graph.node.upsert', target: taken });
  assert.match(res.body.detail, /^command 3 of 5 \(graph\.node\.upsert artifact:/);
  assert.equal(res.body.executed.map((c: any) => c.outcome), ['appended', 'appended']);
  assert.is((await read(nodeStream('acme', `build:${REPO}#99`))).length, 1);
});

github('everything the webhooks wrote verifies (hash chain and signatures)', async () => {
  const res = await api.call('GET', '/v1/ledger/verify', { token: viewer });
  assert.is(res.status, 200);
  assert.is(res.body.ok, true, JSON.stringify(res.body.failures));
  assert.ok(res.body.eventsChecked > 10);
});

// ---------------------------------------------------------------------------------------------------
const lineage = suite('ingest/openlineage: run events into the graph');
let ingestor: string;
lineage.before(async () => {
  await open('lin')();
  ingestor = await api.token({ tenant: 'lin', roles: ['service'], region: 'us-east', subject: 'service:airflow' });
});
const post = (body: unknown, token = ingestor, headers: Record<string, string> = {}) => api.call('POST', '/v1/ingest/openlineage', { token, body, headers });

lineage('needs a bearer token', async () => {
  const res = await api.call('POST', '/v1/ingest/openlineage', { body: fixture('openlineage/start') });
  assert.is(res.status, 401);
});

lineage('START: the Run, its input Dataset and CONSUMES, at eventTime', async () => {
  const res = await post(fixture('openlineage/start'));
  assert.is(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.commands.map((c: any) => [c.type, c.target, c.outcome]), [
    ['graph.node.upsert', RUN, 'appended'],
    ['graph.node.upsert', ORDERS, 'appended'],
    ['graph.edge.assert', `${RUN} -CONSUMES-> ${ORDERS}`, 'appended'],
  ]);
  const run = await lastOf(nodeStream('lin', RUN));
  assert.is(run.data.attributes.state, 'START');
  assert.is(run.meta.effectiveAt, '2026-01-05T10:00:00.000Z');
  assert.equal(run.meta.actor, { id: 'service:airflow', type: 'service', authn: 'jwt' });
});

lineage('COMPLETE: the output, PRODUCES and DERIVED_FROM; a redelivery writes nothing', async () => {
  const res = await post(fixture('openlineage/complete'));
  assert.is(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.commands.map((c: any) => c.outcome), ['appended', 'unchanged', 'appended', 'unchanged', 'appended', 'appended']);
  assert.is((await lastOf(nodeStream('lin', RUN))).data.attributes.state, 'COMPLETE');
  const derived = await lastOf(edgeStream('lin', REVENUE, 'DERIVED_FROM', ORDERS));
  assert.equal([derived.data.fromType, derived.data.toType], ['Dataset', 'Dataset']);

  const before = await total();
  const again = await post([fixture('openlineage/start'), fixture('openlineage/complete')]);
  assert.is(again.status, 200, JSON.stringify(again.body));
  assert.is(again.body.appended, 0);
  assert.is(await total(), before);
});

lineage('static lineage (the 2-0-x DatasetEvent and JobEvent) in one batch: datasets and what outputs derive from', async () => {
  const at = '2026-03-02T08:00:00Z';
  const raw = { namespace: 'postgres://db:5432', name: 'shop.public.payments' };
  const mart = { namespace: 'bigquery', name: 'finance.daily_payments' };
  const producer = 'https://github.com/dbt-labs/dbt-core';
  const res = await post([
    { eventTime: at, producer, schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent', dataset: raw },
    { eventTime: at, producer, schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent', job: { namespace: 'dbt', name: 'daily_payments' }, inputs: [raw], outputs: [mart] },
  ]);
  assert.is(res.status, 201, JSON.stringify(res.body));
  const derived = await lastOf(edgeStream('lin', datasetNodeId(mart), 'DERIVED_FROM', datasetNodeId(raw)));
  assert.equal([derived.type, derived.data.fromType, derived.data.toType], ['graph.edge.asserted', 'Dataset', 'Dataset']);
});

lineage('a late START after COMPLETE is accepted and sealed with its earlier effectiveAt', async () => {
  const runId = '0f9c2f5e-7c1a-4d53-9a39-3c0d2b9e1a77';
  const complete = { ...fixture('openlineage/complete'), run: { runId } };
  const start = { ...fixture('openlineage/start'), run: { runId } };
  assert.is((await post(complete)).status, 201);
  const late = await post(start);
  assert.is(late.status, 201, JSON.stringify(late.body));
  const events = await read(nodeStream('lin', `run:${runId}`));
  assert.equal(events.map((e) => [e.revision, e.data.attributes.state, e.meta.effectiveAt]), [
    [0, 'COMPLETE', '2026-01-05T10:07:31.250Z'],
    [1, 'START', '2026-01-05T10:00:00.000Z'],
  ]);
  assert.ok(events[1].meta.effectiveAt < events[0].meta.effectiveAt);
  assert.ok(events[1].sealedAt >= events[0].sealedAt);
});

lineage('bad input: content type, JSON, fields, region', async () => {
  assert.is((await post(undefined, ingestor, { 'content-type': 'text/plain' })).status, 415);
  const malformed = await api.call('POST', '/v1/ingest/openlineage', { token: ingestor, rawBody: '[{' });
  assert.is(malformed.status, 400);
  assert.is(malformed.body.code, 'malformed-json');
  const invalid = await post({ ...fixture('openlineage/start'), eventType: 'DONE', run: { runId: 'nope' } });
  assert.is(invalid.status, 400);
  assert.is(invalid.body.code, 'validation');
  assert.equal(invalid.body.errors.map((e: string) => e.split(':')[0]), ['eventType', 'run.runId']);
  const regionless = await api.token({ tenant: 'lin', roles: ['service'] });
  const noRegion = await post(fixture('openlineage/start'), regionless);
  assert.is(noRegion.status, 422);
  assert.is(noRegion.body.code, 'region-required');
});

lineage('a viewer is denied by policy: 403 naming the first command, nothing written but the audit event', async () => {
  const before = await total();
  const res = await post({ ...fixture('openlineage/start'), run: { runId: '11111111-2222-4333-8444-555555555555' } }, viewer);
  assert.is(res.status, 403, JSON.stringify(res.body));
  assert.equal(res.body.failedCommand, { index: 0, type: 'graph.node.upsert', target: 'run:11111111-2222-4333-8444-555555555555' });
  assert.equal(res.body.executed, []);
  assert.is(await total(), before + 1);
  assert.is((await lastOf('lin/audit')).type, 'access.denied');
});

lineage.after(async () => {
  await api.close();
  await testLog.close();
});

signatures.run();
github.run();
lineage.run();
