// FinOps guardrails: per-tenant monthly budgets, the thresholds they cross (75/90/100 %), and daily cost
// anomalies per service (±3σ of the trailing 28 days). Amounts are exact decimal strings.
import * as t from 'io-ts';
import { eventCodec, eventUnion } from './event-body.js';
import { describedAs } from './json-schema.js';
import { AnalyticsTimestamp, Region, patternString } from './primitives.js';
import { MeterName } from './metering.js';
import { Currency, MoneyAmount, Period } from './pricing.js';
import { closedObject, completed, fieldContext } from './validation.js';

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

// ---------------------------------------------------------------------------------------------------
// GET /v1/finops/costs: a closed codec, so an unknown or malformed parameter is a 400 naming it

/** What costs can be grouped by, besides `tag:<key>`. */
export const COST_DIMENSIONS = ['service', 'team', 'meter', 'day', 'hour'] as const;
export type CostDimension = (typeof COST_DIMENSIONS)[number] | `tag:${string}`;
const TAG_DIMENSION = /^tag:[^\u0000-\u001f,]{1,64}$/u;
const isCostDimension = (d: string): d is CostDimension => (COST_DIMENSIONS as readonly string[]).includes(d) || TAG_DIMENSION.test(d);

/** `groupBy=service,tag:env`: distinct dimensions, comma-separated; every unknown one is named. */
export const CostGroupBy = describedAs(
  new t.Type<readonly CostDimension[], string, unknown>(
    'groupBy (comma-separated dimensions)',
    (u): u is readonly CostDimension[] => Array.isArray(u) && u.every((d) => typeof d === 'string' && isCostDimension(d)) && new Set(u).size === u.length,
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c);
      const groupBy = u.split(',').map((s) => s.trim()).filter((s) => s !== '');
      const errors: t.ValidationError[] = groupBy
        .filter((d) => !isCostDimension(d))
        .map((d) => ({ value: u, context: c, message: `unknown dimension ${JSON.stringify(d)}, expected ${COST_DIMENSIONS.join(', ')} or tag:<key>` }));
      if (new Set(groupBy).size !== groupBy.length) errors.push({ value: u, context: c, message: 'a dimension is repeated' });
      return errors.length > 0 ? t.failures(errors) : t.success(groupBy as CostDimension[]);
    },
    (a) => a.join(','),
  ),
  { type: 'string', default: 'service', description: `distinct dimensions, comma-separated: ${COST_DIMENSIONS.join(', ')} or tag:<key> (1-64 characters)` },
);

/** A date is its midnight in UTC; either way the one timestamp grammar decides, within what the usage table holds. */
const instantOf = (u: unknown): string | undefined => {
  if (typeof u !== 'string') return undefined;
  const instant = /^\d{4}-\d{2}-\d{2}$/.test(u) ? `${u}T00:00:00Z` : u;
  return AnalyticsTimestamp.is(instant) ? new Date(instant).toISOString() : undefined;
};
/** An RFC 3339 time or a date, answered as the instant in ISO form (UTC, milliseconds). */
export const CostInstant = describedAs(
  new t.Type<string, string, unknown>(
    'an RFC 3339 time or a date (YYYY-MM-DD, UTC) in years 1900-2299',
    (u): u is string => instantOf(u) === u,
    (u, c) => {
      const instant = instantOf(u);
      return instant === undefined ? t.failure(u, c) : t.success(instant);
    },
    t.identity,
  ),
  { type: 'string', anyOf: [{ format: 'date' }, { format: 'date-time' }], description: 'RFC 3339 time or date (YYYY-MM-DD, its midnight in UTC), years 1900-2299' },
);

/** Longest range one query may cover: a year of hourly rows is already 8,760 groups per key. */
export const MAX_COST_RANGE_DAYS = 366;

/** `[from, to)`, at most 366 days, grouped by `groupBy` (default service). */
const CostsQueryFields = closedObject('CostsQuery', { from: CostInstant, to: CostInstant }, { groupBy: CostGroupBy });
export const CostsQuery = completed(
  CostsQueryFields,
  (q, c): t.Validation<t.TypeOf<typeof CostsQueryFields>> => {
    const span = Date.parse(q.to) - Date.parse(q.from);
    if (span <= 0) return t.failure(q.to, fieldContext(c, 'to', CostInstant, q.to), 'must be later than from');
    if (span > MAX_COST_RANGE_DAYS * 86_400_000) return t.failure(q.to, fieldContext(c, 'to', CostInstant, q.to), `the range may cover at most ${MAX_COST_RANGE_DAYS} days`);
    return t.success(q);
  },
);
export type CostsQuery = t.TypeOf<typeof CostsQuery>;

/** GET /v1/finops/budget: the month to report (YYYY-MM, UTC), by default the current one. */
export const BudgetQuery = closedObject('BudgetQuery', {}, { period: Period });
export type BudgetQuery = t.TypeOf<typeof BudgetQuery>;
