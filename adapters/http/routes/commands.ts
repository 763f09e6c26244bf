// POST /v1/commands/{type}: the write side, declared from middleware (body limit while streaming, a
// command type the pipeline runs, a well-formed Idempotency-Key, a JSON body); the handler hands the body
// to the approvals service, the one door of every command (commands/approvals.ts: a dual-control command is
// proposed, 202 with the approval, or executes someone else's proposal), which hands it to the pipeline;
// the answer is 201 appended, 200 replayed or unchanged, 202 proposed, or a problem.
import { Hono } from 'hono';
import type { Approvals } from '../../../commands/approvals.js';
import type { CommandPipeline } from '../../../commands/pipeline.js';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';
import { limitBody } from '../middleware/body-limit.js';
import { idempotencyKey } from '../middleware/idempotency-key.js';
import { jsonBody } from '../middleware/json-body.js';
import { knownCommand } from '../middleware/known-command.js';
import { problemOf, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';
import { decisionHeaders } from '../decision-headers.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export function commandRoutes(pipeline: CommandPipeline, metrics: Metrics, approvals: Approvals): Hono<AppEnv> {
  return new Hono<AppEnv>().post(
    '/v1/commands/:type',
    limitBody(MAX_BODY_BYTES, 'a command body'),
    knownCommand(pipeline),
    idempotencyKey(),
    jsonBody({ what: 'the command' }),
    async (c) => {
      const type = c.req.param('type');
      const outcome = await approvals.submit(type, c.req.valid('json'), c.get('principal'), requestInfo(c));
      if (outcome._tag === 'Left') {
        metrics.commands.inc({ type, outcome: outcome.left.code });
        return sendProblem(c, problemOf(outcome.left));
      }
      const r = outcome.right;
      metrics.commands.inc({ type, outcome: r.kind });
      if (r.kind === 'proposed') {
        c.header('location', `/v1/approvals/${r.body.approval.id}`);
        return c.json(r.body, 202);
      }
      decisionHeaders(c, r.body.decision);
      return c.json(r.body, r.kind === 'appended' ? 201 : 200);
    },
  );
}
