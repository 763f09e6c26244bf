// The OpenAPI 3.1 description served at /openapi.json: every route, the command bodies and the
// problem shape. Hand-written and small; the io-ts codecs stay the source of truth for validation.
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
      '/v1/ledger/keys': { get: { summary: 'Published signing keys (public)', security: [], responses: { '200': { description: 'Keys' } } } },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'Alive' } } } },
      '/readyz': { get: { summary: 'Readiness', security: [], responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { '200': { description: 'Text exposition' } } } },
      '/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
    },
  };
}
