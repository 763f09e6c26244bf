// Evidence over HTTP (GET /v1/evidence/…): each answer is sealed as an `evidence.accessed` event on the
// tenant's audit stream before it is sent — who, what, how, under which decision — and a refused read
// records a denial instead; an event of another tenant is not found; an unanchored receipt is no download.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTestApi, type TestApi } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';

const test = suite('evidence routes');
let testLog: TestLog;
let api: TestApi;
let editor: string;
let auditor: string;
let eventId: string;

const auditEvents = async (tenant: string) => (await api.system.log.readStream(`${tenant}/audit`)).map((r) => ({ type: r.type, data: r.data as Record<string, any>, meta: (r.metadata as { meta: any }).meta }));

async function until<T>(check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}

test.before(async () => {
  testLog = await openMemoryLog();
  api = await openTestApi(testLog.log, { COMPANYOS_CHECKPOINT_INTERVAL: '0.05' });
  api.system.startProjectors({ headPollMs: 20 });
  editor = await api.token({ tenant: 'acme', roles: ['editor'], region: 'us-east', subject: 'user:eddie' });
  auditor = await api.token({ tenant: 'acme', roles: ['auditor'], region: 'us-east', subject: 'user:audrey' });
  const created = await api.call('POST', '/v1/commands/graph.node.upsert', {
    token: editor,
    body: { id: 'svc:checkout', type: 'Service', region: 'us-east', attributes: {}, provenance: { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' } },
  });
  assert.is(created.status, 201, JSON.stringify(created.body));
  eventId = created.body.events[0].id;
  // Anchored: a checkpoint covers the event, so it has a receipt.
  await until(async () => ((await api.call('GET', `/v1/ledger/receipts/${eventId}`, { token: auditor })).status === 200 ? true : undefined));
});
test.after(async () => {
  await api.close();
  await testLog.close();
});

test('viewing an event answers it with its receipt, after sealing who viewed it under which decision', async () => {
  const before = (await auditEvents('acme')).length;
  const view = await api.call('GET', `/v1/evidence/events/${eventId}`, { token: auditor });
  assert.is(view.status, 200);
  assert.is(view.body.event.id, eventId);
  assert.is(view.body.receipt.event.id, eventId);
  assert.is(view.headers.get('companyos-access-event'), view.body.accessEventId);
  const recorded = (await auditEvents('acme')).slice(before);
  assert.is(recorded.length, 1);
  const [access] = recorded;
  assert.is(access!.type, 'evidence.accessed');
  assert.equal(access!.data.how, 'view');
  assert.equal(access!.data.what, { kind: 'event', id: eventId });
  assert.equal(access!.data.action, 'stream.read');
  assert.equal(access!.data.principal, { id: 'user:audrey', roles: ['auditor'] });
  assert.is(access!.meta.actor.id, 'user:audrey');
  assert.ok(access!.meta.decision.determiningPolicies.includes('auditor-reads'));
});

test('downloading a receipt is an attachment, recorded as a download; the checkpoint view is recorded too', async () => {
  const before = (await auditEvents('acme')).length;
  const res = await api.system.app.request(`/v1/evidence/receipts/${eventId}`, { headers: { authorization: `Bearer ${auditor}` } });
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-disposition')!, new RegExp(`attachment; filename="receipt-${eventId}\\.json"`));
  assert.is(JSON.parse(await res.text()).event.id, eventId);
  const checkpoint = await api.call('GET', '/v1/evidence/checkpoint', { token: auditor });
  assert.is(checkpoint.status, 200);
  assert.match(checkpoint.body.note, /^companyos\.local\/acme\n\d+\n/);
  const recorded = (await auditEvents('acme')).slice(before).filter((e) => e.type === 'evidence.accessed');
  assert.equal(recorded.map((e) => [e.data.how, e.data.what.kind]), [['download', 'receipt'], ['view', 'checkpoint']]);
  assert.is(recorded[1]!.data.what.id, `acme@${checkpoint.body.treeSize}`);
});

test('another tenant\'s event is not found, and nothing is recorded for it', async () => {
  const other = await api.token({ tenant: 'globex', roles: ['auditor'], region: 'us-east' });
  const res = await api.call('GET', `/v1/evidence/events/${eventId}`, { token: other });
  assert.is(res.status, 404);
  assert.equal(await auditEvents('globex'), []);
});

test('a role that may not read the stream is refused, and the refusal is sealed as access.denied', async () => {
  const nobody = await api.token({ tenant: 'acme', roles: [], region: 'us-east', subject: 'user:nobody' });
  const before = (await auditEvents('acme')).length;
  const res = await api.call('GET', `/v1/evidence/events/${eventId}`, { token: nobody });
  assert.is(res.status, 403);
  const recorded = (await auditEvents('acme')).slice(before);
  assert.equal(recorded.map((e) => e.type), ['access.denied']);
});

test.run();
