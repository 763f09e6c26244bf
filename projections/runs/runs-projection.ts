// RunsProjection: the run-state read model from run.* events. Per batch: load the folded state of the
// touched runs, evolve it with the run aggregate's own evolve (one definition of every transition), then
// upsert runs and steps, insert attempts and timeline rows, all set-based. A run that cannot move until a
// person acts reads `waiting_manual`, with what it waits for and who may act (domain/maestro/run-waits.ts).
import { isDeepStrictEqual } from 'node:util';
import { isLeft } from 'fp-ts/lib/Either.js';
import { evolveRun, initialRunState, type RunState, type StepState } from '../../domain/index.js';
import { visibleStatus, waitsOf, type Wait } from '../../domain/maestro/run-waits.js';
import type { JsonObject } from '../../schemas/json.js';
import type { SqlSession, SqlStatement } from '../../adapters/read-store/read-store.js';
import { RunEvent } from '../../schemas/run.js';
import { parseStream } from '../../schemas/streams.js';
import { formatValidationErrors } from '../../schemas/validation.js';
import { UnreadableEventError, type ProjectedEvent, type Projection } from '../projection.js';
import { runMigrations } from './migrations.js';
import { summarize } from './timeline.js';

interface RunRow {
  readonly tenant: string;
  readonly run_id: string;
  readonly region: string;
  readonly plan_name: string;
  readonly plan_version: number;
  readonly plan_digest: string;
  readonly requester: string;
  readonly status: string;
  readonly resume_to: string | null;
  readonly blocked_on: readonly string[];
  readonly waiting_for: readonly Wait[];
  readonly inputs: JsonObject;
  readonly reason: string | null;
  readonly started_at: string;
  readonly updated_at: string;
  readonly ended_at: string | null;
  readonly started_position: string;
  readonly last_position: string;
  readonly last_revision: number;
  readonly state: RunState;
}

interface StepRow {
  readonly tenant: string;
  readonly run_id: string;
  readonly step_id: string;
  readonly ordinal: number;
  readonly action_type: string;
  readonly needs: readonly string[];
  readonly sensitivity: string;
  readonly approval_policy: string;
  readonly runbook: string | null;
  readonly status: string;
  readonly attempts: number;
  readonly next_attempt_at: string | null;
  /** null: keep the stored list (approvals leave the folded state once the step starts). */
  readonly approvals: readonly string[] | null;
  /** null: keep the stored value. */
  readonly last_error: string | null;
  readonly result: JsonObject | null;
  readonly updated_at: string;
}

interface AttemptStart {
  readonly tenant: string;
  readonly run_id: string;
  readonly step_id: string;
  readonly kind: 'action' | 'compensation';
  readonly attempt: number;
  readonly idempotency_key: string;
  readonly started_at: string;
  readonly deadline: string;
}

interface AttemptEnd {
  readonly tenant: string;
  readonly run_id: string;
  readonly step_id: string;
  readonly kind: 'action' | 'compensation';
  readonly attempt: number;
  readonly ended_at: string;
  readonly outcome: 'succeeded' | 'failed';
  readonly cause: string | null;
  readonly error: string | null;
  readonly retry_at: string | null;
  readonly result: JsonObject | null;
}

interface TimelineRow {
  readonly tenant: string;
  readonly run_id: string;
  readonly revision: number;
  readonly position: string;
  readonly at: string;
  readonly event_type: string;
  readonly step_id: string | null;
  readonly attempt: number | null;
  readonly actor_id: string;
  readonly summary: string;
  readonly event_id: string;
  readonly event_hash: string;
}

/** Attempts so far, as a person counts them: a ready step's next attempt has not happened yet. */
function attemptsOf(s: StepState): number {
  switch (s.status) {
    case 'ready':
      return s.attempt - 1;
    case 'running':
      return s.attempt;
    case 'succeeded':
    case 'failed':
    case 'compensating':
    case 'compensated':
    case 'compensation_failed':
      return s.attempts;
    default:
      return 0;
  }
}

const key = (tenant: string, runId: string) => `${tenant}\u0000${runId}`;

/** Steps whose state this event changed (also those it promoted without naming them: run.admitted, a need that succeeded). */
function changedSteps(before: RunState | undefined, after: RunState): readonly string[] {
  if (after.status === 'absent') return [];
  const prior = before === undefined || before.status === 'absent' ? undefined : before.steps;
  // The stored fold went through jsonb: compare values, not key order or identity.
  return Object.keys(after.steps).filter((id) => prior === undefined || !isDeepStrictEqual(JSON.parse(JSON.stringify(prior[id] ?? null)), JSON.parse(JSON.stringify(after.steps[id]))));
}

