// The pricing catalog aggregate: one stream per tenant (`<tenant>/pricing`) holding effective-dated unit
// prices, the tag normalization rules and shared-cost pools. Every change is a new version; repeating the
// current value writes nothing, so configuration can be re-applied safely.
import { right, type Either } from 'fp-ts/lib/Either.js';
import {
  PRICING_SCHEMA_VERSION,
  type PriceSet,
  type PricingEvent,
  type SharedCostSet,
  type TagRuleSet,
} from '../../schemas/pricing.js';
import type { DecideContext, Decider } from '../command-handler.js';
import type { DomainError } from '../errors.js';

interface PriceVersion {
  readonly currency: string;
  readonly unitPrice: string;
  readonly version: number;
}

export interface CatalogState {
  /** Per `meter|unit`: how many versions exist; per `meter|unit|effectiveFrom`: the version in force. */
  readonly priceVersions: ReadonlyMap<string, number>;
  readonly prices: ReadonlyMap<string, PriceVersion>;
  readonly tagRules: { readonly lowercaseKeys: boolean; readonly aliases: Readonly<Record<string, string>>; readonly version: number } | undefined;
  /** Per `pool|period`. */
  readonly sharedCosts: ReadonlyMap<string, { readonly amount: string; readonly currency: string; readonly meter: string; readonly version: number }>;
}

export type CatalogCommand =
  | { readonly type: 'pricing.price.set'; readonly data: PriceSet }
  | { readonly type: 'pricing.tag-rule.set'; readonly data: TagRuleSet }
  | { readonly type: 'pricing.shared-cost.set'; readonly data: SharedCostSet };

export const initialCatalogState: CatalogState = Object.freeze({
  priceVersions: new Map(),
  prices: new Map(),
  tagRules: undefined,
  sharedCosts: new Map(),
});

/** Instants compare as instants: "…T00:00:00Z" and "…T01:00:00+01:00" are one effectiveFrom. */
const instant = (ts: string): string => new Date(ts).toISOString();
const priceKey = (meter: string, unit: string) => `${meter}|${unit}`;

export function evolveCatalog(state: CatalogState, event: PricingEvent): CatalogState {
  switch (event.type) {
    case 'pricing.price.changed': {
      const d = event.data;
      const key = priceKey(d.meter, d.unit);
      return {
        ...state,
        priceVersions: new Map(state.priceVersions).set(key, d.version),
        prices: new Map(state.prices).set(`${key}|${instant(d.effectiveFrom)}`, { currency: d.currency, unitPrice: d.unitPrice, version: d.version }),
      };
    }
    case 'pricing.tag-rules.changed':
      return { ...state, tagRules: { lowercaseKeys: event.data.lowercaseKeys, aliases: event.data.aliases, version: event.data.version } };
    case 'pricing.shared-cost.changed': {
      const d = event.data;
      return { ...state, sharedCosts: new Map(state.sharedCosts).set(`${d.pool}|${d.period}`, { amount: d.amount, currency: d.currency, meter: d.meter, version: d.version }) };
    }
  }
}

/** Equal decimals written differently ("1.50" and "1.5") are the same price. */
const sameDecimal = (a: string, b: string): boolean => {
  const norm = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  return norm(a) === norm(b);
};

export function setPrice(cmd: PriceSet, state: CatalogState): Either<DomainError, readonly PricingEvent[]> {
  const key = priceKey(cmd.meter, cmd.unit);
  const current = state.prices.get(`${key}|${instant(cmd.effectiveFrom)}`);
  if (current !== undefined && current.currency === cmd.currency && sameDecimal(current.unitPrice, cmd.unitPrice)) return right([]);
  const version = (state.priceVersions.get(key) ?? 0) + 1;
  const { region: _region, ...data } = cmd;
  return right([{ type: 'pricing.price.changed', schemaVersion: PRICING_SCHEMA_VERSION, data: { ...data, version } }]);
}

export function setTagRules(cmd: TagRuleSet, state: CatalogState): Either<DomainError, readonly PricingEvent[]> {
  const aliases = cmd.aliases ?? {};
  const current = state.tagRules;
  if (current !== undefined && current.lowercaseKeys === cmd.lowercaseKeys && JSON.stringify(current.aliases) === JSON.stringify(aliases)) {
    return right([]);
  }
  return right([
    { type: 'pricing.tag-rules.changed', schemaVersion: PRICING_SCHEMA_VERSION, data: { lowercaseKeys: cmd.lowercaseKeys, aliases, version: (current?.version ?? 0) + 1 } },
  ]);
}

export function setSharedCost(cmd: SharedCostSet, state: CatalogState): Either<DomainError, readonly PricingEvent[]> {
  const current = state.sharedCosts.get(`${cmd.pool}|${cmd.period}`);
  if (current !== undefined && current.currency === cmd.currency && current.meter === cmd.meter && sameDecimal(current.amount, cmd.amount)) {
    return right([]);
  }
  const { region: _region, ...data } = cmd;
  return right([{ type: 'pricing.shared-cost.changed', schemaVersion: PRICING_SCHEMA_VERSION, data: { ...data, version: (current?.version ?? 0) + 1 } }]);
}

export const catalogDecider: Decider<CatalogCommand, CatalogState, PricingEvent, DecideContext> = Object.freeze({
  initialState: initialCatalogState,
  evolve: evolveCatalog,
  decide: (command: CatalogCommand, state: CatalogState) => {
    switch (command.type) {
      case 'pricing.price.set':
        return setPrice(command.data, state);
      case 'pricing.tag-rule.set':
        return setTagRules(command.data, state);
      case 'pricing.shared-cost.set':
        return setSharedCost(command.data, state);
    }
  },
});
