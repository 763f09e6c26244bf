// Cost attribution as pure functions: the price in force at a record's time, tag normalization, costs
// grouped by the requested dimensions, and shared-cost pools apportioned by weighted usage. The
// ClickHouse path (cost-queries.ts) aggregates usage in SQL and finishes with the same functions.
import { add, apportion, formatDecimal, fromMicros, mul, parseDecimal, toMicros, ZERO, type Decimal } from './decimal.js';

import type { CostDimension } from '../../schemas/finops.js';

/** What a cost report groups by (schemas/finops.ts, where the query's codec names them). */
export type Dimension = CostDimension;

export interface UsageRecord {
  readonly eventId: string;
  readonly service: string;
  readonly team: string;
  readonly meter: string;
  readonly unit: string;
  readonly quantity: string;
  readonly ts: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface PriceVersion {
  readonly meter: string;
  readonly unit: string;
  readonly currency: string;
  readonly unitPrice: string;
  readonly effectiveFrom: string;
  readonly version: number;
}

export interface TagRules {
  readonly lowercaseKeys: boolean;
  readonly aliases: Readonly<Record<string, string>>;
}

export interface SharedPool {
  readonly pool: string;
  readonly period: string;
  readonly amount: string;
  readonly currency: string;
  readonly meter: string;
}

export interface CostQuery {
  readonly groupBy: readonly Dimension[];
  /** [from, to): RFC 3339 instants. */
  readonly from: string;
  readonly to: string;
}

/** Usage summed per group and per price applied: what both the pure path and ClickHouse produce. */
export interface UsageAggregate {
  readonly group: Readonly<Record<string, string>>;
  /** null: no price was in force for the meter and unit at the records' time. */
  readonly price: { readonly currency: string; readonly unitPrice: string } | null;
  readonly meter: string;
  readonly unit: string;
  readonly quantity: string;
  readonly records: number;
}

export interface CostRow {
  readonly group: Readonly<Record<string, string>>;
  readonly currency: string;
  /** Exact: Σ quantity × unit price, no rounding. */
  readonly cost: string;
  readonly records: number;
}

export interface Unpriced {
  readonly meter: string;
  readonly unit: string;
  readonly quantity: string;
  readonly records: number;
}

export interface SharedShare {
  readonly pool: string;
  readonly period: string;
  readonly currency: string;
  readonly amount: string;
  /** Largest-remainder shares in micro-units; they sum to `amount` exactly (empty when no usage weighs). */
  readonly shares: readonly { readonly service: string; readonly amount: string; readonly weight: string }[];
  readonly unallocated: string;
}

export interface CostReport {
  readonly groupBy: readonly Dimension[];
  readonly from: string;
  readonly to: string;
  readonly rows: readonly CostRow[];
  readonly unpriced: readonly Unpriced[];
  readonly shared: readonly SharedShare[];
  /** Per currency: usage costs plus shared pools of periods that start inside [from, to). */
  readonly totals: readonly { readonly currency: string; readonly cost: string }[];
}

const iso = (ts: string): number => Date.parse(ts);

/**
 * The version in force at `ts`: the latest effectiveFrom ≤ ts; among equal effectiveFrom, the highest
 * version (a correction). A price set after usage was recorded still applies to it: costs are computed
 * at query time from the whole catalog, so a late price reprices earlier usage, as an invoice would.
 */
export function priceAt(prices: readonly PriceVersion[], meter: string, unit: string, ts: string): PriceVersion | undefined {
  const t = iso(ts);
  let best: PriceVersion | undefined;
  for (const p of prices) {
    if (p.meter !== meter || p.unit !== unit || iso(p.effectiveFrom) > t) continue;
    if (best === undefined || iso(p.effectiveFrom) > iso(best.effectiveFrom) || (iso(p.effectiveFrom) === iso(best.effectiveFrom) && p.version > best.version)) {
      best = p;
    }
  }
  return best;
}

/** Keys lower-cased (when the rule says so), then aliases applied; later keys win on collisions, in key order. */
export function normalizeTags(tags: Readonly<Record<string, string>> | undefined, rules: TagRules | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(tags ?? {}).sort()) {
    const lowered = rules?.lowercaseKeys ? key.toLowerCase() : key;
    out[rules?.aliases[lowered] ?? lowered] = tags![key]!;
  }
  return out;
}

const hourOf = (ts: string) => `${new Date(ts).toISOString().slice(0, 13)}:00:00Z`;
const dayOf = (ts: string) => new Date(ts).toISOString().slice(0, 10);

export function groupOf(r: UsageRecord, groupBy: readonly Dimension[], rules: TagRules | undefined): Record<string, string> {
  const group: Record<string, string> = {};
  const tags = groupBy.some((d) => d.startsWith('tag:')) ? normalizeTags(r.tags, rules) : {};
  for (const d of groupBy) {
    if (d === 'day') group[d] = dayOf(r.ts);
    else if (d === 'hour') group[d] = hourOf(r.ts);
    else if (d.startsWith('tag:')) group[d] = tags[d.slice(4)] ?? '';
    else group[d] = r[d as 'service' | 'team' | 'meter'];
  }
  return group;
}

const keyOf = (...parts: readonly unknown[]) => JSON.stringify(parts);

