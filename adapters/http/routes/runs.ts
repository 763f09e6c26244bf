// Maestro runs over HTTP: start, read, list, timeline, approve a step, cancel. Tenant from the token only;
// each route declares its parameters, body and read authorization (run.read ∈ read) as middleware; reads
// query the run-state read model; writes go through the command pipeline (Cedar, decider, sealing).
import type { Context } from 'hono';
import { Hono } from 'hono';
import { randomUUID } from 'node:crypto';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { AccessDeps } from '../../../commands/access.js';
import type { CommandPipeline } from '../../../commands/pipeline.js';
import { runStream } from '../../../domain/index.js';
import { JsonObjectC, type JsonObject } from '../../../schemas/json.js';
import { PlanName } from '../../../schemas/plan.js';
import { Region, int64Text, patternString } from '../../../schemas/primitives.js';
import { text } from '../../../schemas/provenance.js';
import { RunId } from '../../../schemas/run.js';
import { closedObject } from '../../../schemas/validation.js';
import { describedAs } from '../../../schemas/json-schema.js';
import type { RunQueries } from '../../../projections/runs/queries.js';
import type { AppEnv } from '../env.js';
import { limitBody } from '../middleware/body-limit.js';
import { readAuthorization } from '../middleware/authorize.js';
import { idempotencyKey } from '../middleware/idempotency-key.js';
import { jsonBody } from '../middleware/json-body.js';
import { validate } from '../middleware/validate.js';
import { problem, problemOf, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';

// ---------------------------------------------------------------------------------------------------
// Request shapes (the OpenAPI document describes them too)

const Decimal = (name: string, min: number, max: number) =>
  describedAs(new t.Type<number, string, unknown>(
    name,
    (u): u is number => typeof u === 'number',
    (u, c) => (typeof u === 'string' && /^\d{1,9}$/.test(u) && +u >= min && +u <= max ? t.success(+u) : t.failure(u, c)),
    String,
  ), { type: 'integer', minimum: min, maximum: max });
const Positive = new t.Type<number, number, unknown>(
  'positive integer',
  (u): u is number => Number.isSafeInteger(u) && (u as number) >= 1,
  (u, c) => (Number.isSafeInteger(u) && (u as number) >= 1 ? t.success(u as number) : t.failure(u, c)),
  t.identity,
);
describedAs(Positive, { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const RunStatusName = t.keyof(
  { pending: null, evaluating_policies: null, running: null, waiting_manual: null, rolling_back: null, success: null, failed: null, canceled: null, rolled_back: null },
  'RunStatus',
);

/** POST /v1/runs: the run id is the caller's (retry-safe) or made up by the server; region defaults to the token's. */
export const RunStartRequest = closedObject('RunStartRequest', { plan: PlanName }, { runId: RunId, version: Positive, inputs: JsonObjectC, reason: text(1024), region: Region });
export const ApproveRequest = closedObject('ApproveRequest', {}, { comment: text(1024) });
export const CancelRequest = closedObject('CancelRequest', {}, { reason: text(1024) });

export const RunPath = closedObject('RunPath', { id: RunId });
export const StepPath = closedObject('StepPath', { id: RunId, step: patternString('StepId', /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/) });
export const RunListQuery = closedObject('RunListQuery', {}, { state: RunStatusName, limit: Decimal('limit (1-100)', 1, 100), cursor: int64Text('cursor') });
export const TimelineQuery = closedObject('TimelineQuery', {}, { limit: Decimal('limit (1-1000)', 1, 1000), cursor: int64Text('cursor') });

/** A plan or a run to start. */
export const MAX_BODY_BYTES = 512 * 1024;
/** An approval or a cancellation: an optional comment or reason of at most 1024 characters. */
export const MAX_RUN_ACTION_BYTES = 16 * 1024;

// ---------------------------------------------------------------------------------------------------
// Routes

export interface RunRouteDeps {
  readonly access: AccessDeps;
  readonly pipeline: CommandPipeline;
  readonly runs: RunQueries;
}

type Ctx = Context<AppEnv>;

const notFound = (runId: string) => problem('not-found', `no run ${runId} in this tenant (a run just started appears once projected)`);

/** The run's region, from the first event of its stream (authoritative, unlike the read model, which may lag). */
async function regionOf(deps: RunRouteDeps, tenant: string, runId: string): Promise<string | undefined> {
  const first = (await deps.access.log.readStream(runStream(tenant, runId), { maxCount: 1 }))[0];
  const region = (first?.data as { region?: unknown } | undefined)?.region;
  return typeof region === 'string' ? region : undefined;
}

/** Sends a command about an existing run; answers its result or problem. */
async function runCommand(deps: RunRouteDeps, c: Ctx, runId: string, type: string, body: JsonObject): Promise<Response> {
  const principal = c.get('principal');
  const region = await regionOf(deps, principal.tenant, runId);
  if (region === undefined) return sendProblem(c, notFound(runId));
  const outcome = await deps.pipeline.execute(type, { runId, region, ...body }, principal, requestInfo(c));
  if (isLeft(outcome)) return sendProblem(c, problemOf(outcome.left));
  return c.json({ runId, command: outcome.right.body }, outcome.right.kind === 'appended' ? 201 : 200);
}

const nextLink = (c: Ctx, cursor: string): string => {
  const params = new URLSearchParams(c.req.query());
  params.set('cursor', cursor);
  return `${c.req.path}?${params.toString()}`;
};

export function runRoutes(deps: RunRouteDeps): Hono<AppEnv> {
  const authorize = readAuthorization(deps.access);
  const readRun = authorize('run.read', (c) => ({ type: 'Run', id: c.req.valid('param').id }));
  return new Hono<AppEnv>()
    .post('/v1/runs', limitBody(MAX_BODY_BYTES, 'a run request'), idempotencyKey(), jsonBody(), validate('json', RunStartRequest), async (c) => {
      const principal = c.get('principal');
      const r = c.req.valid('json');
      const region = r.region ?? principal.region;
      if (region === undefined) return sendProblem(c, problem('validation', 'region: missing, and the token names none'));
      const runId = r.runId ?? randomUUID();
      const command = { runId, region, plan: r.plan, ...(r.version === undefined ? {} : { version: r.version }), ...(r.inputs === undefined ? {} : { inputs: r.inputs }), ...(r.reason === undefined ? {} : { reason: r.reason }) };
      const outcome = await deps.pipeline.execute('run.start', command, principal, requestInfo(c));
      if (isLeft(outcome)) return sendProblem(c, problemOf(outcome.left));
      c.header('location', `/v1/runs/${runId}`);
      return c.json(
        { runId, plan: r.plan, links: { self: `/v1/runs/${runId}`, timeline: `/v1/runs/${runId}/timeline` }, command: outcome.right.body },
        outcome.right.kind === 'appended' ? 201 : 200,
      );
    })
    .get('/v1/runs', validate('query', RunListQuery), authorize('run.read', () => ({ type: 'Run', id: '*' })), async (c) => {
      const q = c.req.valid('query');
      const page = await deps.runs.list(c.get('principal').tenant, { limit: q.limit ?? 50, ...(q.state ? { status: q.state } : {}), ...(q.cursor ? { after: q.cursor } : {}) });
      return c.json({ items: page.items, ...(page.next ? { nextCursor: page.next, next: nextLink(c, page.next) } : {}) });
    })
    .get('/v1/runs/:id', validate('param', RunPath), readRun, async (c) => {
      const { id } = c.req.valid('param');
      const run = await deps.runs.run(c.get('principal').tenant, id);
      return run === undefined ? sendProblem(c, notFound(id)) : c.json(run);
    })
    .get('/v1/runs/:id/timeline', validate('param', RunPath), validate('query', TimelineQuery), readRun, async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      const page = await deps.runs.timeline(c.get('principal').tenant, id, { limit: q.limit ?? 200, ...(q.cursor ? { after: q.cursor } : {}) });
      if (page === undefined) return sendProblem(c, notFound(id));
      return c.json({ runId: id, items: page.items, ...(page.next ? { nextCursor: page.next, next: nextLink(c, page.next) } : {}) });
    })
    .post(
      '/v1/runs/:id/steps/:step/approve',
      limitBody(MAX_RUN_ACTION_BYTES, 'an approval'),
      idempotencyKey(),
      validate('param', StepPath),
      jsonBody({ emptyAs: {} }),
      validate('json', ApproveRequest),
      (c) => runCommand(deps, c, c.req.valid('param').id, 'run.step.approve', { stepId: c.req.valid('param').step, ...c.req.valid('json') }),
    )
    .post(
      '/v1/runs/:id/cancel',
      limitBody(MAX_RUN_ACTION_BYTES, 'a cancellation'),
      idempotencyKey(),
      validate('param', RunPath),
      jsonBody({ emptyAs: {} }),
      validate('json', CancelRequest),
      (c) => runCommand(deps, c, c.req.valid('param').id, 'run.cancel', { ...c.req.valid('json') }),
    );
}
