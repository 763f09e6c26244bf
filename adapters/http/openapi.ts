// The OpenAPI 3.1 description served at /openapi.json: every route, the command bodies and the
// problem shape. Hand-written and small; the io-ts codecs stay the source of truth for validation.
import { AUDIT_ENTRY_FIELDS } from '../../schemas/audit.js';
import { EDGE_TYPES, NODE_TYPES } from '../../schemas/graph.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const problems = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), { description: 'Problem', content: { 'application/problem+json': { schema: ref('Problem') } } }]));

const provenance = {
  type: 'object',
  required: ['sourceSystem', 'observedAt'],
  additionalProperties: false,
  properties: {
    sourceSystem: { type: 'string' },
    observedAt: { type: 'string', format: 'date-time' },
    effectiveAt: { type: 'string', format: 'date-time', description: 'defaults to observedAt' },
    expiresAt: { type: 'string', format: 'date-time' },
    reason: { type: 'string' },
    evidenceRefs: { type: 'array', items: { type: 'string' } },
    confidence: { type: 'number', minimum: 0, maximum: 1, description: 'defaults to 1' },
    privacyTier: { enum: ['public', 'internal', 'confidential', 'restricted'], description: 'defaults to internal' },
    piiFlags: { type: 'array', items: { type: 'string' } },
    externalId: { type: 'string', description: 'id in the source system: the natural key {tenant, sourceSystem, externalId}' },
    ingestionVersion: { type: 'string' },
  },
};

/** Filters of the audit routes: `from` inclusive, `to` exclusive. */
const auditFilters = [
  { name: 'actor', in: 'query', schema: { type: 'string', maxLength: 256 }, description: 'principal id' },
  { name: 'resource', in: 'query', schema: { type: 'string', maxLength: 1024 }, description: 'stream name (denials of an aggregate are filed under its stream)' },
  { name: 'action', in: 'query', schema: { type: 'string' }, description: 'event type, or the denied action' },
  { name: 'outcome', in: 'query', schema: { enum: ['allowed', 'denied'] } },
  { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'inclusive' },
  { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'exclusive; not before from' },
];

const commandBodies: Record<string, object> = {
  'graph.node.upsert': {
    type: 'object',
    required: ['id', 'type', 'region', 'provenance'],
    additionalProperties: false,
    properties: { id: ref('NodeId'), type: { enum: NODE_TYPES }, region: ref('Region'), attributes: { type: 'object' }, provenance: ref('Provenance') },
  },
  'graph.node.retire': {
    type: 'object',
    required: ['id', 'region', 'provenance'],
    additionalProperties: false,
    properties: { id: ref('NodeId'), region: ref('Region'), reason: { type: 'string' }, provenance: ref('Provenance') },
  },
  'graph.edge.assert': {
    type: 'object',
    required: ['type', 'from', 'to', 'region', 'provenance'],
    additionalProperties: false,
    properties: { type: { enum: EDGE_TYPES }, from: ref('NodeId'), to: ref('NodeId'), region: ref('Region'), attributes: { type: 'object' }, provenance: ref('Provenance') },
  },
  'graph.edge.retract': {
    type: 'object',
    required: ['type', 'from', 'to', 'region', 'provenance'],
    additionalProperties: false,
    properties: { type: { enum: EDGE_TYPES }, from: ref('NodeId'), to: ref('NodeId'), region: ref('Region'), reason: { type: 'string' }, provenance: ref('Provenance') },
  },
};

// The graph read API (adapters/http/routes/graph.ts); limits and definitions are in projections/graph/queries.ts.
const q = (name: string, schema: object, description?: string, required = false) =>
  ({ name, in: 'query', required, schema, ...(description ? { description } : {}) });
