// Cost attribution proven on a hand-computed fixture (test/fixtures/finops/march.json): the pure model and
// the ClickHouse read model (projected from sealed events, re-inserted as after a crash) give every figure
// exactly. Plus exact decimals, half-even rounding and largest-remainder apportioning.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import { migrateClickHouse, type ClickHouseStore } from '../../adapters/analytics-store/clickhouse/index.js';
import { catalogDecider, meteringDecider } from '../../domain/index.js';
import { sealEvent } from '../../ledger/seal.js';
import { makeUnsealed, testSigningKey, testUuid } from '../../test/test-events.js';
import { MeteringRecord, type MeteringEvent } from '../../schemas/metering.js';
import type { PricingEvent } from '../../schemas/pricing.js';
import { openTestAnalytics } from '../../test/analytics.js';
import type { ProjectedEvent } from '../projection.js';
import { costReport, type CostReport, type Dimension, type UsageRecord } from './cost-model.js';
import { costProjection, costRowsOf } from './cost-projection.js';
import { CostQueries } from './cost-queries.js';
import { costMigrations } from './cost-schema.js';
import { apportion, divHalfEven, formatDecimal, mul, parseDecimal, roundHalfEven } from './decimal.js';

const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/finops/march.json', import.meta.url), 'utf8'));
const REGION = 'us-east';
const ctx = { now: '2026-04-01T00:00:00Z', related: {} };

/** The fixture as the log would hold it: catalog events, then batches (deduped as the route does), then late prices. */
function fixtureEvents(): { events: (MeteringEvent | PricingEvent)[]; duplicates: number } {
  const events: (MeteringEvent | PricingEvent)[] = [];
  let catalog = catalogDecider.initialState;
  const price = (p: object) => {
    const r = catalogDecider.decide({ type: 'pricing.price.set', data: { region: REGION, ...p } as never }, catalog, ctx);
    if (isLeft(r)) throw new Error(r.left.detail);
    for (const e of r.right) (catalog = catalogDecider.evolve(catalog, e)), events.push(e);
  };
  const other = (type: 'pricing.tag-rule.set' | 'pricing.shared-cost.set', data: object) => {
    const r = catalogDecider.decide({ type, data: { region: REGION, ...data } } as never, catalog, ctx);
    if (isLeft(r)) throw new Error(r.left.detail);
    for (const e of r.right) (catalog = catalogDecider.evolve(catalog, e)), events.push(e);
  };
  fixture.pricesBefore.forEach(price);
  other('pricing.tag-rule.set', fixture.tagRules);
  fixture.sharedCosts.forEach((s: object) => other('pricing.shared-cost.set', s));
  const index = new Set<string>();
  let previous = meteringDecider.initialState;
  let duplicates = 0;
  fixture.batches.forEach((raw: unknown[], n: number) => {
    const records = raw.map((r) => {
      const d = MeteringRecord.decode(r);
      if (isLeft(d)) throw new Error('bad fixture record');
      return d.right;
    });
    const fresh = records.filter((r) => !index.has(r.eventId));
    duplicates += records.length - fresh.length;
    const r = meteringDecider.decide({ region: REGION, segment: n, indexedThrough: n - 1, records: fresh }, meteringDecider.initialState, { ...ctx, related: { previous } });
    if (isLeft(r)) throw new Error(r.left.detail);
    for (const e of r.right) {
      events.push(e);
      previous = meteringDecider.evolve(meteringDecider.initialState, e);
      e.data.records.forEach((x) => index.add(x.eventId));
      duplicates += e.data.duplicates.length;
    }
  });
  fixture.pricesAfter.forEach(price);
  return { events, duplicates };
}

const sealedLog = (): ProjectedEvent[] =>
  fixtureEvents().events.map((body, i) => ({
    position: BigInt(i + 1),
    event: sealEvent(makeUnsealed({ id: testUuid(100 + i), stream: `acme/x/${i}`, revision: 0, type: body.type, data: body.data as never, tenant: 'acme' }), testSigningKey()),
  }));

type Report = (groupBy: Dimension[], from?: string, to?: string) => Promise<CostReport>;

function figures(name: string, report: Report) {
  const test = suite(`costs fixture (${name})`);
  const byKey = (r: CostReport, d: Dimension) => Object.fromEntries(r.rows.map((row) => [row.group[d], row.cost]));
  for (const d of ['service', 'team', 'meter', 'day', 'tag:environment'] as const) {
    test(`by ${d}: every figure exact`, async () => {
      const r = await report([d]);
      assert.equal(byKey(r, d), fixture.expected[d]);
      assert.ok(r.rows.every((row) => row.currency === 'USD'));
      assert.equal(r.unpriced, []);
    });
  }
  test('by hour on the day a price changed', async () => {
    const r = await report(['hour'], '2026-03-16T00:00:00Z', '2026-03-17T00:00:00Z');
    assert.equal(byKey(r, 'hour'), fixture.expected['hour@2026-03-16']);
    assert.equal(r.shared, []);
  });
  test('shared pool apportioned by weighted usage, summing exactly to the pool; totals', async () => {
    const r = await report(['service', 'meter']);
    assert.equal(r.shared.length, 1);
    assert.equal(Object.fromEntries(r.shared[0]!.shares.map((s) => [s.service, s.amount])), fixture.expected.shared);
    assert.is(r.shared[0]!.unallocated, '0');
    assert.equal(r.totals, [{ currency: 'USD', cost: fixture.expected.total }]);
    assert.is(r.rows.reduce((n, row) => n + row.records, 0), fixture.expected.accepted);
  });
  test('usage before the first price is reported unpriced, not costed', async () => {
    const r = await report(['service'], '2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z');
    assert.equal(r.rows, []);
  });
  return test;
}

