// POST /v1/commands/{type}: the write side. Parses the body, hands it to the command pipeline and
// renders its outcome: 201 appended, 200 replayed or unchanged, or a problem.
import { Hono } from 'hono';
import type { CommandPipeline } from '../../../commands/pipeline.js';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';
import { limitBody } from '../middleware/body-limit.js';
import { problem, problemOf, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';
import { isJsonContentType, parseJsonText } from '../json-body.js';

export const MAX_BODY_BYTES = 1024 * 1024;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function commandRoutes(pipeline: CommandPipeline, metrics: Metrics): Hono<AppEnv> {
  return new Hono<AppEnv>().post(
    '/v1/commands/:type',
    limitBody(MAX_BODY_BYTES, 'a command body'),
    async (c) => {
      const type = c.req.param('type');
      // Refused before the body is read; the pipeline's own refusal, so the answer is the same either way.
      const unknown = pipeline.unknownCommand(type);
      if (unknown !== undefined) return sendProblem(c, problemOf(unknown));
      const contentType = c.req.header('content-type') ?? '';
      if (!isJsonContentType(contentType)) {
        return sendProblem(c, problem('unsupported-media-type', 'send the command as application/json'));
      }
      const key = c.req.header('idempotency-key');
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
        return sendProblem(c, problem('bad-idempotency-key', 'the Idempotency-Key header must be 1-255 visible ASCII characters'));
      }
      const parsed = parseJsonText(await c.req.text());
      if (!parsed.ok) return sendProblem(c, parsed.problem);
      const payload = parsed.value;
      const outcome = await pipeline.execute(type, payload, c.get('principal'), requestInfo(c));
      if (outcome._tag === 'Left') {
        metrics.commands.inc({ type, outcome: outcome.left.code });
        return sendProblem(c, problemOf(outcome.left));
      }
      const r = outcome.right;
      metrics.commands.inc({ type, outcome: r.kind });
      return c.json(r.body, r.kind === 'appended' ? 201 : 200);
    },
  );
}
