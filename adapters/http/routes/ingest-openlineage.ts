// POST /v1/ingest/openlineage: OpenLineage RunEvents (one, or an array) into the provenance graph,
// as the bearer token's principal, in the token's region.
import { Hono } from 'hono';
import type { CommandPipeline } from '../../../commands/pipeline.js';
import { executeGraphCommands } from '../../../commands/execute-graph-commands.js';
import { mapOpenLineageEvents } from '../../ingest/openlineage.js';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';
import { problem, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';
import { isJsonContentType } from '../json-body.js';
import { ingestBodyLimit, parseJson, sendIngestOutcome, sendInvalidPayload } from './ingest-response.js';

export function openLineageIngestRoutes(pipeline: CommandPipeline, metrics: Metrics): Hono<AppEnv> {
  return new Hono<AppEnv>().post('/v1/ingest/openlineage', ingestBodyLimit(), async (c) => {
    if (!isJsonContentType(c.req.header('content-type'))) {
      return sendProblem(c, problem('unsupported-media-type', 'send the RunEvent(s) as application/json'));
    }
    const principal = c.get('principal');
    // Every node and edge is written in one region; a lineage event names none, so the token must.
    if (principal.region === undefined) {
      return sendProblem(c, problem('region-required', 'the token carries no region claim, and OpenLineage events name none; use a token with a region'));
    }
    const parsed = parseJson(c, await c.req.text());
    if (!parsed.ok) return parsed.response;
    const mapped = mapOpenLineageEvents(parsed.value, { region: principal.region });
    if (mapped._tag === 'Left') return sendInvalidPayload(c, mapped.left);
    const base = requestInfo(c);
    const result = await executeGraphCommands(pipeline, mapped.right, principal, { ...base, context: { ...base.context, channel: 'openlineage' } });
    return sendIngestOutcome(c, metrics, { source: 'openlineage' }, mapped.right.length, result);
  });
}