export interface RunBatch {
  readonly runs: RunRow[];
  readonly steps: StepRow[];
  readonly starts: AttemptStart[];
  readonly ends: AttemptEnd[];
  readonly timeline: TimelineRow[];
}

/** The batch's rows, given the stored state of the runs it touches (pure: the same events give the same rows). */
export function runBatch(events: readonly ProjectedEvent[], stored: ReadonlyMap<string, RunRow>): RunBatch {
  const runs = new Map<string, RunRow>();
  const touchedSteps = new Map<string, Map<string, { error?: string; result?: JsonObject; approvals?: readonly string[]; at: string }>>();
  const starts: AttemptStart[] = [];
  const ends: AttemptEnd[] = [];
  const timeline: TimelineRow[] = [];
  for (const { event, position } of events) {
    if (!event.type.startsWith('run.')) continue;
    const stream = parseStream(event.stream);
    if (stream?.category !== 'maestro.run' || stream.id === undefined) continue;
    const decoded = RunEvent.decode(event);
    if (isLeft(decoded)) throw new UnreadableEventError(position, event.id, formatValidationErrors(decoded.left).join('; '));
    const e = decoded.right;
    const k = key(event.tenant, stream.id);
    const before = runs.get(k) ?? stored.get(k);
    const state = evolveRun(before?.state ?? initialRunState, e);
    if (state.status === 'absent') continue;
    const at = event.sealedAt;
    const stepId = 'stepId' in e.data ? (e.data.stepId ?? null) : null;
    const attempt = 'attempt' in e.data ? e.data.attempt : null;
    const ref = { tenant: event.tenant, run_id: state.runId };
    timeline.push({
      ...ref, revision: event.revision, position: position.toString(), at, event_type: e.type, step_id: stepId, attempt,
      actor_id: event.meta.actor.id, summary: summarize(e), event_id: event.id, event_hash: event.hash,
    });
    const steps = touchedSteps.get(k) ?? new Map();
    touchedSteps.set(k, steps);
    if (stepId !== null) steps.set(stepId, { ...steps.get(stepId), at });
    for (const id of changedSteps(before?.state, state)) steps.set(id, { ...steps.get(id), at });
    switch (e.type) {
      case 'run.started':
        for (const s of e.data.spec.steps) steps.set(s.id, { at });
        break;
      case 'run.step.started':
      case 'run.compensation.started':
        starts.push({ ...ref, step_id: e.data.stepId, kind: e.type === 'run.step.started' ? 'action' : 'compensation', attempt: e.data.attempt, idempotency_key: e.data.idempotencyKey, started_at: at, deadline: e.data.deadline });
        break;
      case 'run.step.succeeded':
      case 'run.compensation.succeeded':
        ends.push({ ...ref, step_id: e.data.stepId, kind: e.type === 'run.step.succeeded' ? 'action' : 'compensation', attempt: e.data.attempt, ended_at: at, outcome: 'succeeded', cause: null, error: null, retry_at: null, result: e.data.result ?? null });
        if (e.type === 'run.step.succeeded') steps.set(e.data.stepId, { ...steps.get(e.data.stepId), at, ...(e.data.result === undefined ? {} : { result: e.data.result }) });
        break;
      case 'run.step.attempt_failed':
      case 'run.compensation.attempt_failed':
        ends.push({ ...ref, step_id: e.data.stepId, kind: e.type === 'run.step.attempt_failed' ? 'action' : 'compensation', attempt: e.data.attempt, ended_at: at, outcome: 'failed', cause: e.data.cause, error: e.data.error, retry_at: e.data.retryAt ?? null, result: null });
        steps.set(e.data.stepId, { ...steps.get(e.data.stepId), at, error: e.data.error });
        break;
      default:
        break;
    }
    // Approvals leave the folded state once the step is ready: keep the list as of each approval.
    if (e.type === 'run.step.approved' && before?.state.status !== undefined && before.state.status !== 'absent') {
      const prior = before.state.steps[e.data.stepId];
      const approvals = prior?.status === 'pending' || prior?.status === 'waiting_approval' ? prior.approvals : [];
      const list = approvals.includes(e.data.approver) ? approvals : [...approvals, e.data.approver];
      steps.set(e.data.stepId, { ...steps.get(e.data.stepId)!, approvals: list });
    }
    const ended = ['success', 'failed', 'canceled', 'rolled_back'].includes(state.status);
    const status = visibleStatus(state);
    const waits = waitsOf(state);
    runs.set(k, {
      ...ref,
      region: state.region,
      plan_name: state.plan.name,
      plan_version: state.plan.version,
      plan_digest: state.plan.digest,
      requester: state.requester,
      status,
      resume_to: state.status === 'waiting_manual' ? state.resumeTo : status === 'waiting_manual' ? 'running' : null,
      blocked_on: state.status === 'waiting_manual' ? state.blockedOn : status === 'waiting_manual' ? waits.map((w) => w.stepId) : [],
      waiting_for: waits,
      inputs: state.inputs,
      reason: e.type === 'run.started' ? (e.data.reason ?? null) : (before?.reason ?? null),
      started_at: before?.started_at ?? at,
      updated_at: at,
      ended_at: before?.ended_at ?? (ended ? at : null),
      started_position: before?.started_position ?? position.toString(),
      last_position: position.toString(),
      last_revision: event.revision,
      state,
    });
  }
  const steps: StepRow[] = [];
  for (const [k, touched] of touchedSteps) {
    const run = runs.get(k)!;
    const state = run.state;
    if (state.status === 'absent') continue;
    state.spec.steps.forEach((spec, ordinal) => {
      const t = touched.get(spec.id);
      if (t === undefined) return;
      const s = state.steps[spec.id]!;
      steps.push({
        tenant: run.tenant, run_id: run.run_id, step_id: spec.id, ordinal, action_type: spec.action_type, needs: spec.needs,
        sensitivity: spec.sensitivity, approval_policy: spec.approval_policy, runbook: spec.runbook ?? null, status: s.status,
        attempts: attemptsOf(s), next_attempt_at: s.status === 'ready' ? (s.notBefore ?? null) : null,
        approvals: s.status === 'pending' || s.status === 'waiting_approval' ? s.approvals : (t.approvals ?? null),
        last_error: t.error ?? null, result: t.result ?? null, updated_at: t.at,
      });
    });
  }
  return { runs: [...runs.values()], steps, starts, ends, timeline };
}

