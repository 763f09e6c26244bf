// The FinOps guardrail commands as the pipeline sees them: budget set (admins), threshold crossings and
// anomalies (the monitor, as a service identity; see commands/finops-monitor.ts).
import { AnomalyEvent, AnomalyRecord, BudgetEvent, BudgetSet, BudgetThresholdRecord } from '../../schemas/finops.js';
import { streamName } from '../../schemas/streams.js';
import { foldWith, type CommandHandler } from '../command-handler.js';
import {
  evolveAnomaly,
  evolveBudget,
  initialAnomalyState,
  initialBudgetState,
  recordAnomaly,
  recordThreshold,
  setBudget,
  type AnomalyState,
  type BudgetState,
} from './guardrails.js';

const common = {
  resourceAttributes: (cmd: { readonly region: string }) => ({ region: cmd.region }),
  region: (cmd: { readonly region: string }) => cmd.region,
  provenance: () => undefined,
  naturalKey: () => undefined,
  relatedStreams: () => ({}),
} as const;

const budgetBase = {
  ...common,
  resourceType: 'Budget',
  resourceId: () => 'budget',
  streamOf: (tenant: string) => streamName(tenant, 'finops.budget'),
  initialState: initialBudgetState,
  evolve: evolveBudget,
  fold: foldWith(BudgetEvent, evolveBudget, initialBudgetState),
  encodeEvent: (e: BudgetEvent) => BudgetEvent.encode(e),
} as const;

export const finopsBudgetSet: CommandHandler<BudgetSet, BudgetState, BudgetEvent> = {
  ...budgetBase,
  codec: BudgetSet,
  action: 'set',
  decide: (cmd, state) => setBudget(cmd, state),
};

export const finopsBudgetThresholdRecord: CommandHandler<BudgetThresholdRecord, BudgetState, BudgetEvent> = {
  ...budgetBase,
  codec: BudgetThresholdRecord,
  action: 'record-threshold',
  decide: (cmd, state) => recordThreshold(cmd, state),
};

export const finopsAnomalyRecord: CommandHandler<AnomalyRecord, AnomalyState, AnomalyEvent> = {
  ...common,
  codec: AnomalyRecord,
  resourceType: 'CostAnomaly',
  action: 'record',
  resourceId: (cmd) => `${cmd.day}|${cmd.service}`,
  streamOf: (tenant, cmd) => streamName(tenant, 'finops.anomaly', cmd.day.slice(0, 7)),
  initialState: initialAnomalyState,
  evolve: evolveAnomaly,
  fold: foldWith(AnomalyEvent, evolveAnomaly, initialAnomalyState),
  decide: (cmd, state) => recordAnomaly(cmd, state),
  encodeEvent: (e) => AnomalyEvent.encode(e),
};

export const finopsCommands = Object.freeze({
  'finops.budget.set': finopsBudgetSet,
  'finops.budget.threshold.record': finopsBudgetThresholdRecord,
  'finops.anomaly.record': finopsAnomalyRecord,
});
