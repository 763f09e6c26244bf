// Reads of the cost read model in ClickHouse: the accepted-id index the ingest route consults, and the
// cost report (usage joined ASOF with the price in force at each record's ts, summed exactly in SQL as
// Decimal, multiplied and apportioned exactly in cost-model.ts).
import type { ClickHouseStore, ParamValue } from '../../adapters/analytics-store/analytics-store.js';
import {
  apportionPool,
  costRows,
  periodRange,
  periodsIn,
  totalsOf,
  type CostQuery,
  type CostReport,
  type SharedPool,
  type UsageAggregate,
} from './cost-model.js';
import { add, formatDecimal, parseDecimal } from './decimal.js';
import { PRICES_TABLE, SEGMENTS_TABLE, SHARED_TABLE, TAG_RULES_TABLE, USAGE_TABLE } from './cost-schema.js';

export class CostQueries {
  constructor(private readonly store: () => Promise<ClickHouseStore>) {}

  /** The highest segment whose records are all in the index (-1: none). */
  async indexedThrough(tenant: string): Promise<number> {
    const ch = await this.store();
    const [row] = await ch.query<{ n: string; c: string }>(
      `SELECT max(segment) AS n, count() AS c FROM ${SEGMENTS_TABLE} WHERE tenant = {tenant:String}`,
      { tenant },
    );
    return row === undefined || row.c === '0' ? -1 : Number(row.n);
  }

  /** Which of `ids` are already accepted. */
  async knownIds(tenant: string, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const ch = await this.store();
    const rows = await ch.query<{ event_id: string }>(
      `SELECT DISTINCT event_id FROM ${USAGE_TABLE} WHERE tenant = {tenant:String} AND event_id IN {ids:Array(String)}`,
      { tenant, ids },
    );
    return new Set(rows.map((r) => r.event_id));
  }

  /** Tenants with metered usage (whom the FinOps monitor evaluates). */
  async tenants(): Promise<readonly string[]> {
    const ch = await this.store();
    return (await ch.query<{ tenant: string }>(`SELECT DISTINCT tenant FROM ${USAGE_TABLE} ORDER BY tenant`)).map((r) => r.tenant);
  }

  /** Accepted records of a tenant, each once (the bench's "every record accounted for"). */
  async usageCount(tenant: string): Promise<bigint> {
    const ch = await this.store();
    const [row] = await ch.query<{ c: string }>(`SELECT count() AS c FROM ${USAGE_TABLE} FINAL WHERE tenant = {tenant:String}`, { tenant });
    return BigInt(row?.c ?? '0');
  }

  async report(tenant: string, q: CostQuery): Promise<CostReport> {
    const ch = await this.store();
    const [rules] = await ch.query<{ lowercase_keys: number; alias_from: string[]; alias_to: string[] }>(
      `SELECT lowercase_keys, alias_from, alias_to FROM ${TAG_RULES_TABLE} FINAL WHERE tenant = {tenant:String}`,
      { tenant },
    );
    const params: Record<string, ParamValue> = {
      tenant,
      from: new Date(q.from),
      to: new Date(q.to),
      lc: rules?.lowercase_keys ?? 0,
      af: rules?.alias_from ?? [],
      at: rules?.alias_to ?? [],
    };
    const select = q.groupBy.map((d, i) => {
      if (d === 'day') return `toString(toDate(u.ts)) AS g${i}`;
      if (d === 'hour') return `formatDateTime(toStartOfHour(u.ts), '%Y-%m-%dT%H:00:00Z') AS g${i}`;
      if (d.startsWith('tag:')) {
        params[`tag${i}`] = d.slice(4);
        // The normalized key of each raw key; the value of the greatest raw key that maps to the wanted one.
        const norm = "transform(if({lc:UInt8} = 1, lower(k), k), {af:Array(String)}, {at:Array(String)}, if({lc:UInt8} = 1, lower(k), k))";
        const m = `mapFilter((k, v) -> ${norm} = {tag${i}:String}, u.tags)`;
        return `if(empty(${m}), '', ${m}[arrayReverseSort(mapKeys(${m}))[1]]) AS g${i}`;
      }
      return `u.${d} AS g${i}`;
    });
    const groupCols = q.groupBy.map((_, i) => `g${i}`);
    const rows = await ch.query<Record<string, string>>(
      `SELECT ${[...select, 'u.meter AS m', 'u.unit AS un', 'p.currency AS currency', 'toString(p.unit_price) AS price', 'toString(sum(u.quantity)) AS quantity', 'count() AS records'].join(', ')}
FROM (SELECT * FROM ${USAGE_TABLE} FINAL WHERE tenant = {tenant:String} AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}) AS u
ASOF LEFT JOIN (SELECT meter, unit, effective_from, currency, unit_price FROM ${PRICES_TABLE} FINAL WHERE tenant = {tenant:String}) AS p
  ON u.meter = p.meter AND u.unit = p.unit AND u.ts >= p.effective_from
GROUP BY ${[...groupCols, 'm', 'un', 'currency', 'price'].join(', ')}`,
      params,
    );
    const aggregates: UsageAggregate[] = rows.map((r) => ({
      group: Object.fromEntries(q.groupBy.map((d, i) => [d, String(r[`g${i}`])])),
      price: r['currency'] ? { currency: r['currency'], unitPrice: r['price']! } : null,
      meter: r['m']!,
      unit: r['un']!,
      quantity: r['quantity']!,
      records: Number(r['records']),
    }));
    const { rows: costs, unpriced } = costRows(aggregates);

    const pools = await ch.query<SharedPool>(
      `SELECT pool, period, toString(amount) AS amount, currency, meter FROM ${SHARED_TABLE} FINAL WHERE tenant = {tenant:String} ORDER BY pool, period`,
      { tenant },
    );
    const shared = await Promise.all(
      periodsIn(q.from, q.to, pools).map(async (pool) => {
        const range = periodRange(pool.period);
        const weights = await ch.query<{ service: string; q: string }>(
          `SELECT service, toString(sum(quantity)) AS q FROM ${USAGE_TABLE} FINAL
WHERE tenant = {tenant:String} AND meter = {meter:String} AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}
GROUP BY service`,
          { tenant, meter: pool.meter, from: new Date(range.from), to: new Date(range.to) },
        );
        return apportionPool(pool, new Map(weights.map((w) => [w.service, formatDecimal(add(parseDecimal(w.q), parseDecimal('0')))])));
      }),
    );
    return { groupBy: q.groupBy, from: q.from, to: q.to, rows: costs, unpriced, shared, totals: totalsOf(costs, shared) };
  }
}
