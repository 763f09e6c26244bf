// RunQueries: the read side of the run-state read model (GET /v1/runs…). Every statement is parameterized
// and filtered by the caller's tenant; lists page by keyset (the position of run.started), newest first.
import type { ReadStore } from '../../adapters/read-store/read-store.js';
import type { Wait } from '../../domain/maestro/run-waits.js';

export interface AttemptView {
  readonly kind: 'action' | 'compensation';
  readonly attempt: number;
  readonly idempotencyKey: string;
  readonly startedAt: string;
  readonly deadline: string;
  readonly endedAt: string | null;
  readonly outcome: string;
  readonly cause: string | null;
  readonly error: string | null;
  readonly retryAt: string | null;
  readonly result: unknown;
}

export interface StepView {
  readonly id: string;
  readonly actionType: string;
  readonly needs: readonly string[];
  readonly sensitivity: string;
  readonly approvalPolicy: string;
  readonly runbook: string | null;
  readonly status: string;
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly approvals: readonly string[];
  readonly lastError: string | null;
  readonly result: unknown;
  readonly updatedAt: string;
  readonly history: readonly AttemptView[];
  /** What this step waits for a person about, and who may act; null when it waits for nobody. */
  readonly waitingFor: Wait | null;
}

export interface RunSummary {
  readonly runId: string;
  readonly status: string;
  readonly plan: { readonly name: string; readonly version: number; readonly digest: string };
  readonly requester: string;
  readonly region: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly endedAt: string | null;
  /** Every step the run waits for a person about (also approvals pending while another branch runs). */
  readonly waitingFor: readonly Wait[];
}

export interface RunView extends RunSummary {
  readonly inputs: unknown;
  readonly reason: string | null;
  /** While waiting_manual: the steps a person must act on, and the phase the run resumes. */
  readonly blockedOn: readonly string[];
  readonly resumeTo: string | null;
  readonly steps: readonly StepView[];
}

export interface TimelineItem {
  readonly revision: number;
  readonly at: string;
  readonly type: string;
  readonly stepId: string | null;
  readonly attempt: number | null;
  readonly actor: string;
  readonly summary: string;
  readonly event: { readonly id: string; readonly hash: string; readonly position: string };
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  readonly next: string | undefined;
}

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

interface RunRow {
  run_id: string;
  status: string;
  plan_name: string;
  plan_version: number;
  plan_digest: string;
  requester: string;
  region: string;
  started_at: Date;
  updated_at: Date;
  ended_at: Date | null;
  started_position: bigint;
  waiting_for: Wait[];
}

const summary = (r: RunRow): RunSummary => ({
  runId: r.run_id,
  status: r.status,
  plan: { name: r.plan_name, version: r.plan_version, digest: r.plan_digest },
  requester: r.requester,
  region: r.region,
  startedAt: r.started_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  endedAt: iso(r.ended_at),
  waitingFor: r.waiting_for,
});

export class RunQueries {
  constructor(private readonly store: ReadStore) {}

