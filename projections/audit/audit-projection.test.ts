// The audit projection: sealed events (allowed changes and sealed denials) become audit rows, the runtime
// drives it into ClickHouse, and a projector that dies between the insert and its checkpoint leaves no
// event counted twice after the restart.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AUDIT_TABLE, auditMigrations, clickHouseAuditIndex, migrateClickHouse, type ClickHouseStore } from '../../adapters/analytics-store/clickhouse/index.js';
import { sealEvent } from '../../ledger/seal.js';
import { makeUnsealed, testSigningKey, testUuid } from '../../test/test-events.js';
import { openTestAnalytics } from '../../test/analytics.js';
import { openReadModelBed, type ReadModelBed } from '../../test/read-model-bed.js';
import { UnreadableEventError, type ProjectedEvent, type Projection } from '../projection.js';
import { projectUntil, startProjector } from '../runtime.js';
import type { AuditIndex } from './audit-index.js';
import { auditProjection, auditRowOf } from './audit-projection.js';

const sealed = (overrides: Parameters<typeof makeUnsealed>[0]): ProjectedEvent['event'] => sealEvent(makeUnsealed(overrides), testSigningKey());

// ---- rows ----------------------------------------------------------------------------------------

const rows = suite('audit rows from sealed events');

rows('an allowed graph command: its type, stream, actor, decision, policy version and request id', () => {
  const event = sealed({
    id: testUuid(7),
    stream: 'acme/graph.node/svc:checkout',
    type: 'graph.node.upserted',
    sealedAt: '2026-03-04T05:06:07.123456Z',
    meta: {
      actor: { id: 'alice', type: 'user', authn: 'jwt' },
      requestId: 'req-42',
      reason: 'allowed: editors may change the provenance graph',
      decision: { id: 'dec-9', policyVersion: 'f'.repeat(64), determiningPolicies: ['editor-graph-write'] },
    },
  });
  assert.equal(auditRowOf({ position: 12345678901234567n, event }), {
    tenant: 'acme',
    time: '2026-03-04T05:06:07.123Z',
    actor_id: 'alice',
    actor_type: 'user',
    decision_id: 'dec-9',
    policy_version: 'f'.repeat(64),
    region: 'us-east',
    request_id: 'req-42',
    event_id: testUuid(7),
    position: '12345678901234567',
    hash: event.hash,
    action: 'graph.node.upserted',
    resource: 'acme/graph.node/svc:checkout',
    outcome: 'allowed',
    reason: 'allowed: editors may change the provenance graph',
    purpose: '',
  });
});

rows('the purpose a request declared: from its decision input (X-Purpose, the token claim), from a denial its data; else empty', () => {
  const input = (context: Record<string, string>) => ({
    principal: { id: 'alice', tenant: 'acme', roles: ['editor'] }, action: 'graph.node.upsert', actionGroups: ['graph.write', 'write'],
    resource: { type: 'GraphNode', id: 'svc:a', attributes: { tenant: 'acme' } }, context,
  });
  const allowed = (context: Record<string, string>) =>
    sealed({ id: testUuid(11), meta: { decision: { id: 'd', policyVersion: 'p', determiningPolicies: ['editor-graph-write'], input: input(context) } } });
  assert.is(auditRowOf({ position: 1n, event: allowed({ time: 't', purpose: 'support-ticket:4711' }) }).purpose, 'support-ticket:4711');
  assert.is(auditRowOf({ position: 1n, event: allowed({ time: 't' }) }).purpose, '');
  const denied = sealed({
    id: testUuid(12), stream: 'acme/audit', type: 'access.denied',
    data: { action: 'stream.read', resource: { type: 'Stream', id: 'acme/graph.node/x' }, principal: { id: 'v', roles: ['viewer'] }, explanation: 'denied', purpose: 'incident-9' },
  });
  assert.is(auditRowOf({ position: 2n, event: denied }).purpose, 'incident-9');
});

const denial = (resource: { type: string; id: string }, explanation = 'denied: no policy permits roles [viewer] to graph.node.upsert') =>
  sealed({
    id: testUuid(8),
    stream: 'acme/audit',
    type: 'access.denied',
    data: { action: 'graph.node.upsert', resource, principal: { id: 'victor', roles: ['viewer'] }, explanation },
    meta: {
      actor: { id: 'victor', type: 'user', authn: 'jwt' },
      reason: 'denied: no policy permits',
      decision: { id: 'dec-10', policyVersion: 'p-2', determiningPolicies: [] },
    },
  });

