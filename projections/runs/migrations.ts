// Tables of the run-state read model (seed §2.1/§2.2): runs, their steps, every attempt (actions and
// compensations) and a timeline with one row per run event. Each run row also keeps the run's folded
// state, so the next batch continues the fold instead of re-reading the stream.
import { sql } from 'kysely';
import type { Migration } from '../../adapters/read-store/read-store.js';

export const runMigrations: readonly Migration[] = [
  {
    id: 'runs_0001_tables',
    async up(db, { schema }) {
      const t = (name: string) => sql.id(schema, name);
      await sql`CREATE TABLE ${t('maestro_runs')} (
        tenant text NOT NULL,
        run_id text NOT NULL,
        region text NOT NULL,
        plan_name text NOT NULL,
        plan_version integer NOT NULL,
        plan_digest text NOT NULL,
        requester text NOT NULL,
        status text NOT NULL,
        resume_to text,
        blocked_on jsonb NOT NULL,
        inputs jsonb NOT NULL,
        reason text,
        started_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        ended_at timestamptz,
        started_position bigint NOT NULL,
        last_position bigint NOT NULL,
        last_revision bigint NOT NULL,
        state jsonb NOT NULL,
        PRIMARY KEY (tenant, run_id)
      )`.execute(db);
      await sql`CREATE TABLE ${t('maestro_run_steps')} (
        tenant text NOT NULL,
        run_id text NOT NULL,
        step_id text NOT NULL,
        ordinal integer NOT NULL,
        action_type text NOT NULL,
        needs jsonb NOT NULL,
        sensitivity text NOT NULL,
        approval_policy text NOT NULL,
        runbook text,
        status text NOT NULL,
        attempts integer NOT NULL,
        next_attempt_at timestamptz,
        approvals jsonb NOT NULL,
        last_error text,
        result jsonb,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (tenant, run_id, step_id)
      )`.execute(db);
      await sql`CREATE TABLE ${t('maestro_run_attempts')} (
        tenant text NOT NULL,
        run_id text NOT NULL,
        step_id text NOT NULL,
        kind text NOT NULL,
        attempt integer NOT NULL,
        idempotency_key text NOT NULL,
        started_at timestamptz NOT NULL,
        deadline timestamptz NOT NULL,
        ended_at timestamptz,
        outcome text NOT NULL,
        cause text,
        error text,
        retry_at timestamptz,
        result jsonb,
        PRIMARY KEY (tenant, run_id, step_id, kind, attempt)
      )`.execute(db);
      await sql`CREATE TABLE ${t('maestro_run_timeline')} (
        tenant text NOT NULL,
        run_id text NOT NULL,
        revision bigint NOT NULL,
        position bigint NOT NULL,
        at timestamptz NOT NULL,
        event_type text NOT NULL,
        step_id text,
        attempt integer,
        actor_id text NOT NULL,
        summary text NOT NULL,
        event_id uuid NOT NULL,
        event_hash text NOT NULL,
        PRIMARY KEY (tenant, run_id, revision)
      )`.execute(db);
      // GET /v1/runs?state=… pages newest first by the position of run.started.
      await sql`CREATE INDEX maestro_runs_by_start ON ${t('maestro_runs')} (tenant, started_position DESC)`.execute(db);
      await sql`CREATE INDEX maestro_runs_by_status ON ${t('maestro_runs')} (tenant, status, started_position DESC)`.execute(db);
    },
  },
  {
    // What a run waits for a person about and who may act (domain/maestro/run-waits.ts), for GET /v1/runs.
    id: 'runs_0002_waiting_for',
    async up(db, { schema }) {
      await sql`ALTER TABLE ${sql.id(schema, 'maestro_runs')} ADD COLUMN waiting_for jsonb NOT NULL DEFAULT '[]'::jsonb`.execute(db);
    },
  },
];