async function loadStored(session: SqlSession, s: string, events: readonly ProjectedEvent[]): Promise<Map<string, RunRow>> {
  const keys = new Map<string, { tenant: string; run_id: string }>();
  for (const { event } of events) {
    const stream = parseStream(event.stream);
    if (event.type.startsWith('run.') && stream?.category === 'maestro.run' && stream.id !== undefined) keys.set(key(event.tenant, stream.id), { tenant: event.tenant, run_id: stream.id });
  }
  if (keys.size === 0) return new Map();
  type Stored = Omit<RunRow, 'started_at' | 'ended_at' | 'started_position'> & { started_at: Date; ended_at: Date | null; started_position: bigint };
  const rows = await session.query<Stored>(
    `SELECT r.* FROM ${s}.maestro_runs r JOIN jsonb_to_recordset($1::jsonb) AS k(tenant text, run_id text) USING (tenant, run_id)`,
    [JSON.stringify([...keys.values()])],
  );
  return new Map(
    rows.map((r) => [
      key(r.tenant, r.run_id),
      { ...r, started_at: r.started_at.toISOString(), ended_at: r.ended_at?.toISOString() ?? null, started_position: r.started_position.toString() },
    ]),
  );
}

const RUN_COLUMNS = `tenant, run_id, region, plan_name, plan_version, plan_digest, requester, status, resume_to, blocked_on, waiting_for, inputs, reason,
  started_at, updated_at, ended_at, started_position, last_position, last_revision, state`;
const RUN_RECORD = `tenant text, run_id text, region text, plan_name text, plan_version integer, plan_digest text, requester text, status text,
  resume_to text, blocked_on jsonb, waiting_for jsonb, inputs jsonb, reason text, started_at timestamptz, updated_at timestamptz, ended_at timestamptz,
  started_position bigint, last_position bigint, last_revision bigint, state jsonb`;
const STEP_COLUMNS = `tenant, run_id, step_id, ordinal, action_type, needs, sensitivity, approval_policy, runbook, status, attempts,
  next_attempt_at, approvals, last_error, result, updated_at`;
const STEP_RECORD = `tenant text, run_id text, step_id text, ordinal integer, action_type text, needs jsonb, sensitivity text,
  approval_policy text, runbook text, status text, attempts integer, next_attempt_at timestamptz, approvals jsonb, last_error text,
  result jsonb, updated_at timestamptz`;
const updateAll = (columns: string, except: readonly string[]) =>
  columns.split(',').map((c) => c.trim()).filter((c) => !except.includes(c)).map((c) => `${c} = excluded.${c}`).join(', ');

