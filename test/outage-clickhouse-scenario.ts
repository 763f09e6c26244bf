// The ClickHouse-away scenario of issue 15, shared by its variants: the embedded store behind a test double
// of a refused connection (test/outage-clickhouse.test.ts), and a real server behind a loopback TCP proxy that
// refuses or partitions its connections (test/outage-clickhouse-server.test.ts). With the analytics store
// away, commands, graph queries and /readyz keep working; audit and cost queries answer 503
// analytics-unavailable with Retry-After; the audit and cost projectors retry with backoff and record no
// fault; once ClickHouse is back they catch up by themselves and the events sealed meanwhile are in the audit
// index once each.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClickHouseStore } from '../adapters/analytics-store/clickhouse/index.js';
import { listFaults } from '../projections/faults.js';
import { openTestApi, type TestApi } from './api-harness.js';
import { openMemoryLog, type TestLog } from './logs.js';

/** A ClickHouse the scenario can take away and bring back. */
export interface SwitchableAnalytics {
  /** The store the system is given (SystemOverrides.analytics), under the adapter's connection guard. */
  readonly store: ClickHouseStore;
  down(): void | Promise<void>;
  up(): void | Promise<void>;
  /** Whether the system tried to reach ClickHouse while it was away, when the fault can tell. */
  readonly triedWhileDown?: () => boolean;
  /** What the scenario ends with: the store and whatever stands in front of it. */
  close(): Promise<void>;
}

const prov = { sourceSystem: 'outage-test', observedAt: '2026-01-01T00:00:00Z' };
const upsert = (id: string) => ({ id, type: 'Service', region: 'us-east', attributes: {}, provenance: prov });
const usage = (eventId: string) => ({ eventId, service: 'api', team: 't', meter: 'compute', unit: 'h', quantity: '2', ts: '2026-03-02T12:00:00Z' });
const COSTS = '/v1/finops/costs?from=2026-03-01&to=2026-04-01';

/** Polls `ok` (each poll a turn of real work) until it holds; a bound on attempts, not a timed assertion. */
async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.unreachable(`never: ${what}`);
}

