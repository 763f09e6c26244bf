// The graph read API (seed §1.2/§1.5): nodes, lineage, service surface, incident impact, change audit and
// edge provenance. Tenant from the token only; each route declares its parameters (validate) and its
// authorization (graph.read ∈ read) as middleware, so a handler only queries.
import type { Context } from 'hono';
import { Hono } from 'hono';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { AccessDeps } from '../../../commands/access.js';
import { ChainVerifier, fromRecordedEvent } from '../../../ledger/index.js';
import type { GraphQueries } from '../../../projections/graph/queries.js';
import { FAN_OUT_CAP, LEVEL_CAP } from '../../../projections/graph/queries.js';
import {
  ChangeCursor, ChangesQuery, DEFAULT_LIMIT, EdgePath, ImpactQuery, LineageCursor, NodePath, NodeQuery, ProvenanceQuery,
  RelatedQuery, SurfaceQuery,
} from '../../../schemas/graph-queries.js';
import type { EventLog } from '../../event-log/index.js';
import { streamName } from '../../../schemas/streams.js';
import type { Keyring } from '../../../ledger/index.js';
import type { AppEnv } from '../env.js';
import { readAuthorization } from '../middleware/authorize.js';
import { validate } from '../middleware/validate.js';
import { problem, sendProblem } from '../problem.js';

export interface GraphRouteDeps {
  readonly access: AccessDeps;
  readonly graph: GraphQueries;
}

type Ctx = Context<AppEnv>;

const notFound = (what: string, id: string) => problem('not-found', `no ${what} ${id} in this tenant's graph`);

/** The same request with `cursor` set: the next page's link. */
function nextLink(c: Ctx, cursor: string): string {
  const params = new URLSearchParams(c.req.query());
  params.set('cursor', cursor);
  return `${c.req.path}?${params.toString()}`;
}

export function graphRoutes(deps: GraphRouteDeps): Hono<AppEnv> {
  const { graph } = deps;
  const authorize = readAuthorization(deps.access);
  /** A read of one node of the caller's graph, named by the `:id` path parameter. */
  const readNode = authorize('graph.read', (c) => ({ type: 'GraphNode', id: c.req.valid('param').id }));
  return new Hono<AppEnv>()
    .get('/v1/graph/nodes/:id', validate('param', NodePath), validate('query', NodeQuery), readNode, async (c) => {
      const { id } = c.req.valid('param');
      const { asOf } = c.req.valid('query');
      const node = await graph.node(c.get('principal').tenant, id, asOf);
      return node === undefined ? sendProblem(c, notFound(asOf ? `node as of ${asOf}:` : 'node', id)) : c.json(node);
    })
    .get('/v1/graph/related', validate('query', RelatedQuery), authorize('graph.read', (c) => ({ type: 'GraphNode', id: c.req.valid('query').id })), async (c) => {
      const q = c.req.valid('query');
      const tenant = c.get('principal').tenant;
      const root = await graph.node(tenant, q.id, q.asOf);
      if (root === undefined) return sendProblem(c, notFound('node', q.id));
      const request = {
        id: q.id, depth: q.depth ?? 1, direction: q.direction ?? 'down', types: q.types, asOf: q.asOf,
        limit: q.limit ?? DEFAULT_LIMIT, after: q.cursor,
      } as const;
      const page = await graph.related(tenant, request);
      const cursor = page.next && LineageCursor.encode(page.next);
      return c.json({
        root,
        depth: request.depth,
        direction: request.direction,
        ...(q.types ? { types: q.types } : {}),
        ...(q.asOf ? { asOf: q.asOf } : {}),
        limits: { fanOutPerHop: FAN_OUT_CAP, nodesPerDepth: LEVEL_CAP },
        items: page.items,
        ...(cursor ? { nextCursor: cursor, next: nextLink(c, cursor) } : {}),
      });
    })
    .get('/v1/graph/services/:id/surface', validate('param', NodePath), validate('query', SurfaceQuery), readNode, async (c) => {
      const tenant = c.get('principal').tenant;
      const service = await graph.node(tenant, c.req.valid('param').id);
      if (service === undefined || service.type !== 'Service') return sendProblem(c, notFound('service', c.req.valid('param').id));
      const q = c.req.valid('query');
      const surface = await graph.surface(tenant, service.id, {
        ...(q.since ? { since: q.since } : {}), ...(q.region ? { region: q.region } : {}), limit: q.limit ?? DEFAULT_LIMIT,
      });
      return c.json({ service, ...(q.since ? { since: q.since } : {}), ...(q.region ? { region: q.region } : {}), ...surface });
    })
    .get('/v1/graph/incidents/:id/impact', validate('param', NodePath), validate('query', ImpactQuery), readNode, async (c) => {
      const tenant = c.get('principal').tenant;
      const incident = await graph.node(tenant, c.req.valid('param').id);
      if (incident === undefined || incident.type !== 'Incident') return sendProblem(c, notFound('incident', c.req.valid('param').id));
      const region = c.req.valid('query').region;
      const impact = await graph.impact(tenant, incident.id, region ? { region } : {});
      return c.json({ incident, ...(region ? { region } : {}), ...impact });
    })
    .get('/v1/graph/changes', validate('query', ChangesQuery), authorize('graph.read', (c) => ({ type: 'Graph', id: c.get('principal').tenant })), async (c) => {
      const q = c.req.valid('query');
      const page = await graph.changes(c.get('principal').tenant, {
        resource: q.resource, actor: q.actor, from: q.from, to: q.to, limit: q.limit ?? DEFAULT_LIMIT, after: q.cursor,
      });
      const cursor = page.next && ChangeCursor.encode(page.next);
      return c.json({ items: page.items, ...(cursor ? { nextCursor: cursor, next: nextLink(c, cursor) } : {}) });
    })
    .get(
      '/v1/graph/edges/:id/provenance',
      validate('param', EdgePath),
      validate('query', ProvenanceQuery),
      authorize('graph.read', (c) => ({ type: 'GraphEdge', id: c.req.valid('param').id.id })),
      async (c) => {
        const edgeId = c.req.valid('param').id.id;
        const tenant = c.get('principal').tenant;
        const edge = await graph.edgeVersion(tenant, edgeId);
        if (edge === undefined) return sendProblem(c, notFound('edge', edgeId));
        const stream = streamName(tenant, 'graph.edge', edgeId);
        const sealed = await sealedProvenance(deps.access.log, deps.access.keyring, stream, edge.provenance.event);
        return c.json({ edge, stream, ...sealed });
      },
    );
}