  async run(tenant: string, runId: string): Promise<RunView | undefined> {
    return this.store.withSession(async (s) => {
      const runs = await s.query<RunRow & { inputs: unknown; reason: string | null; blocked_on: string[]; resume_to: string | null }>(
        'SELECT * FROM maestro_runs WHERE tenant = $1 AND run_id = $2',
        [tenant, runId],
      );
      const run = runs[0];
      if (run === undefined) return undefined;
      const steps = await s.query<{
        step_id: string; action_type: string; needs: string[]; sensitivity: string; approval_policy: string; runbook: string | null;
        status: string; attempts: number; next_attempt_at: Date | null; approvals: string[]; last_error: string | null; result: unknown; updated_at: Date;
      }>('SELECT * FROM maestro_run_steps WHERE tenant = $1 AND run_id = $2 ORDER BY ordinal', [tenant, runId]);
      const attempts = await s.query<{
        step_id: string; kind: 'action' | 'compensation'; attempt: number; idempotency_key: string; started_at: Date; deadline: Date;
        ended_at: Date | null; outcome: string; cause: string | null; error: string | null; retry_at: Date | null; result: unknown;
      }>('SELECT * FROM maestro_run_attempts WHERE tenant = $1 AND run_id = $2 ORDER BY started_at, kind, attempt', [tenant, runId]);
      return {
        ...summary(run),
        inputs: run.inputs,
        reason: run.reason,
        blockedOn: run.blocked_on,
        resumeTo: run.resume_to,
        steps: steps.map((st) => ({
          id: st.step_id, actionType: st.action_type, needs: st.needs, sensitivity: st.sensitivity, approvalPolicy: st.approval_policy,
          runbook: st.runbook, status: st.status, attempts: st.attempts, nextAttemptAt: iso(st.next_attempt_at), approvals: st.approvals,
          lastError: st.last_error, result: st.result, updatedAt: st.updated_at.toISOString(),
          history: attempts.filter((a) => a.step_id === st.step_id).map((a) => ({
            kind: a.kind, attempt: a.attempt, idempotencyKey: a.idempotency_key, startedAt: a.started_at.toISOString(), deadline: a.deadline.toISOString(),
            endedAt: iso(a.ended_at), outcome: a.outcome, cause: a.cause, error: a.error, retryAt: iso(a.retry_at), result: a.result,
          })),
          waitingFor: run.waiting_for.find((w) => w.stepId === st.step_id) ?? null,
        })),
      };
    });
  }

  /** Runs newest first; `status` filters; `after` is a cursor from the previous page. */
  async list(tenant: string, options: { readonly status?: string; readonly limit: number; readonly after?: string }): Promise<Page<RunSummary>> {
    const rows = await this.store.withSession((s) =>
      s.query<RunRow>(
        `SELECT run_id, status, plan_name, plan_version, plan_digest, requester, region, started_at, updated_at, ended_at, started_position, waiting_for
         FROM maestro_runs WHERE tenant = $1 AND ($2::text IS NULL OR status = $2) AND ($3::bigint IS NULL OR started_position < $3::bigint)
         ORDER BY started_position DESC LIMIT $4::int`,
        [tenant, options.status ?? null, options.after ?? null, String(options.limit + 1)],
      ),
    );
    const items = rows.slice(0, options.limit);
    return { items: items.map(summary), next: rows.length > options.limit ? items.at(-1)!.started_position.toString() : undefined };
  }

  /** The run's events in order; undefined when the run is not (yet) in the read model. */
  async timeline(tenant: string, runId: string, options: { readonly limit: number; readonly after?: string }): Promise<Page<TimelineItem> | undefined> {
    return this.store.withSession(async (s) => {
      const exists = await s.query('SELECT 1 FROM maestro_runs WHERE tenant = $1 AND run_id = $2', [tenant, runId]);
      if (exists.length === 0) return undefined;
      const rows = await s.query<{
        revision: bigint; at: Date; event_type: string; step_id: string | null; attempt: number | null; actor_id: string; summary: string;
        event_id: string; event_hash: string; position: bigint;
      }>(
        `SELECT * FROM maestro_run_timeline WHERE tenant = $1 AND run_id = $2 AND ($3::bigint IS NULL OR revision > $3::bigint)
         ORDER BY revision LIMIT $4::int`,
        [tenant, runId, options.after ?? null, String(options.limit + 1)],
      );
      const items = rows.slice(0, options.limit);
      return {
        items: items.map((r) => ({
          revision: Number(r.revision), at: r.at.toISOString(), type: r.event_type, stepId: r.step_id, attempt: r.attempt, actor: r.actor_id,
          summary: r.summary, event: { id: r.event_id, hash: r.event_hash, position: r.position.toString() },
        })),
        next: rows.length > options.limit ? items.at(-1)!.revision.toString() : undefined,
      };
    });
  }
}
