// Builders for Maestro's tests: plans parsed from YAML (as production does), events written out literally.
import { readFileSync } from 'node:fs';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { ActionCatalogue } from '../schemas/actions.js';
import { parseActionsFile } from '../adapters/maestro/actions-file.js';
import { parsePlanYaml } from '../domain/maestro/plan-source.js';
import type { PlanSpec } from '../schemas/plan.js';
import { RUN_SCHEMA_VERSION, type RunEvent, type RunEventOf } from '../schemas/run.js';
import { PLAN_SCHEMA_VERSION, type PlanEvent } from '../schemas/plan.js';
import { planDigest } from '../domain/maestro/digest.js';
import type { RunContext } from '../domain/maestro/run.js';

export const T0 = '2026-01-01T00:00:00.000Z';
export const REQUESTER = 'user:alice';
export const APPROVER = 'user:bob';
export const APPROVER2 = 'user:carol';
export const RUN = 'run-1';
export const REGION = 'us-east';

export const planFixture = (name: string): string => readFileSync(new URL(`./fixtures/plans/${name}`, import.meta.url), 'utf8');

export function specOf(yaml: string): PlanSpec {
  const r = parsePlanYaml(yaml);
  if (isLeft(r)) throw new Error(`fixture plan does not parse: ${r.left.join('; ')}`);
  return r.right;
}

export const canary = (): PlanSpec => specOf(planFixture('canary.yaml'));

/** The actions a server offering the canary plan's health checks registers (COMPANYOS_ACTIONS_FILE). */
export function actionsFixture(): ActionCatalogue {
  const r = parseActionsFile(`actions:
  check-health:
    program: /usr/local/bin/check-health
    args: ["{service}", --budget, "{error_budget}", --window, "{window}"]
    params:
      service: { type: string, pattern: "[a-z][a-z0-9-]*" }
      error_budget: { type: string, maxLength: 8 }
      window: { type: enum, values: [5m, 10m] }
`);
  if (isLeft(r)) throw new Error(`fixture actions do not parse: ${r.left.join('; ')}`);
  return r.right;
}

/**
 * a → b → c (c needs b needs a), plus d needing a: a and b and d have compensations, c has none.
 * a retries twice; b pauses for a person on failure; d's failure is tolerated.
 */
export const chain = (): PlanSpec =>
  specOf(`
name: chain
steps:
  - id: a
    action_type: wait
    wait: { duration: 1s }
    timeout: 30s
    retries: { max: 2, base_delay: 1s }
    compensation: { action_type: wait, wait: { duration: 1s }, retries: { max: 1 } }
  - id: b
    needs: [a]
    action_type: script
    script: { action: deploy-b }
    on_failure: manual
    compensation: { action_type: script, script: { action: undo-b } }
  - id: c
    needs: [b]
    action_type: http
    http: { method: POST, url: "https://example.com/c" }
  - id: d
    needs: [a]
    action_type: wait
    wait: { duration: 1s }
    on_failure: continue
    compensation: { action_type: wait, wait: { duration: 1s } }
`);

export const ctx = (over: Partial<RunContext> = {}): RunContext => ({ now: T0, related: {}, actor: REQUESTER, ...over });

export const registered = (spec: PlanSpec, version = 1): PlanEvent => ({
  type: 'plan.registered',
  schemaVersion: PLAN_SCHEMA_VERSION,
  data: { name: spec.name, version, digest: planDigest(spec), region: REGION, spec },
});

export const ev = <T extends RunEvent['type']>(type: T, data: RunEventOf<T>['data']): RunEvent =>
  ({ type, schemaVersion: RUN_SCHEMA_VERSION, data }) as RunEvent;

export const started = (spec: PlanSpec, over: Partial<RunEventOf<'run.started'>['data']> = {}): RunEvent =>
  ev('run.started', {
    runId: RUN,
    region: REGION,
    plan: { name: spec.name, version: 1, digest: planDigest(spec) },
    spec,
    requester: REQUESTER,
    inputs: {},
    ...over,
  });

/** Started, evaluated and admitted: the run is running. */
export const admitted = (spec: PlanSpec): RunEvent[] => [started(spec), ev('run.evaluation.started', {}), ev('run.admitted', { gates: [] })];

export const key = (step: string, attempt: number): string => `${RUN}:${step}:${attempt}`;
export const plus = (ms: number, at = T0): string => new Date(Date.parse(at) + ms).toISOString();

export const stepStarted = (stepId: string, attempt = 1, deadlineMs = 300_000, at = T0): RunEvent =>
  ev('run.step.started', { stepId, attempt, idempotencyKey: key(stepId, attempt), deadline: plus(deadlineMs, at) });
export const stepSucceeded = (stepId: string, attempt = 1): RunEvent => ev('run.step.succeeded', { stepId, attempt });
/** Start and succeed, the usual pair. */
export const ran = (stepId: string, deadlineMs = 300_000): RunEvent[] => [stepStarted(stepId, 1, deadlineMs), stepSucceeded(stepId)];

export const compStarted = (stepId: string, attempt = 1, deadlineMs = 300_000): RunEvent =>
  ev('run.compensation.started', { stepId, attempt, idempotencyKey: `${RUN}:${stepId}:compensation:${attempt}`, deadline: plus(deadlineMs) });
export const compSucceeded = (stepId: string, attempt = 1): RunEvent => ev('run.compensation.succeeded', { stepId, attempt });

export const ref = { runId: RUN, region: REGION } as const;
