// How projections show to operators: Prometheus gauges (lag, checkpoint, head, state) and the readiness
// verdict with a JSON summary for /readyz.
import type { ProjectorStatus } from '../../projections/index.js';

const STATES = ['standby', 'catching-up', 'live', 'halted', 'stopped'] as const;

/** Prometheus text for the projectors' gauges and counters (empty without projectors). */
export function renderProjectionMetrics(statuses: readonly ProjectorStatus[]): string {
  if (statuses.length === 0) return '';
  const lines: string[] = [];
  const gauge = (name: string, help: string, type: 'gauge' | 'counter', value: (s: ProjectorStatus) => number | bigint | undefined) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const s of statuses) {
      const v = value(s);
      if (v !== undefined) lines.push(`${name}{projection="${s.name}"} ${v}`);
    }
  };
  gauge('companyos_projection_lag_seconds', 'Age of the last applied event while behind the log; 0 when caught up.', 'gauge', (s) => s.lagSeconds);
  gauge('companyos_projection_lag_positions', 'Log head position minus the checkpoint.', 'gauge', (s) =>
    s.head === undefined ? 0n : s.checkpoint === undefined ? s.head + 1n : s.head > s.checkpoint ? s.head - s.checkpoint : 0n,
  );
  gauge('companyos_projection_checkpoint_position', 'Last log position applied.', 'gauge', (s) => s.checkpoint);
  gauge('companyos_projection_head_position', 'Log head position at the last poll.', 'gauge', (s) => s.head);
  gauge('companyos_projection_events_applied_total', 'Events applied by this instance.', 'counter', (s) => s.appliedEvents);
  gauge('companyos_projection_failures_total', 'Failed batches (retried).', 'counter', (s) => s.failures);
  lines.push('# HELP companyos_projection_state 1 for the state the projector is in.', '# TYPE companyos_projection_state gauge');
  for (const s of statuses) for (const state of STATES) lines.push(`companyos_projection_state{projection="${s.name}",state="${state}"} ${s.state === state ? 1 : 0}`);
  return lines.join('\n');
}

/** Why projections keep the process from being ready: halted, or still in their first catch-up. */
export function projectionsNotReady(statuses: readonly ProjectorStatus[]): string[] {
  return statuses.flatMap((s) => {
    if (s.state === 'halted') return [`projection ${s.name} (halted: ${s.lastError ?? 'unknown'})`];
    if (!s.caughtUpOnce && s.state !== 'standby') return [`projection ${s.name} (catching up: at ${s.checkpoint ?? 'start'} of ${s.head ?? '?'})`];
    return [];
  });
}

/** JSON-safe summary for /readyz (positions are 64-bit: strings). */
export const projectionSummary = (statuses: readonly ProjectorStatus[]) =>
  statuses.map((s) => ({
    name: s.name,
    state: s.state,
    checkpoint: s.checkpoint?.toString() ?? null,
    head: s.head?.toString() ?? null,
    lagSeconds: s.lagSeconds,
  }));
