// POST /v1/metering/events: a batch of usage records for the token's tenant, recorded by MeteringIngest
// (commands/metering-ingest.ts): per-record results, one sealed batch event for the new ones.
import { Hono } from 'hono';
import type { MeteringIngest } from '../../../commands/metering-ingest.js';
import { MAX_BATCH_BYTES, MeteringIngestBody } from '../../../schemas/metering.js';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';
import { limitBody } from '../middleware/body-limit.js';
import { jsonBody } from '../middleware/json-body.js';
import { validate } from '../middleware/validate.js';
import { problem, problemOf, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';

/**
 * 200 with a summary and one result per record, in request order, when anything could be decided (some
 * records may be rejected: see `rejected` and each result's errors); 422 when every record is invalid;
 * 400/413/415 for a body that is not a batch at all.
 */
export function meteringRoutes(ingest: MeteringIngest, metrics: Metrics): Hono<AppEnv> {
  return new Hono<AppEnv>().post(
    '/v1/metering/events',
    limitBody(MAX_BATCH_BYTES, 'a metering batch'),
    jsonBody({ what: 'the batch' }),
    validate('json', MeteringIngestBody),
    async (c) => {
      const body = c.req.valid('json');
      const principal = c.get('principal');
      const region = body.region ?? principal.region;
      if (region === undefined) {
        return sendProblem(c, problem('validation', 'region: missing, and the token names no region', { errors: ['region: missing'] }));
      }
      const outcome = await ingest.record(body.records, region, principal, requestInfo(c));
      if (!outcome.ok) {
        metrics.commands.inc({ type: 'metering.batch.record', outcome: outcome.failure.code });
        if (outcome.failure.status === 503) c.header('retry-after', '1');
        return sendProblem(c, problemOf(outcome.failure));
      }
      const s = outcome.summary;
      metrics.commands.inc({ type: 'metering.batch.record', outcome: s.accepted > 0 ? 'appended' : 'unchanged' });
      if (s.rejected === s.results.length) {
        const errors = s.results.flatMap((r) => r.errors ?? []);
        return sendProblem(c, problem('no-valid-records', errors.slice(0, 20).join('; '), { errors, results: s.results }));
      }
      return c.json(s, 200);
    },
  );
}
