// How projections show to operators: Prometheus gauges (lag, checkpoint, head, state, faults) and the
// readiness verdict with a JSON summary for /readyz. /readyz is unauthenticated: a fault shows there by
// projection, position and event id only; its error (which may quote a tenant's data) stays in the table.
import type { ProjectorStatus } from '../../projections/index.js';

const STATES = ['standby', 'catching-up', 'live', 'stopped'] as const;
/** Faults named per projection in /readyz; the rest are counted. */
const NAMED_FAULTS = 10;

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
  gauge('companyos_projection_faults', 'Events skipped because the projection cannot apply them, not yet acknowledged.', 'gauge', (s) => s.faults.length);
  lines.push('# HELP companyos_projection_state 1 for the state the projector is in.', '# TYPE companyos_projection_state gauge');
  for (const s of statuses) for (const state of STATES) lines.push(`companyos_projection_state{projection="${s.name}",state="${state}"} ${s.state === state ? 1 : 0}`);
  return lines.join('\n');
}

/** Why projections keep the process from being ready: still in their first catch-up, or unacknowledged faults. */
export function projectionsNotReady(statuses: readonly ProjectorStatus[]): string[] {
  return statuses.flatMap((s) => {
    const waiting: string[] = [];
    if (!s.caughtUpOnce && s.state !== 'standby') waiting.push(`projection ${s.name} (catching up: at ${s.checkpoint ?? 'start'} of ${s.head ?? '?'})`);
    for (const f of s.faults.slice(0, NAMED_FAULTS)) waiting.push(`projection ${s.name} (fault: event ${f.eventId} at position ${f.position} skipped)`);
    if (s.faults.length > NAMED_FAULTS) waiting.push(`projection ${s.name} (${s.faults.length - NAMED_FAULTS} more faults)`);
    return waiting;
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
    faults: s.faults.length,
  }));