const idPath = (description: string) => ({ name: 'id', in: 'path', required: true, schema: ref('NodeId'), description });
const limit = q('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 });
const asOf = q('asOf', { type: 'string', format: 'date-time' }, 'answer from the version history: what was valid (effective) at this instant');
const graphRead = (summary: string, description: string, parameters: readonly object[]) => ({
  get: { summary, description, parameters, responses: { '200': { description: 'Answer' }, ...problems(400, 401, 403, 404) } },
});
const graphPaths = {
  '/v1/graph/nodes/{id}': graphRead('A node: current, or as of a time', 'Type, region, attributes, externalId, validFrom, provenance summary and its sealed event (id, hash, revision, position).', [idPath('URL-encoded node id'), asOf]),
  '/v1/graph/related': graphRead(
    'Lineage: nodes within depth hops (breadth first, each node once at its shortest depth)',
    'Ordered by (depth, node id); page with limit and the opaque nextCursor (or follow next). down follows edges from→to, up to→from. ' +
      'At most 200 neighbours per node and hop (lowest ids first) and 5000 nodes per depth. Each item: node, depth, the last edge of its path, provenance.',
    [
      q('id', ref('NodeId'), 'start node', true),
      q('depth', { type: 'integer', minimum: 1, maximum: 4, default: 1 }),
      q('direction', { enum: ['down', 'up', 'both'], default: 'down' }),
      q('types', { type: 'string' }, `comma-separated edge types to follow (${EDGE_TYPES.join(', ')}); default all`),
      asOf, limit, q('cursor', { type: 'string' }, 'nextCursor of the previous page'),
    ],
  ),
  '/v1/graph/services/{id}/surface': graphRead(
    "A service's incidents, deployments and datasets, newest link first",
    'incidents: Service OBSERVES Incident, Incident RELATES_TO Service; deployments: Deployment DEPLOYS Service; datasets: Service PRODUCES|CONSUMES Dataset. ' +
      'One item per link (node, via edge, provenance). 404 unless the id is a current Service.',
    [
      idPath('URL-encoded service id'),
      q('since', { type: 'string', format: 'date-time' }, "links whose edge became valid (the edge's effectiveAt) at or after this instant"),
      q('region', ref('Region'), 'only linked nodes of this region'),
      { ...limit, description: 'per group' },
    ],
  ),
  '/v1/graph/incidents/{id}/impact': graphRead(
    "An incident's affected services, their deployments, datasets and users",
    'services: OBSERVES the incident or RELATES_TO from it; deployments: DEPLOYS those services; datasets: the incident RELATES_TO them, or the services PRODUCE|CONSUME them; ' +
      'users: User APPROVES those deployments, User PERFORMS a Run that PRODUCES|CONSUMES those datasets, UserCohort TARGETed by a FeatureFlag that CONSUMES them. ' +
      'At most 1000 per group. 404 unless the id is a current Incident.',
    [idPath('URL-encoded incident id'), q('region', ref('Region'), 'only answered nodes of this region (the traversal crosses regions)')],
  ),
  '/v1/graph/changes': graphRead(
    'Change audit: node and edge versions, newest observed first',
    'resource and/or actor is required. resource matches the node and edges with it at either end. Page with limit and nextCursor.',
    [
      q('resource', ref('NodeId')), q('actor', { type: 'string' }, 'principal id, e.g. user:alice'),
      q('from', { type: 'string', format: 'date-time' }, 'observed at or after'), q('to', { type: 'string', format: 'date-time' }, 'observed before'),
      limit, q('cursor', { type: 'string' }),
    ],
  ),
  '/v1/graph/edges/{id}/provenance': graphRead(
    "An edge's last version, its sealed event from the log and the verification of its stream up to that event",
    'verification: {verified, eventsChecked, problems[]} — hashes, links, revisions and signatures against the keyring, and that the log holds the event the read model names.',
    [{ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'edge id from|TYPE|to, URL-encoded ("|" is %7C), e.g. dep%3A42%7CDEPLOYS%7Csvc%3Acheckout' }],
  ),
};

/** Maestro's plans and runs (adapters/http/routes/plans.ts, runs.ts). */
const runIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' } };
const maestroPaths = {
  '/v1/plans': {
    post: {
      summary: 'Register a Maestro plan (plan.register): mcplan.yaml as application/yaml, or JSON {source, region?}',
      parameters: [{ name: 'region', in: 'query', schema: { type: 'string' }, description: 'with a YAML body; default the token region' }],
      requestBody: { required: true, content: { 'application/yaml': { schema: { type: 'string' } }, ...json({ type: 'object', required: ['source'], properties: { source: { type: 'string' }, region: { type: 'string' } } }) } },
      responses: { '201': { description: 'A new version' }, '200': { description: 'The same content is already that version' }, ...problems(400, 401, 403, 409, 413, 415) },
    },
  },
  '/v1/runs': {
    post: {
      summary: 'Start a run of a registered plan (run.start); the requester is the token\'s principal',
      parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 255 } }],
      requestBody: {
        required: true,
        content: json({ type: 'object', required: ['plan'], additionalProperties: false, properties: { plan: { type: 'string' }, runId: { type: 'string' }, version: { type: 'integer', minimum: 1 }, inputs: { type: 'object' }, reason: { type: 'string' }, region: ref('Region') } }),
      },
      responses: { '201': { description: 'Started; Location names the run' }, '200': { description: 'Replayed (same idempotency key)' }, ...problems(400, 401, 403, 404, 409, 415) },
    },
    get: {
      summary: 'Runs of the tenant, newest first',
      parameters: [
        { name: 'state', in: 'query', schema: { enum: ['pending', 'evaluating_policies', 'running', 'waiting_manual', 'rolling_back', 'success', 'failed', 'canceled', 'rolled_back'] } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
        { name: 'cursor', in: 'query', schema: { type: 'string' } },
      ],
      responses: { '200': { description: 'A page of runs, with nextCursor while more remain' }, ...problems(400, 401, 403) },
    },
  },
  '/v1/runs/{id}': {
    get: { summary: 'A run: status, plan, steps with every attempt', parameters: [runIdParam], responses: { '200': { description: 'The run' }, ...problems(400, 401, 403, 404) } },
  },
  '/v1/runs/{id}/timeline': {
    get: {
      summary: 'One line per run event: time, step, what happened, who',
      parameters: [runIdParam, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } }, { name: 'cursor', in: 'query', schema: { type: 'string' } }],
      responses: { '200': { description: 'A page of the timeline' }, ...problems(400, 401, 403, 404) },
    },
  },
  '/v1/runs/{id}/steps/{step}/approve': {
    post: {
      summary: 'Approve a step (run.step.approve); nobody approves a high-sensitivity or two-person step of their own run',
      parameters: [runIdParam, { name: 'step', in: 'path', required: true, schema: { type: 'string' } }],
      requestBody: { required: false, content: json({ type: 'object', properties: { comment: { type: 'string' } } }) },
      responses: { '201': { description: 'Approved' }, '200': { description: 'Already approved by this principal' }, ...problems(400, 401, 403, 404, 409) },
    },
  },
  '/v1/runs/{id}/cancel': {
    post: {
      summary: 'Cancel a run (run.cancel): stops where it is, undoes nothing',
      parameters: [runIdParam],
      requestBody: { required: false, content: json({ type: 'object', properties: { reason: { type: 'string' } } }) },
      responses: { '201': { description: 'Canceled' }, '200': { description: 'Already canceled' }, ...problems(400, 401, 403, 404, 409) },
    },
  },
};