/**
 * The sealed event a read-model row names, read from the log, and the verification of its stream from
 * revision 0 up to it (hashes, links, revisions, signatures). The read model's event id and hash must
 * match what the log holds, so a row that no longer corresponds to its event is reported too.
 */
async function sealedProvenance(
  log: EventLog,
  keyring: Keyring,
  stream: string,
  expected: { readonly id: string; readonly hash: string; readonly revision: number },
) {
  const records = await log.readStream(stream, { fromRevision: 0n, maxCount: expected.revision + 1 });
  const verifier = new ChainVerifier(keyring);
  for (const r of records) verifier.add(r);
  const report = verifier.finish();
  const problems: string[] = report.failures.map((f) => `revision ${f.revision} (event ${f.eventId}): ${f.reason}`);
  const stored = records.find((r) => Number(r.revision) === expected.revision);
  if (stored === undefined) {
    problems.push(`revision ${expected.revision} is not in the log`);
    return { event: null, verification: { verified: false, eventsChecked: report.eventsChecked, problems } };
  }
  const decoded = fromRecordedEvent(stored);
  // A stored event that no longer decodes is shown as stored; the verification names the damage.
  const event = isLeft(decoded)
    ? { id: stored.id, stream: stored.stream, revision: Number(stored.revision), type: stored.type, data: stored.data, metadata: stored.metadata }
    : decoded.right;
  if (stored.id !== expected.id) problems.push(`the log holds event ${stored.id} at revision ${expected.revision}; the read model names ${expected.id}`);
  if (!isLeft(decoded) && decoded.right.hash !== expected.hash) {
    problems.push(`the event's sealed hash ${decoded.right.hash} differs from the read model's ${expected.hash}`);
  }
  return { event: { position: String(stored.position), ...event }, verification: { verified: problems.length === 0, eventsChecked: report.eventsChecked, problems } };
}
