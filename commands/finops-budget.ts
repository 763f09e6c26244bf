// A tenant's budget and a month's spend against it, as the FinOps monitor evaluates it and as
// GET /v1/finops/budget answers it: the budget is the domain's aggregate, folded from `<tenant>/finops.budget`
// with its own evolve (no read model of its own: the stream holds one event per change and per crossing);
// the spend is the cost report's total in the budget's currency; the month's anomalies are their own stream.
import { isLeft } from 'fp-ts/lib/Either.js';
import { foldWith } from '../domain/index.js';
import { evolveBudget, initialBudgetState, type BudgetState } from '../domain/pricing/guardrails.js';
import type { EventLog, RecordedEvent } from '../adapters/event-log/index.js';
import type { CostQueries } from '../projections/costs/cost-queries.js';
import { envelopeOf } from '../ledger/index.js';
import { divHalfEven, formatDecimal, parseDecimal, rescale } from '../projections/costs/decimal.js';
import { AnomalyEvent, BudgetEvent } from '../schemas/finops.js';
import { streamName } from '../schemas/streams.js';
import { bodyOf } from './folded-streams.js';

/** The budget stream's records folded by the domain (what the budget.set and threshold deciders see); Left names what this version cannot read. */
export const foldBudget = (records: readonly RecordedEvent[]) => foldWith(BudgetEvent, evolveBudget, initialBudgetState)(records.map(bodyOf));

/** The budget stream read and folded; throws if it holds an event this version cannot read. */
export async function loadBudget(log: EventLog, tenant: string): Promise<{ readonly state: BudgetState; readonly records: readonly RecordedEvent[] }> {
  const records = await log.readStream(streamName(tenant, 'finops.budget'));
  const folded = foldBudget(records);
  if (isLeft(folded)) throw new Error(`stream ${streamName(tenant, 'finops.budget')} holds events this version cannot read: ${folded.left.join('; ')}`);
  return { state: folded.right, records };
}

/** The month `period` (YYYY-MM) as [from, to), `to` cut at `now` while the month runs. */
export function periodRange(period: string, now: Date): { readonly from: string; readonly to: string } {
  const [year, month] = period.split('-').map(Number) as [number, number];
  const start = Date.UTC(year, month - 1, 1);
  const end = Math.min(Date.UTC(year, month, 1), now.getTime());
  return { from: new Date(start).toISOString(), to: new Date(Math.max(start, end)).toISOString() };
}

/** Spend in [from, to) in `currency` (usage and the period's shared pools), as the cost report totals it. */
export async function spentIn(costs: CostQueries, tenant: string, currency: string, range: { readonly from: string; readonly to: string }): Promise<string> {
  if (range.to <= range.from) return '0';
  const report = await costs.report(tenant, { groupBy: [], from: range.from, to: range.to });
  return report.totals.find((t) => t.currency === currency)?.cost ?? '0';
}

/** spent / budget in percent, rounded half-even to 2 decimals; null for a zero budget. */
export function shareOf(spent: string, budget: string): string | null {
  const s = parseDecimal(spent);
  const b = parseDecimal(budget);
  const scale = Math.max(s.scale, b.scale);
  const [su, bu] = [rescale(s, scale).units, rescale(b, scale).units];
  return bu === 0n ? null : formatDecimal({ units: divHalfEven(su * 10_000n, bu), scale: 2 });
}

export interface BudgetStatus {
  readonly period: string;
  readonly from: string;
  readonly to: string;
  readonly budget: { readonly amount: string; readonly currency: string } | null;
  /** The month's spend so far in the budget's currency (null without a budget). */
  readonly spent: string | null;
  /** spent / budget in percent, 2 decimals (null without a budget, or for a zero one). */
  readonly share: string | null;
  readonly thresholdsCrossed: readonly {
    readonly threshold: number;
    readonly spent: string;
    readonly budget: string;
    readonly currency: string;
    readonly recordedAt: string;
    readonly eventId: string;
  }[];
  readonly anomalies: readonly {
    readonly day: string;
    readonly service: string;
    readonly currency: string;
    readonly cost: string;
    readonly mean: string;
    readonly stddev: string;
    readonly direction: string;
    readonly recordedAt: string;
    readonly eventId: string;
  }[];
}

const sealedAtOf = (r: RecordedEvent): string => {
  const sealedAt: unknown = envelopeOf(r).sealedAt;
  return typeof sealedAt === 'string' ? sealedAt : '';
};

/** The tenant's budget, the month's spend against it, the thresholds it crossed and the month's anomalies. */
export async function budgetStatus(deps: { readonly log: EventLog; readonly costs: CostQueries }, tenant: string, period: string, now: Date): Promise<BudgetStatus> {
  const range = periodRange(period, now);
  const [{ state, records }, anomalyRecords] = await Promise.all([
    loadBudget(deps.log, tenant),
    deps.log.readStream(streamName(tenant, 'finops.anomaly', period)),
  ]);
  const budget = state.budget ?? null;
  const spent = budget === null ? null : await spentIn(deps.costs, tenant, budget.currency, range);
  const thresholdsCrossed = records.flatMap((r) => {
    const e = BudgetEvent.decode(bodyOf(r));
    if (isLeft(e) || e.right.type !== 'finops.budget.threshold.crossed' || e.right.data.period !== period) return [];
    // The fold says which crossings count (one per period and threshold); the event says the figures then.
    if (!state.crossed.has(`${period}|${e.right.data.threshold}`)) return [];
    const { threshold, spent: then, budget: amount, currency } = e.right.data;
    return [{ threshold, spent: then, budget: amount, currency, recordedAt: sealedAtOf(r), eventId: r.id }];
  });
  const anomalies = anomalyRecords.flatMap((r) => {
    const e = AnomalyEvent.decode(bodyOf(r));
    return isLeft(e) ? [] : [{ ...e.right.data, recordedAt: sealedAtOf(r), eventId: r.id }];
  });
  return {
    period,
    ...range,
    budget,
    spent,
    share: budget === null || spent === null ? null : shareOf(spent, budget.amount),
    thresholdsCrossed,
    anomalies,
  };
}