// ---- pure --------------------------------------------------------------------------------------------

const pure = figures('pure model', async (groupBy, from = fixture.range.from, to = fixture.range.to) => {
  const events = fixtureEvents().events;
  const usage: UsageRecord[] = events.flatMap((e) => (e.type === 'metering.batch.recorded' ? e.data.records : []));
  const prices = events.flatMap((e) => (e.type === 'pricing.price.changed' ? [e.data] : []));
  const rules = events.flatMap((e) => (e.type === 'pricing.tag-rules.changed' ? [e.data] : [])).at(-1);
  const pools = events.flatMap((e) => (e.type === 'pricing.shared-cost.changed' ? [e.data] : []));
  return costReport({ usage, prices, ...(rules ? { rules } : {}), pools }, { groupBy, from, to });
});
pure('the fixture log: 7 accepted, 1 duplicate dropped', () => {
  const { events, duplicates } = fixtureEvents();
  const accepted = events.flatMap((e) => (e.type === 'metering.batch.recorded' ? e.data.records : []));
  assert.is(accepted.length, fixture.expected.accepted);
  assert.is(duplicates, fixture.expected.duplicates);
});
pure.run();

// ---- ClickHouse ----------------------------------------------------------------------------------

let store: ClickHouseStore;
const ch = figures('ClickHouse, replayed twice', (groupBy, from = fixture.range.from, to = fixture.range.to) =>
  new CostQueries(async () => store).report('acme', { groupBy, from, to }),
);
ch.before(async () => {
  store = await openTestAnalytics();
  await migrateClickHouse(store, costMigrations);
  const log = sealedLog();
  const projection = costProjection(async () => store);
  // Twice: a projector that crashed after the insert and before its checkpoint re-applies the batch.
  await projection.apply(undefined as never, 'unused', log);
  await projection.apply(undefined as never, 'unused', log.slice(3));
});
ch.after(async () => store.close());
ch('the index: known ids, highest indexed segment, one row per accepted record', async () => {
  const q = new CostQueries(async () => store);
  assert.is(await q.indexedThrough('acme'), 2);
  assert.is(await q.indexedThrough('other'), -1);
  assert.equal([...(await q.knownIds('acme', ['m1', 'm7', 'nope']))].sort(), ['m1', 'm7']);
  assert.is(await q.usageCount('acme'), 7n);
  assert.is(costRowsOf(sealedLog()).usage.length, 7);
});
ch.run();

// ---- arithmetic ----------------------------------------------------------------------------------

const arithmetic = suite('exact decimals');
arithmetic('products and text are exact', () => {
  assert.is(formatDecimal(mul(parseDecimal('4.5'), parseDecimal('0.045'))), '0.2025');
  assert.is(formatDecimal(mul(parseDecimal('0.1'), parseDecimal('0.2'))), '0.02');
  assert.is(formatDecimal(parseDecimal('100.000')), '100');
});
arithmetic('half-even rounding', () => {
  assert.equal([5n, 15n, 25n, -5n, -15n, 26n, 24n].map((n) => divHalfEven(n, 10n)), [0n, 2n, 2n, 0n, -2n, 3n, 2n]);
  assert.is(formatDecimal(roundHalfEven(parseDecimal('0.0000125'), 6)), '0.000012');
  assert.is(formatDecimal(roundHalfEven(parseDecimal('0.0000135'), 6)), '0.000014');
});
arithmetic('largest remainder: shares always sum to the pool', () => {
  assert.equal(apportion(100n, [parseDecimal('1'), parseDecimal('1'), parseDecimal('1')]), [34n, 33n, 33n]);
  assert.equal(apportion(0n, [parseDecimal('1')]), [0n]);
  assert.equal(apportion(7n, [parseDecimal('0'), parseDecimal('0')]), [0n, 0n]);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed);
  for (let i = 0; i < 500; i++) {
    const total = BigInt(rnd() % 1_000_000_000);
    const weights = Array.from({ length: 1 + (rnd() % 9) }, () => parseDecimal(`${rnd() % 1000}.${rnd() % 1000}`));
    const shares = apportion(total, weights);
    if (weights.every((w) => w.units === 0n)) continue;
    assert.is(shares.reduce((a, b) => a + b, 0n), total);
    assert.ok(shares.every((s) => s >= 0n));
  }
});
arithmetic.run();