rows('an access.denied event: the denied action and resource, outcome denied, the explanation as reason', () => {
  const row = auditRowOf({ position: 3n, event: denial({ type: 'GraphNode', id: 'svc:checkout' }) });
  assert.is(row.outcome, 'denied');
  assert.is(row.action, 'graph.node.upsert');
  assert.is(row.resource, 'acme/graph.node/svc:checkout', 'an aggregate is named by its stream, as its changes are');
  assert.is(row.reason, 'denied: no policy permits roles [viewer] to graph.node.upsert');
  assert.is(row.actor_id, 'victor');
  assert.is(row.decision_id, 'dec-10');
  assert.is(row.policy_version, 'p-2');
  assert.is(row.event_id, testUuid(8));
});

rows('denied resources: a stream stays itself, an edge is its stream, anything else is Type:id', () => {
  const resource = (type: string, id: string) => auditRowOf({ position: 1n, event: denial({ type, id }) }).resource;
  assert.is(resource('Stream', 'globex/graph.node/x'), 'globex/graph.node/x');
  assert.is(resource('GraphEdge', 'a|DEPLOYS|b'), 'acme/graph.edge/a|DEPLOYS|b');
  assert.is(resource('Ledger', 'acme'), 'Ledger:acme');
});

rows('an access.denied event whose data does not decode halts projecting there', () => {
  const event = sealed({ id: testUuid(9), stream: 'acme/audit', type: 'access.denied', data: { action: 1 } });
  assert.throws(() => auditRowOf({ position: 5n, event }), (e: unknown) => e instanceof UnreadableEventError && e.position === 5n);
});

rows.run();

// ---- on the runtime, into ClickHouse --------------------------------------------------------------

interface Ctx {
  bed: ReadModelBed;
  store: ClickHouseStore;
  index: AuditIndex;
}
const projected = suite<Ctx>('audit projection into ClickHouse', {} as Ctx);
// One log for the suite (it takes seconds to open); each test has its own ClickHouse database, tenant and
// checkpoint name, so it projects from the start of the log and counts only its own rows.
projected.before(async (ctx) => {
  ctx.bed = await openReadModelBed();
});
projected.after(async (ctx) => {
  await ctx.bed.close();
});
projected.before.each(async (ctx) => {
  ctx.store = await openTestAnalytics();
  await migrateClickHouse(ctx.store, auditMigrations);
  ctx.index = clickHouseAuditIndex(ctx.store);
});
projected.after.each(async (ctx) => {
  await ctx.store.close();
});

