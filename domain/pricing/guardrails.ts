// FinOps guardrails as aggregates: a tenant's budget (`<tenant>/finops.budget`: the amount and which
// thresholds each month has crossed) and cost anomalies (`<tenant>/finops.anomaly/<YYYY-MM>`). Both record
// each fact once, so the periodic monitor can re-evaluate as often as it likes.
import { right, type Either } from 'fp-ts/lib/Either.js';
import {
  FINOPS_SCHEMA_VERSION,
  type AnomalyEvent,
  type AnomalyRecord,
  type BudgetEvent,
  type BudgetSet,
  type BudgetThresholdRecord,
} from '../../schemas/finops.js';
import type { DecideContext, Decider } from '../command-handler.js';
import type { DomainError } from '../errors.js';

export interface BudgetState {
  readonly budget: { readonly amount: string; readonly currency: string } | undefined;
  /** `period|threshold` of every threshold already crossed. */
  readonly crossed: ReadonlySet<string>;
}

export const initialBudgetState: BudgetState = Object.freeze({ budget: undefined, crossed: new Set<string>() });

export function evolveBudget(state: BudgetState, event: BudgetEvent): BudgetState {
  switch (event.type) {
    case 'finops.budget.changed':
      return { ...state, budget: { amount: event.data.amount, currency: event.data.currency } };
    case 'finops.budget.threshold.crossed':
      return { ...state, crossed: new Set(state.crossed).add(`${event.data.period}|${event.data.threshold}`) };
  }
}

export function setBudget(cmd: BudgetSet, state: BudgetState): Either<DomainError, readonly BudgetEvent[]> {
  if (state.budget?.amount === cmd.amount && state.budget.currency === cmd.currency) return right([]);
  return right([{ type: 'finops.budget.changed', schemaVersion: FINOPS_SCHEMA_VERSION, data: { amount: cmd.amount, currency: cmd.currency } }]);
}

/** A threshold is crossed once per period: a second report of it writes nothing. */
export function recordThreshold(cmd: BudgetThresholdRecord, state: BudgetState): Either<DomainError, readonly BudgetEvent[]> {
  if (state.crossed.has(`${cmd.period}|${cmd.threshold}`)) return right([]);
  const { region: _region, ...data } = cmd;
  return right([{ type: 'finops.budget.threshold.crossed', schemaVersion: FINOPS_SCHEMA_VERSION, data }]);
}

export type BudgetCommand =
  | { readonly type: 'finops.budget.set'; readonly data: BudgetSet }
  | { readonly type: 'finops.budget.threshold.record'; readonly data: BudgetThresholdRecord };

export const budgetDecider: Decider<BudgetCommand, BudgetState, BudgetEvent, DecideContext> = Object.freeze({
  initialState: initialBudgetState,
  evolve: evolveBudget,
  decide: (command: BudgetCommand, state: BudgetState) =>
    command.type === 'finops.budget.set' ? setBudget(command.data, state) : recordThreshold(command.data, state),
});

export interface AnomalyState {
  /** `day|service` of every anomaly recorded this month. */
  readonly detected: ReadonlySet<string>;
}

export const initialAnomalyState: AnomalyState = Object.freeze({ detected: new Set<string>() });

export const evolveAnomaly = (state: AnomalyState, event: AnomalyEvent): AnomalyState => ({
  detected: new Set(state.detected).add(`${event.data.day}|${event.data.service}`),
});

export function recordAnomaly(cmd: AnomalyRecord, state: AnomalyState): Either<DomainError, readonly AnomalyEvent[]> {
  if (state.detected.has(`${cmd.day}|${cmd.service}`)) return right([]);
  const { region: _region, ...data } = cmd;
  return right([{ type: 'finops.anomaly.detected', schemaVersion: FINOPS_SCHEMA_VERSION, data }]);
}

export const anomalyDecider: Decider<AnomalyRecord, AnomalyState, AnomalyEvent, DecideContext> = Object.freeze({
  initialState: initialAnomalyState,
  evolve: evolveAnomaly,
  decide: (cmd: AnomalyRecord, state: AnomalyState) => recordAnomaly(cmd, state),
});
