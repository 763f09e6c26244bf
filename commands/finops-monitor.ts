// The FinOps monitor: evaluates, for each tenant, month-to-date spend against its budget (75/90/100 %) and
// yesterday's cost per service against its trailing 28 days (±3σ), and records what it finds through the
// pipeline as the system's service identity. Idempotent: each fact has a deterministic id and is written once.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Principal } from './authorizer.js';
import type { CommandPipeline } from './pipeline.js';
import type { Failure } from './failure.js';
import { envelopeOf } from '../ledger/index.js';
import type { CostQueries } from '../projections/costs/cost-queries.js';
import { compare, mul, parseDecimal } from '../projections/costs/decimal.js';
import type { EventLog } from '../adapters/event-log/index.js';
import { BUDGET_THRESHOLDS } from '../schemas/finops.js';
import { foldBudget, periodRange, spentIn } from './finops-budget.js';
import { streamName } from '../schemas/streams.js';

export interface FinopsMonitorDeps {
  readonly pipeline: CommandPipeline;
  readonly costs: CostQueries;
  readonly log: EventLog;
  readonly clock: () => Date;
  /** The tenants to evaluate (e.g. those with usage). */
  readonly tenants: () => Promise<readonly string[]>;
  /** The region a tenant's FinOps facts are written in (its budget's, or its metering's); undefined: skip the tenant. */
  readonly regionOf: (tenant: string) => Promise<string | undefined>;
}

export interface MonitorFinding {
  readonly tenant: string;
  readonly command: string;
  readonly outcome: 'appended' | 'replayed' | 'unchanged' | 'failed';
  readonly detail?: string;
}

const DAY = 86_400_000;
const TRAILING_DAYS = 28;
/** Fewer days of history than this and σ means little: no anomaly is raised. */
const MIN_HISTORY_DAYS = 7;

const monitorPrincipal = (tenant: string, region: string): Principal => ({
  id: 'companyos-finops-monitor',
  tenant,
  roles: ['service'],
  region,
  authTime: undefined,
  authn: 'system',
});

/** Mean and population σ of daily costs. Statistics, not money: doubles are fine here; amounts stay exact. */
export function dailyStats(costs: readonly number[]): { mean: number; stddev: number } {
  const mean = costs.reduce((a, b) => a + b, 0) / costs.length;
  const variance = costs.reduce((a, b) => a + (b - mean) ** 2, 0) / costs.length;
  return { mean, stddev: Math.sqrt(variance) };
}

/** Outside mean ± 3σ; with σ = 0 (a flat history), any change. */
export const isAnomalous = (cost: number, mean: number, stddev: number): boolean => Math.abs(cost - mean) > 3 * stddev && cost !== mean;

export async function evaluateFinops(deps: FinopsMonitorDeps): Promise<readonly MonitorFinding[]> {
  const findings: MonitorFinding[] = [];
  const now = deps.clock();
  const run = async (tenant: string, region: string, type: string, data: object, key: string) => {
    const outcome = await deps.pipeline.execute(type, { region, ...data }, monitorPrincipal(tenant, region), {
      requestId: `finops-monitor:${key}`,
      idempotencyKey: key,
      context: { time: now.toISOString() },
    });
    findings.push(
      isLeft(outcome)
        ? // The same key with another spent figure: the fact was recorded by an earlier run.
          (outcome.left as Failure).code === 'idempotency-key-reused'
          ? { tenant, command: type, outcome: 'unchanged' }
          : { tenant, command: type, outcome: 'failed', detail: (outcome.left as Failure).detail }
        : { tenant, command: type, outcome: outcome.right.kind },
    );
  };
  for (const tenant of await deps.tenants()) {
    const region = await deps.regionOf(tenant);
    if (region === undefined) continue;
    // Budgets: month-to-date spend (usage and the month's shared pools) in the budget's currency.
    // A budget stream this version cannot read is skipped, as an empty one is; a failed read is not.
    const folded = foldBudget(await deps.log.readStream(streamName(tenant, 'finops.budget')));
    const budget = isLeft(folded) ? undefined : folded.right.budget;
    if (budget !== undefined) {
      const period = now.toISOString().slice(0, 7);
      const spent = await spentIn(deps.costs, tenant, budget.currency, periodRange(period, now));
      for (const threshold of BUDGET_THRESHOLDS) {
        // spent × 100 ≥ budget × threshold, exactly.
        if (compare(mul(parseDecimal(spent), parseDecimal('100')), mul(parseDecimal(budget.amount), parseDecimal(String(threshold)))) < 0) continue;
        await run(tenant, region, 'finops.budget.threshold.record', { period, threshold, spent, budget: budget.amount, currency: budget.currency }, `budget:${period}:${threshold}`);
      }
    }
    // Anomalies: yesterday (the last whole day) against the 28 days before it, per service and currency.
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const day = new Date(today - DAY).toISOString().slice(0, 10);
    const report = await deps.costs.report(tenant, {
      groupBy: ['service', 'day'],
      from: new Date(today - (TRAILING_DAYS + 1) * DAY).toISOString(),
      to: new Date(today).toISOString(),
    });
    const series = new Map<string, Map<string, string>>();
    for (const row of report.rows) {
      const key = `${row.group['service']}|${row.currency}`;
      if (!series.has(key)) series.set(key, new Map());
      series.get(key)!.set(row.group['day']!, row.cost);
    }
    for (const [key, byDay] of series) {
      const [service, currency] = key.split('|') as [string, string];
      const history = Array.from({ length: TRAILING_DAYS }, (_, i) => new Date(today - (TRAILING_DAYS + 1 - i) * DAY).toISOString().slice(0, 10));
      if (history.filter((d) => byDay.has(d)).length < MIN_HISTORY_DAYS) continue;
      const { mean, stddev } = dailyStats(history.map((d) => Number(byDay.get(d) ?? '0')));
      const cost = byDay.get(day) ?? '0';
      if (!isAnomalous(Number(cost), mean, stddev)) continue;
      await run(
        tenant,
        region,
        'finops.anomaly.record',
        { day, service, currency, cost, mean: mean.toFixed(6), stddev: stddev.toFixed(6), direction: Number(cost) > mean ? 'above' : 'below' },
        `anomaly:${day}:${service}:${currency}`,
      );
    }
  }
  return findings;
}

/** Runs `evaluateFinops` every `intervalMs` (default 15 min) until stopped; failures are reported, not fatal. */
export function startFinopsMonitor(deps: FinopsMonitorDeps, options: { readonly intervalMs?: number; readonly onError?: (e: unknown) => void } = {}): () => void {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    evaluateFinops(deps)
      .catch(options.onError ?? ((e: unknown) => console.error('companyos: finops monitor:', e)))
      .finally(() => (running = false));
  };
  const timer = setInterval(tick, options.intervalMs ?? 15 * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}

/** The region of the first event in the first of `streams` that has one (envelopes carry their region). */
export async function regionOfStreams(log: EventLog, streams: readonly string[]): Promise<string | undefined> {
  for (const stream of streams) {
    const [first] = await log.readStream(stream, { maxCount: 1 });
    const region: unknown = first === undefined ? undefined : envelopeOf(first).region;
    if (typeof region === 'string') return region;
  }
  return undefined;
}
