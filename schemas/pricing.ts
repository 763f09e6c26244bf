// The unit-price catalog as event-sourced configuration: effective-dated prices, tag normalization
// rules and shared-cost pools, per tenant. Money and prices are exact decimal strings, never floats.
import * as t from 'io-ts';
import { eventCodec, eventUnion } from './event-body.js';
import { AnalyticsTimestamp, Region, patternString } from './primitives.js';
import { DecimalString, MeterName } from './metering.js';
import { closedObject } from './validation.js';

export const PRICING_SCHEMA_VERSION = 1;

export const Currency = patternString('Currency (ISO 4217, e.g. USD)', /^[A-Z]{3}$/);
/** A month, `YYYY-MM` (UTC): the period of shared costs and budgets, in the years usage can have (1900-2299). */
export const Period = patternString('Period (YYYY-MM, years 1900-2299)', /^(19\d\d|2[0-2]\d\d)-(0[1-9]|1[0-2])$/);
/** An amount of money: at most 6 decimals, so it is a whole number of micro-units. */
export const MoneyAmount = patternString('MoneyAmount (non-negative, ≤ 6 decimals)', /^(0|[1-9]\d{0,19})(\.\d{1,6})?$/);
const TagKey = patternString('tag key (1-64 chars)', /^[^\u0000-\u001f]{1,64}$/u);

export const PriceSet = closedObject('PriceSet', {
  region: Region,
  meter: MeterName,
  unit: MeterName,
  currency: Currency,
  unitPrice: DecimalString,
  effectiveFrom: AnalyticsTimestamp,
});
export type PriceSet = t.TypeOf<typeof PriceSet>;

export const TagRuleSet = closedObject(
  'TagRuleSet',
  { region: Region, lowercaseKeys: t.boolean },
  { aliases: t.readonly(t.record(TagKey, TagKey)) },
);
export type TagRuleSet = t.TypeOf<typeof TagRuleSet>;

export const SharedCostSet = closedObject('SharedCostSet', {
  region: Region,
  pool: MeterName,
  period: Period,
  amount: MoneyAmount,
  currency: Currency,
  /** Services share the pool in proportion to their usage of this meter in the period. */
  meter: MeterName,
});
export type SharedCostSet = t.TypeOf<typeof SharedCostSet>;

const exact = <P extends t.Props>(props: P) => t.readonly(t.exact(t.type(props)));

export const PriceChanged = eventCodec(
  'pricing.price.changed',
  PRICING_SCHEMA_VERSION,
  exact({ meter: t.string, unit: t.string, currency: t.string, unitPrice: t.string, effectiveFrom: t.string, version: t.number }),
);
export const TagRulesChanged = eventCodec(
  'pricing.tag-rules.changed',
  PRICING_SCHEMA_VERSION,
  exact({ lowercaseKeys: t.boolean, aliases: t.readonly(t.record(t.string, t.string)), version: t.number }),
);
export const SharedCostChanged = eventCodec(
  'pricing.shared-cost.changed',
  PRICING_SCHEMA_VERSION,
  exact({ pool: t.string, period: t.string, amount: t.string, currency: t.string, meter: t.string, version: t.number }),
);
export type PriceChanged = t.TypeOf<typeof PriceChanged>;
export type TagRulesChanged = t.TypeOf<typeof TagRulesChanged>;
export type SharedCostChanged = t.TypeOf<typeof SharedCostChanged>;

export const PricingEvent = eventUnion('PricingEvent', [PriceChanged, TagRulesChanged, SharedCostChanged]);
export type PricingEvent = t.TypeOf<typeof PricingEvent>;
