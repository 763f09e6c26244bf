// FinOps guardrails: per-tenant monthly budgets, the thresholds they cross (75/90/100 %), and daily cost
// anomalies per service (±3σ of the trailing 28 days). Amounts are exact decimal strings.
import * as t from 'io-ts';
import { eventCodec, eventUnion } from './event-body.js';
import { describedAs } from './json-schema.js';
import { AnalyticsTimestamp, Region, patternString } from './primitives.js';
import { MeterName } from './metering.js';
import { Currency, MoneyAmount, Period } from './pricing.js';
import { closedObject } from './validation.js';

export const FINOPS_SCHEMA_VERSION = 1;
export const BUDGET_THRESHOLDS = [75, 90, 100] as const;

const SignedDecimal = patternString('SignedDecimal', /^-?(0|[1-9]\d*)(\.\d+)?$/);
/** A calendar day in UTC that usage can have: its midnight is an analytics timestamp (so no Feb 30). */
const Day = describedAs(
  t.refinement(patternString('Day (YYYY-MM-DD)', /^\d{4}-\d{2}-\d{2}$/), (d) => AnalyticsTimestamp.is(`${d}T00:00:00Z`), 'Day (YYYY-MM-DD, a real date in 1900-2299)'),
  { type: 'string', format: 'date' },
);
const Threshold = t.union([t.literal(75), t.literal(90), t.literal(100)], 'Threshold (75, 90 or 100)');

export const BudgetSet = closedObject('BudgetSet', { region: Region, amount: MoneyAmount, currency: Currency });
export type BudgetSet = t.TypeOf<typeof BudgetSet>;

export const BudgetThresholdRecord = closedObject('BudgetThresholdRecord', {
  region: Region,
  period: Period,
  threshold: Threshold,
  spent: SignedDecimal,
  budget: MoneyAmount,
  currency: Currency,
});
export type BudgetThresholdRecord = t.TypeOf<typeof BudgetThresholdRecord>;

export const AnomalyRecord = closedObject('AnomalyRecord', {
  region: Region,
  day: Day,
  service: MeterName,
  currency: Currency,
  cost: SignedDecimal,
  mean: SignedDecimal,
  stddev: SignedDecimal,
  direction: t.keyof({ above: null, below: null }),
});
export type AnomalyRecord = t.TypeOf<typeof AnomalyRecord>;

const exact = <P extends t.Props>(props: P) => t.readonly(t.exact(t.type(props)));

export const BudgetChanged = eventCodec('finops.budget.changed', FINOPS_SCHEMA_VERSION, exact({ amount: t.string, currency: t.string }));
export const BudgetThresholdCrossed = eventCodec(
  'finops.budget.threshold.crossed',
  FINOPS_SCHEMA_VERSION,
  exact({ period: t.string, threshold: t.number, spent: t.string, budget: t.string, currency: t.string }),
);
export const AnomalyDetected = eventCodec(
  'finops.anomaly.detected',
  FINOPS_SCHEMA_VERSION,
  exact({ day: t.string, service: t.string, currency: t.string, cost: t.string, mean: t.string, stddev: t.string, direction: t.string }),
);
export type BudgetChanged = t.TypeOf<typeof BudgetChanged>;
export type BudgetThresholdCrossed = t.TypeOf<typeof BudgetThresholdCrossed>;
export type AnomalyDetected = t.TypeOf<typeof AnomalyDetected>;

export const BudgetEvent = eventUnion('BudgetEvent', [BudgetChanged, BudgetThresholdCrossed]);
export type BudgetEvent = t.TypeOf<typeof BudgetEvent>;
export const AnomalyEvent = eventUnion('AnomalyEvent', [AnomalyDetected]);
export type AnomalyEvent = t.TypeOf<typeof AnomalyEvent>;
