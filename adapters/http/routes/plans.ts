// POST /v1/plans: register a Maestro plan (seed §2.4 `mc plan submit`). The body is the mcplan.yaml text
// (application/yaml) or JSON {source, region?}; it becomes `plan.register` through the command pipeline.
import { Hono } from 'hono';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { CommandPipeline } from '../../../commands/pipeline.js';
import { parsePlanYaml, planDigest, planStream } from '../../../domain/index.js';
import type { EventLog } from '../../event-log/index.js';
import { Region } from '../../../schemas/primitives.js';
import { closedObject, formatValidationErrors } from '../../../schemas/validation.js';
import type { AppEnv } from '../env.js';
import { limitBody } from '../middleware/body-limit.js';
import { idempotencyKey } from '../middleware/idempotency-key.js';
import { readJsonBody } from '../middleware/json-body.js';
import { problem, problemOf, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';

/** The JSON form of a plan: its YAML source, and the region (else the token's). */
export const PlanJsonRequest = closedObject('PlanRequest', { source: t.string }, { region: Region });

/** A plan's source, YAML or JSON. */
export const MAX_PLAN_BYTES = 512 * 1024;

export interface PlanRouteDeps {
  readonly pipeline: CommandPipeline;
  readonly log: EventLog;
}

const YAML = /^(application|text)\/(x-)?yaml\b/i;

export function planRoutes(deps: PlanRouteDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().post('/v1/plans', limitBody(MAX_PLAN_BYTES, 'a plan'), idempotencyKey(), async (c) => {
    const principal = c.get('principal');
    let source: string;
    let region = principal.region;
    if (YAML.test(c.req.header('content-type') ?? '')) {
      source = await c.req.text();
      const q = c.req.query('region');
      if (q !== undefined) region = q;
    } else {
      // Either media type is welcome here, so the body is read in the handler rather than by jsonBody().
      const body = await readJsonBody(c);
      if (!body.ok) return sendProblem(c, body.problem);
      const request = PlanJsonRequest.decode(body.value);
      if (isLeft(request)) {
        const errors = formatValidationErrors(request.left);
        return sendProblem(c, problem('validation', errors.join('; '), { errors }));
      }
      source = request.right.source;
      region = request.right.region ?? region;
    }
    if (region === undefined) return sendProblem(c, problem('validation', 'region: missing, and the token names none'));
    const outcome = await deps.pipeline.execute('plan.register', { region, source }, principal, requestInfo(c));
    if (isLeft(outcome)) return sendProblem(c, problemOf(outcome.left));
    // The pipeline accepted the source, so it parses; the version is the one whose digest matches.
    const spec = parsePlanYaml(source);
    if (isLeft(spec)) throw new Error('plan.register accepted a plan that does not parse');
    const digest = planDigest(spec.right);
    const events = await deps.log.readStream(planStream(principal.tenant, spec.right.name));
    const version = events.map((e) => e.data as { version?: number; digest?: string }).find((d) => d.digest === digest)?.version;
    const created = outcome.right.kind === 'appended';
    c.header('location', `/v1/plans/${spec.right.name}`);
    return c.json({ name: spec.right.name, version, digest, created, steps: spec.right.steps.length, command: outcome.right.body }, created ? 201 : 200);
  });
}
