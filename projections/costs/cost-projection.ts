// The cost projection: metering batches become usage rows and catalog events become price, tag-rule and
// shared-pool rows in ClickHouse. Costs are not stored: they are computed at query time from usage and the
// whole price history, so a price recorded after the usage it covers still applies (cost-model.ts).
import type { ClickHouseStore } from '../../adapters/analytics-store/analytics-store.js';
import { MeteringEvent } from '../../schemas/metering.js';
import { PricingEvent } from '../../schemas/pricing.js';
import type { ProjectedEvent, Projection } from '../projection.js';
import { UnreadableEventError } from '../projection.js';
import { PRICES_TABLE, SEGMENTS_TABLE, SHARED_TABLE, TAG_RULES_TABLE, USAGE_TABLE } from './cost-schema.js';

export interface CostRows {
  readonly usage: object[];
  readonly segments: object[];
  readonly prices: object[];
  readonly tagRules: object[];
  readonly shared: object[];
}

/** The rows a run of events means: a pure function of the events (positions included), nothing else. */
export function costRowsOf(events: readonly ProjectedEvent[]): CostRows {
  const out: CostRows = { usage: [], segments: [], prices: [], tagRules: [], shared: [] };
  for (const { position, event } of events) {
    if (event.type === 'metering.batch.recorded') {
      const decoded = MeteringEvent.decode(event);
      if (decoded._tag === 'Left') throw new UnreadableEventError(position, event.id, 'not a valid metering.batch.recorded');
      const d = decoded.right.data;
      for (const r of d.records) {
        out.usage.push({
          tenant: event.tenant,
          event_id: r.eventId,
          ts: r.ts,
          service: r.service,
          team: r.team,
          meter: r.meter,
          unit: r.unit,
          quantity: r.quantity,
          tags: r.tags ?? {},
          segment: d.segment,
          batch_event_id: event.id,
          position: position.toString(),
        });
      }
      out.segments.push({ tenant: event.tenant, segment: d.segment, records: d.records.length, position: position.toString() });
    } else if (event.type.startsWith('pricing.')) {
      const decoded = PricingEvent.decode(event);
      if (decoded._tag === 'Left') throw new UnreadableEventError(position, event.id, `not a valid ${event.type}`);
      const e = decoded.right;
      const base = { tenant: event.tenant, position: position.toString() };
      if (e.type === 'pricing.price.changed') {
        const d = e.data;
        out.prices.push({ ...base, meter: d.meter, unit: d.unit, effective_from: d.effectiveFrom, currency: d.currency, unit_price: d.unitPrice, version: d.version });
      } else if (e.type === 'pricing.tag-rules.changed') {
        const keys = Object.keys(e.data.aliases).sort();
        out.tagRules.push({ ...base, lowercase_keys: e.data.lowercaseKeys ? 1 : 0, alias_from: keys, alias_to: keys.map((k) => e.data.aliases[k]!) });
      } else {
        const d = e.data;
        out.shared.push({ ...base, pool: d.pool, period: d.period, amount: d.amount, currency: d.currency, meter: d.meter });
      }
    }
  }
  return out;
}

/**
 * ClickHouse writes are not in the checkpoint's transaction: the runtime commits the checkpoint after
 * apply returns, so a crash in between re-applies the batch, and every table collapses re-inserted rows.
 * Segment rows go last: their presence promises the usage rows are there (the ingest route relies on it).
 */
export function costProjection(store: () => Promise<ClickHouseStore>): Projection {
  return {
    name: 'costs',
    version: 1,
    eventTypes: ['metering.', 'pricing.'],
    migrations: [],
    tables: [],
    async apply(_session, _schema, events) {
      const rows = costRowsOf(events);
      if (rows.usage.length + rows.prices.length + rows.tagRules.length + rows.shared.length === 0) return [];
      const ch = await store();
      await ch.insert(USAGE_TABLE, rows.usage);
      await ch.insert(PRICES_TABLE, rows.prices);
      await ch.insert(TAG_RULES_TABLE, rows.tagRules);
      await ch.insert(SHARED_TABLE, rows.shared);
      await ch.insert(SEGMENTS_TABLE, rows.segments);
      return [];
    },
  };
}
