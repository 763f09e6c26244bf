// POST /v1/ingest/openlineage: OpenLineage events (one, or an array) into the provenance graph, as the
// bearer token's principal, in the token's region. Declared from middleware (body limit, JSON body); the
// mapper (adapters/ingest/openlineage.ts) decodes the events, naming every bad field.
import { Hono } from 'hono';
import type { CommandPipeline } from '../../../commands/pipeline.js';
import { executeGraphCommands } from '../../../commands/execute-graph-commands.js';
import { mapOpenLineageEvents } from '../../ingest/openlineage.js';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';
import { jsonBody } from '../middleware/json-body.js';
import { problem, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';
import { ingestBodyLimit, sendIngestOutcome, sendInvalidPayload } from './ingest-response.js';

export function openLineageIngestRoutes(pipeline: CommandPipeline, metrics: Metrics): Hono<AppEnv> {
  return new Hono<AppEnv>().post('/v1/ingest/openlineage', ingestBodyLimit(), jsonBody({ what: 'the RunEvent(s)' }), async (c) => {
    const principal = c.get('principal');
    // Every node and edge is written in one region; a lineage event names none, so the token must.
    if (principal.region === undefined) {
      return sendProblem(c, problem('region-required', 'the token carries no region claim, and OpenLineage events name none; use a token with a region'));
    }
    const mapped = mapOpenLineageEvents(c.req.valid('json'), { region: principal.region });
    if (mapped._tag === 'Left') return sendInvalidPayload(c, mapped.left);
    const base = requestInfo(c);
    const result = await executeGraphCommands(pipeline, mapped.right, principal, { ...base, context: { ...base.context, channel: 'openlineage' } });
    return sendIngestOutcome(c, metrics, { source: 'openlineage' }, mapped.right.length, result);
  });
}