const prov = { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' };
const upsert = (id: string) => ({ id, type: 'Service', region: 'us-east', attributes: { id }, provenance: { ...prov, reason: `register ${id}` } });
const quiet = { onError: () => {}, retryDelayMs: 10, lockRetryMs: 20, headPollMs: 20 };
const everything = (tenant: string) => ({ tenant, limit: 1000 });
const named = (projection: Projection, name: string): Projection => ({ ...projection, name });

/** A tenant's raw rows (duplicates included), rows as reads see them (FINAL), and distinct event ids. */
async function counts(store: ClickHouseStore, tenant: string): Promise<{ raw: number; final: number; distinct: number }> {
  const where = 'WHERE tenant = {tenant:String}';
  const [c] = await store.query<{ raw: string; distinct: string }>(`SELECT count() AS raw, uniqExact(event_id) AS distinct FROM ${AUDIT_TABLE} ${where}`, { tenant });
  const [f] = await store.query<{ final: string }>(`SELECT count() AS final FROM ${AUDIT_TABLE} FINAL ${where}`, { tenant });
  return { raw: Number(c!.raw), final: Number(f!.final), distinct: Number(c!.distinct) };
}

projected('commands through the API, allowed and denied, each become one row', async ({ bed, store, index }) => {
  const allowed = await bed.command('graph.node.upsert', upsert('svc:a'));
  const viewer = await bed.api.token({ subject: 'user:victor', tenant: 'acme', roles: ['viewer'], region: 'us-east' });
  const refused = await bed.api.call('POST', '/v1/commands/graph.node.upsert', { token: viewer, body: upsert('svc:b'), headers: { 'x-request-id': 'req-refused' } });
  assert.is(refused.status, 403);
  await projectUntil({ log: bed.log, store: bed.log.database }, named(auditProjection(index), 'audit_rows'), { schema: bed.log.database.schema });

  const found = await index.searchAudit(everything('acme'));
  assert.is(found.length, 2);
  const [deniedRow, allowedRow] = found;
  assert.equal(
    { ...allowedRow, time: undefined },
    {
      tenant: 'acme', time: undefined, actor_id: 'user:alice', actor_type: 'user', action: 'graph.node.upserted',
      resource: 'acme/graph.node/svc:a', outcome: 'allowed', decision_id: allowed.body.decision.id,
      policy_version: allowed.body.decision.policyVersion, region: 'us-east', request_id: allowedRow!.request_id,
      event_id: allowed.body.events[0].id, position: allowed.body.position, hash: allowed.body.events[0].hash,
      reason: 'register svc:a',
      purpose: '',
    },
  );
  assert.equal(
    { outcome: deniedRow!.outcome, action: deniedRow!.action, resource: deniedRow!.resource, actor: deniedRow!.actor_id, event: deniedRow!.event_id, decision: deniedRow!.decision_id },
    { outcome: 'denied', action: 'graph.node.upsert', resource: 'acme/graph.node/svc:b', actor: 'user:victor', event: refused.body.auditEventId, decision: refused.body.decisionId },
  );
  assert.match(deniedRow!.reason, /^denied: /);
  assert.is(deniedRow!.request_id, 'req-refused');
  assert.equal(await counts(store, 'acme'), { raw: 2, final: 2, distinct: 2 });
});

projected('killed between the ClickHouse insert and its checkpoint: after the restart no event counts twice', async ({ bed, store, index }) => {
  const tenant = 'crash';
  const token = await bed.api.token({ subject: 'user:carol', tenant, roles: ['editor'], region: 'us-east' });
  for (let i = 0; i < 25; i++) {
    const r = await bed.api.call('POST', '/v1/commands/graph.node.upsert', { token, body: upsert(`svc:${i}`) });
    assert.is(r.status, 201);
  }
  const head = (await bed.log.headPosition())!;
  // The first life of the projector: every batch is written to ClickHouse, then the process "dies"
  // before the runtime commits the checkpoint (the transaction rolls back, as a dead connection's would).
  let inserted = 0;
  const dying: Projection = {
    ...named(auditProjection(index), 'audit_crash'),
    async apply(session, schema, events) {
      await session.pipeline(await auditProjection(index).apply(session, schema, events));
      inserted += events.length;
      throw new Error('killed after the insert, before the checkpoint');
    },
  };
  let failed!: () => void;
  const died = new Promise<void>((resolve) => (failed = resolve));
  const first = startProjector({ log: bed.log, store: bed.log.database }, dying, { ...quiet, retryDelayMs: 60_000, onError: () => failed() });
  await died;
  await first.close();
  assert.is(first.status().checkpoint, undefined, 'the checkpoint never moved');
  assert.ok(inserted > 0);
  // What the first life wrote (its first batch: normally the whole log, which the subscription holds).
  const written = (await counts(store, tenant)).raw;
  assert.ok(written > 0, 'rows reached ClickHouse before the death');
  assert.equal(await counts(store, tenant), { raw: written, final: written, distinct: written });

  // The restart: from the old checkpoint, so the same batch is inserted again.
  const second = startProjector({ log: bed.log, store: bed.log.database }, named(auditProjection(index), 'audit_crash'), quiet);
  try {
    assert.ok(await second.waitFor(head));
  } finally {
    await second.close();
  }
  const before = await counts(store, tenant);
  assert.is(before.raw, 25 + written, 'the table holds the re-inserted events twice until a merge: the scenario happened');
  assert.equal({ final: before.final, distinct: before.distinct }, { final: 25, distinct: 25 });
  const answers = await index.searchAudit(everything(tenant));
  assert.is(answers.length, 25);
  assert.is(new Set(answers.map((r) => r.event_id)).size, 25);
  await store.command(`OPTIMIZE TABLE ${AUDIT_TABLE} FINAL`);
  assert.equal(await counts(store, tenant), { raw: 25, final: 25, distinct: 25 });
});

projected.run();