/** Registers and runs one uvu suite of the scenario on the analytics `open` gives. */
export function clickHouseOutageSuite(name: string, open: () => Promise<SwitchableAnalytics>): void {
  let testLog: TestLog;
  let analytics: SwitchableAnalytics;
  let api: TestApi;
  let admin: string;
  let service: string;
  const projectorErrors: string[] = [];
  const test = suite(`outage: ClickHouse unavailable (${name})`);

  const projector = (of: string) => api.system.projectors().find((p) => p.name === of)!;
  async function settled(...names: string[]): Promise<void> {
    const head = (await api.system.log.headPosition())!;
    for (const of of names) assert.ok(await projector(of).waitFor(head, 30_000), `${of} reached ${head}`);
  }

  test.before(async () => {
    testLog = await openMemoryLog();
    analytics = await open();
    api = await openTestApi(testLog.log, {}, { analytics: analytics.store });
    api.system.startProjectors({ headPollMs: 50, retryDelayMs: 20, onError: (e) => projectorErrors.push(e instanceof Error ? e.message : String(e)) });
    admin = await api.token({ subject: 'ada', tenant: 'acme', roles: ['admin'], region: 'us-east' });
    service = await api.token({ subject: 'svc', tenant: 'acme', roles: ['service'], region: 'us-east' });
  });

  test.after(async () => {
    await api?.close();
    await analytics?.close();
    await testLog?.close();
  });

  test('audit and costs answer 503 while ClickHouse is away; commands and graph queries do not notice; the projectors catch up', async () => {
    const price = { region: 'us-east', meter: 'compute', unit: 'h', currency: 'USD', unitPrice: '1.5', effectiveFrom: '2026-01-01T00:00:00Z' };
    assert.is((await api.call('POST', '/v1/commands/pricing.price.set', { token: admin, body: price })).status, 201);
    assert.is((await api.call('POST', '/v1/commands/graph.node.upsert', { token: admin, body: upsert('svc-before') })).status, 201);
    assert.is((await api.call('POST', '/v1/metering/events', { token: service, body: { records: [usage('u1')] } })).status, 200);
    await settled('audit', 'costs', 'graph');
    const before = await api.call('GET', '/v1/audit/events?limit=500', { token: admin });
    assert.is(before.status, 200);
    const costsBefore = await api.call('GET', COSTS, { token: admin });
    assert.is(costsBefore.status, 200, JSON.stringify(costsBefore.body));
    assert.equal(costsBefore.body.totals, [{ currency: 'USD', cost: '3' }], 'u1: 2 h at 1.5');

    await analytics.down();
    const failuresBefore = projector('audit').status().failures;

    // Commands and graph queries need no ClickHouse.
    const during = await api.call('POST', '/v1/commands/graph.node.upsert', { token: admin, body: upsert('svc-during') });
    assert.is(during.status, 201, JSON.stringify(during.body));
    await settled('graph');
    assert.is((await api.call('GET', '/v1/graph/nodes/svc-during', { token: admin })).status, 200);

    // Reads of the audit index and the costs: a clean, retryable problem.
    for (const path of ['/v1/audit/events', '/v1/audit/export', COSTS]) {
      const answer = await api.call('GET', path, { token: admin });
      assert.is(answer.status, 503, `${path}: ${JSON.stringify(answer.body)}`);
      assert.is(answer.body.code, 'analytics-unavailable', path);
      assert.is(answer.headers.get('retry-after'), '1', path);
      assert.match(answer.headers.get('content-type') ?? '', 'application/problem+json');
    }
    // Metering checks new ids against the ClickHouse index of earlier ones: refused as retryable, not accepted unchecked.
    const metering = await api.call('POST', '/v1/metering/events', { token: service, body: { records: [usage('u2')] } });
    assert.is(metering.status, 503, JSON.stringify(metering.body));
    assert.is(metering.headers.get('retry-after'), '1');

    // The audit and cost projectors fail, retry, and record no fault: an outage is the moment's, not the events'.
    await until('the audit projector retried', () => projector('audit').status().failures > failuresBefore + 1);
    assert.match(projector('audit').status().lastError ?? '', /cannot be reached/);
    const head = (await api.system.log.headPosition())!;
    assert.ok((projector('audit').status().checkpoint ?? -1n) < head, 'the audit projector waits for ClickHouse');
    const faults = await api.system.readStore.withSession((s) => listFaults(s, api.system.readStore.schema, { all: true }));
    assert.equal(faults, []);
    assert.equal(projector('audit').status().faults, []);
    if (analytics.triedWhileDown) assert.ok(analytics.triedWhileDown(), 'the system tried ClickHouse while it was away');
    // The server stays in rotation: audit and costs are a part of it, not its readiness.
    const ready = await api.call('GET', '/readyz');
    assert.is(ready.status, 200, JSON.stringify(ready.body));
    assert.ok(projectorErrors.every((e) => /cannot be reached/.test(e)), projectorErrors.join('\n'));

    await analytics.up();
    await settled('audit', 'costs');
    assert.equal(projector('audit').status().faults, []);
    // The checkpointer keeps signing the tenant's checkpoints (acme/ledger) meanwhile: what the index must hold
    // is every event up to a head the audit projector has reached.
    const reached = projector('audit').status().checkpoint!;
    const after = await api.call('GET', '/v1/audit/events?limit=500', { token: admin });
    assert.is(after.status, 200);
    const entries: { eventId: string; position: string }[] = after.body.events;
    assert.is(new Set(entries.map((e) => e.eventId)).size, entries.length, 'each event once');
    const ids = entries.filter((e) => BigInt(e.position) <= reached).map((e) => e.eventId);
    const logged = (await api.system.log.readAll()).filter((r) => r.stream.startsWith('acme/') && r.position <= reached).map((r) => r.id);
    assert.equal(new Set(ids), new Set(logged), 'the audit index holds every sealed event, those of the outage too');
    assert.ok(ids.length > before.body.events.length);
    const costs = await api.call('GET', COSTS, { token: admin });
    assert.is(costs.status, 200, JSON.stringify(costs.body));
    // No usage was accepted meanwhile, and a write the store gave up on but that landed later counts once.
    assert.equal(costs.body, costsBefore.body);
    // Metering is accepted again, and counted once.
    assert.is((await api.call('POST', '/v1/metering/events', { token: service, body: { records: [usage('u2'), usage('u1')] } })).body.accepted, 1);
  });

  test.run();
}