/** The batch's writes, for the runtime to send with its COMMIT (Projection.apply). */
function writes(s: string, b: RunBatch): SqlStatement[] {
  const statements: SqlStatement[] = [];
  if (b.runs.length > 0) {
    statements.push({
      text: `INSERT INTO ${s}.maestro_runs (${RUN_COLUMNS}) SELECT ${RUN_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS r(${RUN_RECORD})
       ON CONFLICT (tenant, run_id) DO UPDATE SET ${updateAll(RUN_COLUMNS, ['tenant', 'run_id'])}`,
      params: [JSON.stringify(b.runs)],
    });
  }
  if (b.steps.length > 0) {
    // null in the batch means "unchanged": the stored value is kept.
    statements.push({
      text: `INSERT INTO ${s}.maestro_run_steps (${STEP_COLUMNS})
       SELECT r.tenant, r.run_id, r.step_id, r.ordinal, r.action_type, r.needs, r.sensitivity, r.approval_policy, r.runbook, r.status,
              r.attempts, r.next_attempt_at, COALESCE(r.approvals, o.approvals, '[]'::jsonb), COALESCE(r.last_error, o.last_error),
              COALESCE(r.result, o.result), r.updated_at
       FROM jsonb_to_recordset($1::jsonb) AS r(${STEP_RECORD})
       LEFT JOIN ${s}.maestro_run_steps o USING (tenant, run_id, step_id)
       ON CONFLICT (tenant, run_id, step_id) DO UPDATE SET ${updateAll(STEP_COLUMNS, ['tenant', 'run_id', 'step_id'])}`,
      params: [JSON.stringify(b.steps)],
    });
  }
  if (b.starts.length > 0) {
    statements.push({
      text: `INSERT INTO ${s}.maestro_run_attempts (tenant, run_id, step_id, kind, attempt, idempotency_key, started_at, deadline, outcome)
       SELECT tenant, run_id, step_id, kind, attempt, idempotency_key, started_at, deadline, 'running'
       FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, run_id text, step_id text, kind text, attempt integer, idempotency_key text,
            started_at timestamptz, deadline timestamptz)
       ON CONFLICT DO NOTHING`,
      params: [JSON.stringify(b.starts)],
    });
  }
  if (b.ends.length > 0) {
    statements.push({
      text: `UPDATE ${s}.maestro_run_attempts a SET ended_at = r.ended_at, outcome = r.outcome, cause = r.cause, error = r.error,
         retry_at = r.retry_at, result = r.result
       FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, run_id text, step_id text, kind text, attempt integer, ended_at timestamptz,
            outcome text, cause text, error text, retry_at timestamptz, result jsonb)
       WHERE a.tenant = r.tenant AND a.run_id = r.run_id AND a.step_id = r.step_id AND a.kind = r.kind AND a.attempt = r.attempt`,
      params: [JSON.stringify(b.ends)],
    });
  }
  if (b.timeline.length > 0) {
    statements.push({
      text: `INSERT INTO ${s}.maestro_run_timeline (tenant, run_id, revision, position, at, event_type, step_id, attempt, actor_id, summary, event_id, event_hash)
       SELECT tenant, run_id, revision, position, at, event_type, step_id, attempt, actor_id, summary, event_id, event_hash
       FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, run_id text, revision bigint, position bigint, at timestamptz, event_type text,
            step_id text, attempt integer, actor_id text, summary text, event_id uuid, event_hash text)
       ON CONFLICT DO NOTHING`,
      params: [JSON.stringify(b.timeline)],
    });
  }
  return statements;
}

export const runsProjection: Projection = Object.freeze({
  name: 'runs',
  // 2: waiting_manual also for runs waiting on approvals, waiting_for, steps promoted without being named.
  version: 2,
  eventTypes: ['run.'],
  migrations: runMigrations,
  tables: [
    { name: 'maestro_runs', orderBy: ['tenant', 'run_id'] },
    { name: 'maestro_run_steps', orderBy: ['tenant', 'run_id', 'step_id'] },
    { name: 'maestro_run_attempts', orderBy: ['tenant', 'run_id', 'step_id', 'kind', 'attempt'] },
    { name: 'maestro_run_timeline', orderBy: ['tenant', 'run_id', 'revision'] },
  ],
  async apply(session: SqlSession, schema: string, events: readonly ProjectedEvent[]) {
    const s = `"${schema}"`;
    const stored = await loadStored(session, s, events);
    return writes(s, runBatch(events, stored));
  },
});