/** Usage in [from, to) aggregated per group and price: the in-memory twin of the ClickHouse query. */
export function aggregateUsage(
  usage: readonly UsageRecord[],
  prices: readonly PriceVersion[],
  rules: TagRules | undefined,
  q: CostQuery,
): UsageAggregate[] {
  const from = iso(q.from);
  const to = iso(q.to);
  const seen = new Set<string>();
  const out = new Map<string, { a: UsageAggregate; q: Decimal }>();
  for (const r of usage) {
    const t = iso(r.ts);
    if (t < from || t >= to || seen.has(r.eventId)) continue;
    seen.add(r.eventId);
    const p = priceAt(prices, r.meter, r.unit, r.ts);
    const group = groupOf(r, q.groupBy, rules);
    const price = p === undefined ? null : { currency: p.currency, unitPrice: p.unitPrice };
    const k = keyOf(group, price, r.meter, r.unit);
    const prev = out.get(k);
    const quantity = add(prev?.q ?? ZERO, parseDecimal(r.quantity));
    out.set(k, { q: quantity, a: { group, price, meter: r.meter, unit: r.unit, quantity: formatDecimal(quantity), records: (prev?.a.records ?? 0) + 1 } });
  }
  return [...out.values()].map((v) => v.a);
}

/** Σ quantity × price per (group, currency), exactly; unpriced usage listed apart. Sorted for stable output. */
export function costRows(aggregates: readonly UsageAggregate[]): { rows: CostRow[]; unpriced: Unpriced[] } {
  const rows = new Map<string, { group: Readonly<Record<string, string>>; currency: string; cost: Decimal; records: number }>();
  const unpriced = new Map<string, { meter: string; unit: string; quantity: Decimal; records: number }>();
  for (const a of aggregates) {
    if (a.price === null) {
      const k = keyOf(a.meter, a.unit);
      const prev = unpriced.get(k);
      unpriced.set(k, { meter: a.meter, unit: a.unit, quantity: add(prev?.quantity ?? ZERO, parseDecimal(a.quantity)), records: (prev?.records ?? 0) + a.records });
      continue;
    }
    const k = keyOf(a.group, a.price.currency);
    const prev = rows.get(k);
    const cost = add(prev?.cost ?? ZERO, mul(parseDecimal(a.quantity), parseDecimal(a.price.unitPrice)));
    rows.set(k, { group: a.group, currency: a.price.currency, cost, records: (prev?.records ?? 0) + a.records });
  }
  const sorted = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    rows: sorted.map(([, r]) => ({ group: r.group, currency: r.currency, cost: formatDecimal(r.cost), records: r.records })),
    unpriced: [...unpriced.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, u]) => ({ ...u, quantity: formatDecimal(u.quantity) })),
  };
}

/** Splits one pool over services by their usage (weights: exact quantities of the pool's meter). */
export function apportionPool(pool: SharedPool, weights: ReadonlyMap<string, string>): SharedShare {
  const services = [...weights.keys()].sort();
  const total = toMicros(pool.amount);
  const shares = apportion(total, services.map((s) => parseDecimal(weights.get(s)!)));
  const allocated = shares.reduce((a, b) => a + b, 0n);
  return {
    pool: pool.pool,
    period: pool.period,
    currency: pool.currency,
    amount: fromMicros(total),
    shares: services.map((service, i) => ({ service, amount: fromMicros(shares[i]!), weight: weights.get(service)! })).filter((s) => s.weight !== '0'),
    unallocated: fromMicros(total - allocated),
  };
}

/** Month periods whose first instant lies in [from, to): the pools a report includes. */
export function periodsIn(from: string, to: string, pools: readonly SharedPool[]): SharedPool[] {
  return pools.filter((p) => {
    const start = Date.parse(`${p.period}-01T00:00:00Z`);
    return start >= iso(from) && start < iso(to);
  });
}

export const periodRange = (period: string): { from: string; to: string } => {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return { from: new Date(Date.UTC(y, m - 1, 1)).toISOString(), to: new Date(Date.UTC(y, m, 1)).toISOString() };
};

export function totalsOf(rows: readonly CostRow[], shared: readonly SharedShare[]): { currency: string; cost: string }[] {
  const totals = new Map<string, Decimal>();
  for (const r of rows) totals.set(r.currency, add(totals.get(r.currency) ?? ZERO, parseDecimal(r.cost)));
  for (const s of shared) totals.set(s.currency, add(totals.get(s.currency) ?? ZERO, parseDecimal(s.amount)));
  return [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, cost]) => ({ currency, cost: formatDecimal(cost) }));
}

/** The whole report from in-memory facts (tests, fixtures); the API computes the same over ClickHouse. */
export function costReport(
  input: { readonly usage: readonly UsageRecord[]; readonly prices: readonly PriceVersion[]; readonly rules?: TagRules; readonly pools?: readonly SharedPool[] },
  q: CostQuery,
): CostReport {
  const { rows, unpriced } = costRows(aggregateUsage(input.usage, input.prices, input.rules, q));
  const shared = periodsIn(q.from, q.to, input.pools ?? []).map((pool) => {
    const range = periodRange(pool.period);
    const byService = aggregateUsage(
      input.usage.filter((u) => u.meter === pool.meter),
      [],
      undefined,
      { groupBy: ['service'], from: range.from, to: range.to },
    );
    const weights = new Map<string, Decimal>();
    for (const a of byService) weights.set(a.group['service']!, add(weights.get(a.group['service']!) ?? ZERO, parseDecimal(a.quantity)));
    return apportionPool(pool, new Map([...weights].map(([s, w]) => [s, formatDecimal(w)])));
  });
  return { groupBy: q.groupBy, from: q.from, to: q.to, rows, unpriced, shared, totals: totalsOf(rows, shared) };
}