export function openApiDocument(commandTypes: readonly string[]): object {
  return {
    openapi: '3.1.0',
    info: { title: 'CompanyOS Fabric', version: '0.1.0', description: 'Signed, hash-chained events; policy-checked commands; ledger verification.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' },
            instance: { type: 'string' }, code: { type: 'string' }, requestId: { type: 'string' },
            errors: { type: 'array', items: { type: 'string' } }, decisionId: { type: 'string' },
          },
        },
        NodeId: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^/\\u0000-\\u001f]+$' },
        Region: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,31}$' },
        Provenance: provenance,
        CommandResult: {
          type: 'object',
          properties: {
            command: { type: 'string' }, stream: { type: 'string' }, revision: { type: ['integer', 'null'] }, position: { type: 'string' },
            events: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, type: { type: 'string' }, revision: { type: 'integer' }, hash: { type: 'string' } } } },
            decision: { type: 'object' }, replayed: { type: 'boolean' }, unchanged: { type: 'boolean' },
          },
        },
        IngestSummary: {
          type: 'object',
          description: 'The graph commands an ingested payload became, in order, and what each did',
          properties: {
            source: { type: 'string' }, event: { type: 'string' }, delivery: { type: 'string' },
            commands: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  index: { type: 'integer' }, type: { type: 'string' }, target: { type: 'string' }, stream: { type: 'string' },
                  outcome: { enum: ['appended', 'unchanged', 'replayed'] }, revision: { type: ['integer', 'null'] },
                },
              },
            },
            appended: { type: 'integer' }, unchanged: { type: 'integer' }, replayed: { type: 'integer' },
          },
        },
        AuditEntry: {
          type: 'object',
          description: 'One sealed event or denial in the audit index',
          properties: Object.fromEntries(AUDIT_ENTRY_FIELDS.map((f) => [f, f === 'outcome' ? { enum: ['allowed', 'denied'] } : { type: 'string' }])),
        },
        VerifyReport: {
          type: 'object',
          required: ['ok', 'eventsChecked', 'streamsChecked', 'failures'],
          properties: {
            ok: { type: 'boolean' }, eventsChecked: { type: 'integer' }, streamsChecked: { type: 'integer' },
            failures: { type: 'array', items: { type: 'object', properties: { stream: { type: 'string' }, revision: { type: 'integer' }, eventId: { type: 'string' }, reason: { type: 'string' } } } },
          },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      ...Object.fromEntries(
        commandTypes.map((type) => [
          `/v1/commands/${type}`,
          {
            post: {
              summary: `Command ${type}`,
              parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 255 } }],
              requestBody: { required: true, content: json(commandBodies[type] ?? { type: 'object' }) },
              responses: {
                '201': { description: 'Appended', content: json(ref('CommandResult')) },
                '200': { description: 'Replayed (same idempotency key and payload) or unchanged', content: json(ref('CommandResult')) },
                ...problems(400, 401, 403, 404, 409, 413, 415, 422, 503),
              },
            },
          },
        ]),
      ),
      ...maestroPaths,
      '/v1/ingest/github': {
        post: {
          summary: 'GitHub webhook (push, workflow_run, deployment, deployment_status) into the graph',
          description:
            'Authenticated by X-Hub-Signature-256 under a tenant webhook secret (COMPANYOS_GITHUB_WEBHOOKS), not by a bearer token. ' +
            'ping answers 200 and other events 202, writing nothing. A refused command answers its problem with failedCommand and executed.',
          security: [],
          parameters: [
            { name: 'X-Hub-Signature-256', in: 'header', required: true, schema: { type: 'string', pattern: '^sha256=[0-9a-f]{64}$' } },
            { name: 'X-GitHub-Event', in: 'header', required: true, schema: { type: 'string' } },
            { name: 'X-GitHub-Delivery', in: 'header', schema: { type: 'string' }, description: "sealed as the events' correlationId" },
          ],
          requestBody: { required: true, content: json({ type: 'object', description: 'the webhook payload as GitHub sends it' }) },
          responses: {
            '201': { description: 'Something was appended', content: json(ref('IngestSummary')) },
            '200': { description: 'Nothing new (redelivery), or ping', content: json(ref('IngestSummary')) },
            '202': { description: 'Event not mapped; nothing written' },
            ...problems(400, 401, 403, 409, 413, 415, 422, 503),
          },
        },
      },
      '/v1/ingest/openlineage': {
        post: {
          summary: 'OpenLineage RunEvent, or an array of at most 100, into the graph (in the token region)',
          requestBody: {
            required: true,
            content: json({ oneOf: [{ type: 'object', description: 'RunEvent' }, { type: 'array', minItems: 1, maxItems: 100, items: { type: 'object' } }] }),
          },
          responses: {
            '201': { description: 'Something was appended', content: json(ref('IngestSummary')) },
            '200': { description: 'Nothing new (redelivery)', content: json(ref('IngestSummary')) },
            ...problems(400, 401, 403, 409, 413, 415, 422, 503),
          },
        },
      },
      '/v1/metering/events': {
        post: {
          summary: "A batch of 1..10,000 usage records for the token's tenant (body ≤ 8 MiB), idempotent per record eventId",
          description:
            'Each record: eventId, service, team, meter, quantity (exact decimal string or number, ≤ 12 decimals), unit, ts, tags. ' +
            'Invalid records are answered by index with their errors and the valid ones kept; ids already accepted are answered as duplicate. ' +
            'The accepted records become one sealed metering.batch.recorded event. 422 when no record is valid.',
          requestBody: { required: true, content: json({ type: 'object', required: ['records'], properties: { records: { type: 'array', minItems: 1, maxItems: 10000 }, region: { type: 'string' } } }) },
          responses: {
            '200': { description: 'accepted / duplicates / rejected counts, the batch event, and one result per record (index, eventId, status, errors)' },
            ...problems(400, 401, 403, 409, 413, 415, 422, 503),
          },
        },
      },
      '/v1/finops/costs': {
        get: {
          summary: "The tenant's costs in [from, to) as exact decimal strings, with shared pools apportioned per service",
          parameters: [
            { name: 'groupBy', in: 'query', schema: { type: 'string', default: 'service' }, description: 'comma list of service, team, meter, day, hour, tag:<key>' },
            { name: 'from', in: 'query', required: true, schema: { type: 'string' }, description: 'RFC 3339 or YYYY-MM-DD (UTC), inclusive' },
            { name: 'to', in: 'query', required: true, schema: { type: 'string' }, description: 'RFC 3339 or YYYY-MM-DD (UTC), exclusive' },
          ],
          responses: { '200': { description: 'rows (group, currency, cost, records), unpriced usage, shared pools, totals per currency' }, ...problems(400, 401, 403) },
        },
      },
      '/v1/audit/events': {
        get: {
          summary: "The tenant's audit index: sealed events and denials, newest first, paged",
          description:
            'One entry per sealed event (outcome allowed) and per sealed denial (outcome denied). The tenant comes from the token. ' +
            'Admins only (policy audit-index-admins). Follow `next` (or pass `nextCursor` as cursor) until it is absent.',
          parameters: [...auditFilters, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } }, { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'opaque, from nextCursor' }],
          responses: {
            '200': {
              description: 'A page',
              content: json({ type: 'object', required: ['events'], properties: { events: { type: 'array', items: ref('AuditEntry') }, nextCursor: { type: 'string' }, next: { type: 'string' } } }),
            },
            ...problems(400, 401, 403),
          },
        },
      },
      '/v1/audit/export': {
        get: {
          summary: 'The whole filtered audit answer as a streamed attachment (NDJSON, or CSV with a header row)',
          parameters: [...auditFilters, { name: 'format', in: 'query', schema: { enum: ['ndjson', 'csv'], default: 'ndjson' } }],
          responses: {
            '200': {
              description: 'Newest first; CSV per RFC 4180 with the AuditEntry fields as columns, in order',
              content: { 'application/x-ndjson': { schema: ref('AuditEntry') }, 'text/csv': { schema: { type: 'string' } } },
            },
            ...problems(400, 401, 403),
          },
        },
      },
      '/v1/streams/{stream}': {
        get: {
          summary: "A stream's sealed events, paged",
          parameters: [
            { name: 'stream', in: 'path', required: true, schema: { type: 'string' }, description: 'URL-encoded stream name, e.g. acme%2Fgraph.node%2Fsvc%3Acheckout' },
            { name: 'fromRevision', in: 'query', schema: { type: 'integer', minimum: 0 } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          ],
          responses: { '200': { description: 'Sealed events' }, ...problems(400, 401, 403, 404) },
        },
      },
      '/v1/ledger/verify': {
        get: {
          summary: "Verify the tenant's whole log, or one stream",
          parameters: [{ name: 'stream', in: 'query', schema: { type: 'string' } }],
          responses: { '200': { description: 'Report (ok=false names each broken event)', content: json(ref('VerifyReport')) }, ...problems(400, 401, 403, 404) },
        },
      },
      ...graphPaths,
      '/v1/ledger/keys': { get: { summary: 'Published signing keys (public)', security: [], responses: { '200': { description: 'Keys' } } } },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'Alive' } } } },
      '/readyz': { get: { summary: 'Readiness', security: [], responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { '200': { description: 'Text exposition' } } } },
      '/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
    },
  };
}
