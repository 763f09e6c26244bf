// The OpenAPI 3.1 description served at /openapi.json. Request bodies, path and query parameters are
// derived from the io-ts codecs the routes decode with (schemas/json-schema.ts), so the document cannot
// promise what the server refuses; responses are described by hand. openapi.test.ts checks it against
// the routes the app mounts and decodes every example with its codec.
import type * as t from 'io-ts';
import { commandHandlers } from '../../domain/index.js';
import { AUDIT_ENTRY_FIELDS, AuditEventsQuery, AuditExportQuery } from '../../schemas/audit.js';
import { BudgetQuery, CostsQuery } from '../../schemas/finops.js';
import { EDGE_TYPES, NodeId } from '../../schemas/graph.js';
import { ChangesQuery, EdgePath, ImpactQuery, NodePath, NodeQuery, ProvenanceQuery, RelatedQuery, SurfaceQuery } from '../../schemas/graph-queries.js';
import { jsonSchemaOf, type JsonSchema } from '../../schemas/json-schema.js';
import { MAX_BATCH_BYTES, MAX_BATCH_RECORDS, MeteringIngestBody, MeteringRecord } from '../../schemas/metering.js';
import { DatasetEvent, JobEvent, RunEvent } from '../../schemas/openlineage.js';
import { Region, Timestamp } from '../../schemas/primitives.js';
import { Provenance } from '../../schemas/provenance.js';
import { LedgerVerifyQuery, StreamPageQuery } from '../../schemas/ledger-queries.js';
import { CheckpointsQuery, ConsistencyProofQuery, InclusionProofQuery, ReceiptPath, ReceiptsQuery, TrustedCheckpointBody } from '../../schemas/ledger-proofs.js';
import { CosignatureBody } from '../../schemas/cosignatures.js';
import { PolicyPreflight, PolicyVersionParam, PolicyWhatIf } from '../../schemas/policy.js';
import { ApprovalDecisionBody, ApprovalIdParam, ApprovalRejectBody, ApprovalRequest, ApprovalsQuery } from '../../schemas/approval.js';
import { dualControlOf } from '../../domain/approvals/dual-control.js';
import { StreamName } from '../../schemas/streams.js';
import { ANSWER_EXAMPLES, COMMAND_EXAMPLES, ROUTE_EXAMPLES } from './openapi-examples.js';
import { MAX_BODY_BYTES as MAX_COMMAND_BYTES } from './routes/commands.js';
import { MAX_INGEST_BODY_BYTES } from './routes/ingest-response.js';
import {
  ApproveRequest, CancelRequest, RunListQuery, RunPath, RunStartRequest, StepPath, TimelineQuery,
} from './routes/runs.js';
import { MAX_PLAN_BYTES, PlanJsonRequest } from './routes/plans.js';

type Codec = t.Decoder<unknown, unknown>;

// Codecs published once under components/schemas and referenced wherever they occur.
const named: readonly (readonly [string, Codec])[] = [
  ['NodeId', NodeId], ['Region', Region], ['Timestamp', Timestamp], ['Provenance', Provenance], ['MeteringRecord', MeteringRecord], ['RunEvent', RunEvent], ['DatasetEvent', DatasetEvent], ['JobEvent', JobEvent],
];
const refs = new Map(named.map(([name, codec]) => [codec, `#/components/schemas/${name}`]));
const schemaOf = (codec: Codec): JsonSchema => jsonSchemaOf(codec, { refs });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, example?: unknown) => ({ 'application/json': { schema, ...(example === undefined ? {} : { example }) } });

// ---------------------------------------------------------------------------------------------------
// Problems (RFC 9457): every operation names the statuses it can answer with

const PROBLEM_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request: malformed JSON, an invalid field or parameter (errors lists one line per problem)',
  401: 'Unauthenticated: no valid bearer token; or (code insufficient-user-authentication) a step-up policy wants a fresher or stronger login, with an RFC 9470 challenge: WWW-Authenticate: Bearer error="insufficient_user_authentication", max_age and/or acr_values',
  403: 'Forbidden: the policy denies the principal this action (decisionId and X-Decision-Id name the decision, X-Policy-Version the policy text); with ?explain=true an admin also gets conditions: each policy in scope and which of its clauses failed',
  404: 'Not found',
  409: 'Conflict: a concurrent change, or an idempotency key reused with another body',
  410: "Gone: a proposal's approval window has passed (approval-expired); propose it again",
  413: "Payload too large: the body is over the route's limit (routes that take no body accept only a small one); the connection is closed",
  415: 'Unsupported media type',
  422: 'Unprocessable: valid, but the domain refuses it',
  500: 'Internal error: logged under the request id; no detail is given',
  503: 'Unavailable: a store it needs cannot be reached (the event log, or ClickHouse for audit and costs) or the server is busy; retry after Retry-After',
};
/** Every authorized answer and every denial name the decision (adapters/http/decision-headers.ts). */
const DECISION_HEADERS = {
  'X-Decision-Id': { description: 'the policy decision that let the request through (or denied it)', schema: { type: 'string' } },
  'X-Policy-Version': { description: 'SHA-256 of the policy text that decided', schema: { type: 'string' } },
};
const problems = (...statuses: number[]) =>
  Object.fromEntries([...statuses, 500].map((s) => [String(s), { $ref: `#/components/responses/Problem${s}` }]));
const problemResponses = Object.fromEntries(
  Object.entries(PROBLEM_TITLES).map(([status, description]) => [
    `Problem${status}`,
    {
      description,
      ...(status === '503' ? { headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer', minimum: 0 } } } } : {}),
      ...(status === '401' ? { headers: { 'WWW-Authenticate': { description: 'Bearer challenge (RFC 6750; RFC 9470 for step-up)', schema: { type: 'string' } } } } : {}),
      ...(status === '403' ? { headers: DECISION_HEADERS } : {}),
      content: { 'application/problem+json': { schema: ref('Problem') } },
    },
  ]),
);

// ---------------------------------------------------------------------------------------------------
// Parameters from codecs: each property of a closed object codec is one parameter

function parametersOf(codec: Codec, location: 'path' | 'query', descriptions: Readonly<Record<string, string>> = {}): object[] {
  const schema = schemaOf(codec);
  const required = new Set((schema['required'] as string[] | undefined) ?? []);
  return Object.entries((schema['properties'] as Record<string, JsonSchema> | undefined) ?? {}).map(([name, s]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    schema: s,
    ...(descriptions[name] === undefined ? {} : { description: descriptions[name] }),
  }));
}
const query = (codec: Codec, descriptions?: Readonly<Record<string, string>>) => parametersOf(codec, 'query', descriptions);
const path = (codec: Codec, descriptions?: Readonly<Record<string, string>>) => parametersOf(codec, 'path', descriptions);
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
  description: 'the same key and body answer the first result again (200, replayed) instead of writing twice',
};

interface Operation {
  readonly operationId: string;
  readonly tags: readonly string[];
  readonly summary: string;
  readonly description?: string;
  readonly security?: readonly object[];
  readonly parameters?: readonly object[];
  readonly requestBody?: object;
  readonly responses: Readonly<Record<string, object>>;
}
const ok = (description: string, schema?: object, example?: unknown) => ({ description, ...(schema === undefined ? {} : { content: json(schema, example) }) });
const PUBLIC: readonly object[] = [];

// ---------------------------------------------------------------------------------------------------
// Operations

function commandOperation(type: string): Operation {
  const handler = commandHandlers.get(type);
  if (handler === undefined) throw new Error(`openapi: command ${type} has no handler in the domain registry, so no body codec to describe`);
  if (!(type in COMMAND_EXAMPLES)) throw new Error(`openapi: command ${type} has no example in openapi-examples.ts`);
  return {
    operationId: `command:${type}`,
    tags: ['Commands'],
    summary: `Command ${type}`,
    description:
      `Decoded, authorized by policy (action ${handler.action} on ${handler.resourceType}), decided and sealed into the log. Body at most ${MAX_COMMAND_BYTES} bytes.` +
      (dualControlOf(type) === undefined
        ? ''
        : ' Dual-control (two-person rule): it approves the waiting proposal of the same body by someone else and executes as the caller\'s, or else proposes it (202 with the approval; /v1/approvals).'),
    parameters: [idempotencyKey],
    requestBody: { required: true, content: json(schemaOf(handler.codec), COMMAND_EXAMPLES[type]) },
    responses: {
      '201': ok('Appended', ref('CommandResult')),
      ...(dualControlOf(type) === undefined ? {} : { '202': ok('Proposed: waits for a different principal to approve it (approval, with Location)', { type: 'object' }) }),
      '200': ok('Replayed (same idempotency key and body) or unchanged (nothing new to record)', ref('CommandResult')),
      ...problems(400, 401, 403, 404, 409, 413, 415, 422, 503),
    },
  };
}

const graphRead = (operationId: string, summary: string, description: string, parameters: readonly object[], readsLog = false, answer?: object): Operation => ({
  operationId, tags: ['Graph'], summary, description, parameters,
  responses: { '200': { description: 'Answer', content: answer ?? json({ type: 'object' }) }, ...problems(400, 401, 403, 404, ...(readsLog ? [503] : [])) },
});
/** Every node, item, link and change names where its fact came from (ProvenanceSummary). */
const PROVENANCE_NOTE = 'provenance: actor, sourceSystem, observedAt, effectiveAt, recordedAt, confidence and the sealed event (id, hash, revision, position).';
const nodeIdPath = (what: string) => path(NodePath, { id: `URL-encoded ${what} id` });

const graphOperations: Readonly<Record<string, Operation>> = {
  '/v1/graph/nodes/{id}': graphRead('getGraphNode', 'A node: current, or as of a time',
    `Type, region, attributes, externalId, validFrom and ${PROVENANCE_NOTE}`,
    [...nodeIdPath('node'), ...query(NodeQuery, { asOf: 'answer from the version history: what was valid (effective) at this instant' })]),
  '/v1/graph/related': graphRead('getGraphRelated', 'Lineage: nodes within depth hops (breadth first, each node once at its shortest depth)',
    'Ordered by (depth, node id); page with limit and the opaque nextCursor (or follow next). down follows edges from→to, up to→from. ' +
      'At most 200 neighbours per node and hop (lowest ids first) and 5000 nodes per depth. Each item: node, depth, the last edge of its path, ' +
      `and that edge's ${PROVENANCE_NOTE} With asOf, the edge version valid then.`,
    query(RelatedQuery, { id: 'start node', depth: 'default 1', direction: 'default down', types: `comma-separated edge types to follow (${EDGE_TYPES.join(', ')}); default all`, limit: 'default 100' }),
    false, json(ref('Lineage'), ANSWER_EXAMPLES['GET /v1/graph/related'])),
  '/v1/graph/services/{id}/surface': graphRead('getServiceSurface', "A service's incidents, deployments and datasets, newest link first",
    'incidents: Service OBSERVES Incident, Incident RELATES_TO Service; deployments: Deployment DEPLOYS Service; datasets: Service PRODUCES|CONSUMES Dataset. ' +
      `One item per link (node, via edge, the edge's ${PROVENANCE_NOTE}) 404 unless the id is a current Service.`,
    [...nodeIdPath('service'), ...query(SurfaceQuery, { since: "links whose edge became valid (the edge's effectiveAt) at or after this instant", region: 'only linked nodes of this region', limit: 'per group; default 100' })]),
  '/v1/graph/incidents/{id}/impact': graphRead('getIncidentImpact', "An incident's affected services, their deployments, datasets and users",
    'services: OBSERVES the incident or RELATES_TO from it; deployments: DEPLOYS those services; datasets: the incident RELATES_TO them, or the services PRODUCE|CONSUME them; ' +
      'users: User APPROVES those deployments, User PERFORMS a Run that PRODUCES|CONSUMES those datasets, UserCohort TARGETed by a FeatureFlag that CONSUMES them. ' +
      'At most 1000 per group. 404 unless the id is a current Incident.',
    [...nodeIdPath('incident'), ...query(ImpactQuery, { region: 'only answered nodes of this region (the traversal crosses regions)' })]),
  '/v1/graph/changes': graphRead('getGraphChanges', 'Change audit: node and edge versions, newest observed first',
    'resource and/or actor is required; to is not before from. resource matches the node and edges with it at either end. Page with limit and nextCursor.',
    query(ChangesQuery, { actor: 'principal id, e.g. user:alice', from: 'observed at or after', to: 'observed before', limit: 'default 100' })),
  '/v1/graph/edges/{id}/provenance': graphRead('getEdgeProvenance',
    "An edge's last version, its sealed event from the log and the verification of its stream up to that event",
    'verification: {verified, eventsChecked, problems[]} — hashes, links, revisions and signatures against the keyring, and that the log holds the event the read model names.',
    [...path(EdgePath), ...query(ProvenanceQuery)], true),
};

const pageOf = (items: object) => ({ type: 'object', required: ['items'], properties: { items: { type: 'array', items }, nextCursor: { type: 'string' }, next: { type: 'string', description: 'the URL of the next page' } } });

const maestroOperations: Readonly<Record<string, Readonly<Record<string, Operation>>>> = {
  '/v1/plans': {
    post: {
      operationId: 'registerPlan',
      tags: ['Maestro'],
      summary: 'Register a Maestro plan (plan.register): mcplan.yaml as application/yaml, or JSON {source, region?}',
      description: `Region: the body's, the region query parameter (YAML), or the token's. At most ${MAX_PLAN_BYTES} bytes.`,
      parameters: [{ name: 'region', in: 'query', schema: ref('Region'), description: 'with a YAML body; default the token region' }],
      requestBody: {
        required: true,
        content: { 'application/yaml': { schema: { type: 'string' } }, ...json(schemaOf(PlanJsonRequest), { source: (COMMAND_EXAMPLES['plan.register'] as { source: string }).source }) },
      },
      responses: { '201': ok('A new version'), '200': ok('The same content is already that version'), ...problems(400, 401, 403, 409, 413, 415, 503) },
    },
  },
  '/v1/runs': {
    post: {
      operationId: 'startRun',
      tags: ['Maestro'],
      summary: "Start a run of a registered plan (run.start); the requester is the token's principal",
      description: 'runId defaults to a new UUID, region to the token region. Location names the run.',
      parameters: [idempotencyKey],
      requestBody: { required: true, content: json(schemaOf(RunStartRequest), ROUTE_EXAMPLES['POST /v1/runs']) },
      responses: { '201': ok('Started'), '200': ok('Replayed (same idempotency key)'), ...problems(400, 401, 403, 404, 409, 413, 415, 503) },
    },
    get: {
      operationId: 'listRuns',
      tags: ['Maestro'],
      summary: 'Runs of the tenant, newest first',
      parameters: query(RunListQuery, { limit: 'default 50', cursor: 'nextCursor of the previous page' }),
      responses: { '200': ok('A page of runs', pageOf({ type: 'object' })), ...problems(400, 401, 403) },
    },
  },
  '/v1/runs/{id}': {
    get: {
      operationId: 'getRun', tags: ['Maestro'], summary: 'A run: status, plan, steps with every attempt',
      parameters: path(RunPath), responses: { '200': ok('The run', { type: 'object' }), ...problems(400, 401, 403, 404) },
    },
  },
  '/v1/runs/{id}/timeline': {
    get: {
      operationId: 'getRunTimeline', tags: ['Maestro'], summary: 'One line per run event: time, step, what happened, who',
      parameters: [...path(RunPath), ...query(TimelineQuery, { limit: 'default 200', cursor: 'nextCursor of the previous page' })],
      responses: { '200': ok('A page of the timeline', pageOf({ type: 'object' })), ...problems(400, 401, 403, 404) },
    },
  },
  '/v1/runs/{id}/steps/{step}/approve': {
    post: {
      operationId: 'approveRunStep', tags: ['Maestro'],
      summary: 'Approve a step (run.step.approve); nobody approves a high-sensitivity or two-person step of their own run',
      parameters: path(StepPath),
      requestBody: { required: false, content: json(schemaOf(ApproveRequest), ROUTE_EXAMPLES['POST /v1/runs/{id}/steps/{step}/approve']) },
      responses: { '201': ok('Approved'), '200': ok('Already approved by this principal'), ...problems(400, 401, 403, 404, 409, 413, 415, 503) },
    },
  },
  '/v1/runs/{id}/cancel': {
    post: {
      operationId: 'cancelRun', tags: ['Maestro'], summary: 'Cancel a run (run.cancel): stops where it is, undoes nothing',
      parameters: path(RunPath),
      requestBody: { required: false, content: json(schemaOf(CancelRequest), ROUTE_EXAMPLES['POST /v1/runs/{id}/cancel']) },
      responses: { '201': ok('Canceled'), '200': ok('Already canceled'), ...problems(400, 401, 403, 404, 409, 413, 415, 503) },
    },
  },
};

const ingestResponses = {
  '201': ok('Something was appended', ref('IngestSummary')),
  '200': ok('Nothing new (redelivery)', ref('IngestSummary')),
  ...problems(400, 401, 403, 409, 413, 415, 422, 503),
};

const auditFilterDescriptions = {
  actor: 'principal id', resource: 'stream name (denials of an aggregate are filed under its stream)', action: 'event type, or the denied action',
  from: 'inclusive', to: 'exclusive; not before from',
};

const otherOperations: Readonly<Record<string, Readonly<Record<string, Operation>>>> = {
  '/v1/ingest/github': {
    post: {
      operationId: 'ingestGithubWebhook',
      tags: ['Ingest'],
      summary: 'GitHub webhook (push, workflow_run, deployment, deployment_status) into the graph',
      description:
        'Authenticated by X-Hub-Signature-256 under a tenant webhook secret (COMPANYOS_GITHUB_WEBHOOKS), not by a bearer token. ' +
        `ping answers 200 and other events 202, writing nothing. A refused command answers its problem with failedCommand and executed. At most ${MAX_INGEST_BODY_BYTES} bytes.`,
      security: PUBLIC,
      parameters: [
        { name: 'X-Hub-Signature-256', in: 'header', required: true, schema: { type: 'string', pattern: '^sha256=[0-9a-f]{64}$' } },
        { name: 'X-GitHub-Event', in: 'header', required: true, schema: { type: 'string' } },
        { name: 'X-GitHub-Delivery', in: 'header', schema: { type: 'string' }, description: "sealed as the events' correlationId" },
      ],
      requestBody: {
        required: true,
        content: {
          ...json({ type: 'object', description: 'the webhook payload as GitHub sends it' }),
          'application/x-www-form-urlencoded': {
            schema: { type: 'object', required: ['payload'], properties: { payload: { type: 'string', description: 'the webhook payload as JSON text' } } },
          },
        },
      },
      responses: { ...ingestResponses, '200': ok('Nothing new (redelivery), or ping', ref('IngestSummary')), '202': ok('Event not mapped; nothing written') },
    },
  },
  '/v1/ingest/openlineage': {
    post: {
      operationId: 'ingestOpenLineage',
      tags: ['Ingest'],
      summary: 'OpenLineage events (RunEvent, DatasetEvent, JobEvent), one or an array, into the graph (in the token region)',
      description: `Fields beyond those described are allowed and ignored (facets). At most ${MAX_INGEST_BODY_BYTES} bytes.`,
      requestBody: {
        required: true,
        content: json({
          oneOf: [
            ref('RunEvent'), ref('DatasetEvent'), ref('JobEvent'),
            { type: 'array', minItems: 1, items: { anyOf: [ref('RunEvent'), ref('DatasetEvent'), ref('JobEvent')] }, description: 'bounded by the body size, not counted' },
          ],
        }),
      },
      responses: ingestResponses,
    },
  },
  '/v1/metering/events': {
    post: {
      operationId: 'recordUsage',
      tags: ['FinOps'],
      summary: `A batch of 1..${MAX_BATCH_RECORDS} usage records for the token's tenant (body ≤ ${MAX_BATCH_BYTES} bytes), idempotent per record eventId`,
      description:
        'Invalid records are answered by index with their errors and the valid ones kept; ids already accepted are answered as duplicate. ' +
        'The accepted records become one sealed metering.batch.recorded event. 422 when no record is valid.',
      requestBody: { required: true, content: json(schemaOf(MeteringIngestBody), ROUTE_EXAMPLES['POST /v1/metering/events']) },
      responses: {
        '200': ok('accepted / duplicates / rejected counts, the batch event, and one result per record (index, eventId, status, errors)', { type: 'object' }),
        ...problems(400, 401, 403, 409, 413, 415, 422, 503),
      },
    },
  },
  '/v1/finops/budget': {
    get: {
      operationId: 'getBudget',
      tags: ['FinOps'],
      summary: "The tenant's budget, a month's spend against it, the thresholds it crossed and the month's cost anomalies",
      description:
        'Authorized as finops.read. The budget is folded from the tenant\'s finops.budget stream; spent is the cost report\'s total in the budget\'s currency over the month ' +
        '(up to now for the current month); share is spent / budget in percent, rounded half-even to 2 decimals. Without a budget, budget, spent and share are null.',
      parameters: query(BudgetQuery, { period: 'YYYY-MM (UTC); default the current month; not a later one' }),
      responses: { '200': ok('The month against the budget', ref('BudgetStatus'), ANSWER_EXAMPLES['GET /v1/finops/budget']), ...problems(400, 401, 403, 503) },
    },
  },
  '/v1/finops/costs': {
    get: {
      operationId: 'getCosts',
      tags: ['FinOps'],
      summary: "The tenant's costs in [from, to) as exact decimal strings, with shared pools apportioned per service",
      parameters: query(CostsQuery, { from: 'inclusive', to: 'exclusive; later than from, at most 366 days after it', groupBy: 'default service' }),
      responses: { '200': ok('rows (group, currency, cost, records), unpriced usage, shared pools, totals per currency', { type: 'object' }), ...problems(400, 401, 403, 503) },
    },
  },
  '/v1/policy': {
    get: {
      operationId: 'getPolicy',
      tags: ['Policy'],
      summary: "The tenant's Cedar policy set as this process decides under it: version (SHA-256 of the text), ordinal, text, and the history of proposals and publications",
      description: 'Before the tenant changes its policy, the default set is version 1 and the history is empty. Change it with the commands policy.set.propose and policy.set.publish.',
      responses: {
        '200': ok('version, ordinal, publishedAt (log position), text, history (ordinal, version, status, author, reason, approver)', { type: 'object' }),
        ...problems(401, 403),
      },
    },
  },
  '/v1/policy/versions/{v}': {
    get: {
      operationId: 'getPolicyVersion',
      tags: ['Policy'],
      summary: 'One version of the tenant\'s policy set with its text, by ordinal (1, 2, …) or by version (SHA-256 hex)',
      parameters: path(PolicyVersionParam),
      responses: {
        '200': ok('ordinal, version, status, author, reason, approver, replaced, changes (policy ids added, removed and changed against the version it replaced, or for a proposal the one in force), text', { type: 'object' }),
        ...problems(400, 401, 403, 404),
      },
    },
  },
  '/v1/policy/preflight': {
    post: {
      operationId: 'preflightCommand',
      tags: ['Policy'],
      summary: 'What the pipeline would decide on a command for this caller now, with nothing appended',
      description:
        'The same path as POST /v1/commands/{type} up to the decision: the body decoded, the streams read, Cedar asked. ' +
        'Answers allowed, the decision (id, policyVersion, determiningPolicies, explanation), the resource Cedar saw and, when allowed, ' +
        "the outcome: the event types it would append, nothing to do, or the domain's refusal. No event and no denial record is written. " +
        'Asking needs policy.read (403 otherwise, recorded like any denial).',
      requestBody: { required: true, content: json(schemaOf(PolicyPreflight), { type: 'graph.node.upsert', body: COMMAND_EXAMPLES['graph.node.upsert'] }) },
      responses: { '200': ok('allowed, decision, resource, outcome', { type: 'object' }), ...problems(400, 401, 403, 404, 413, 415) },
    },
  },
  '/v1/policy/what-if': {
    post: {
      operationId: 'policyWhatIf',
      tags: ['Policy'],
      summary: "The tenant's recorded decisions asked again of one of its policy versions: the ones that would flip",
      description:
        'Every decision the tenant\'s log records (allowed commands, on the events they wrote; denials, sealed as access.denied) sealed in [from, to), ' +
        're-decided from what it saw (meta.decision.input) under the version (a proposal, typically). Answers the flips (was, now, determining policies ' +
        'before and after) grouped by action and by policy, with counts: decisions, reDecided, notReproducible (sealed without their input: never guessed), ' +
        'otherTenants. Reads at most `limit` events (default and most 10,000) after log position `after`; `next` says where to go on. ' +
        'Admins only (authorized as audit.read: it discloses every actor\'s decisions).',
      requestBody: { required: true, content: json(schemaOf(PolicyWhatIf), { version: '2', from: '2026-01-01T00:00:00Z' }) },
      responses: { '200': ok('version, candidateVersion, eventsRead, decisions, reDecided, notReproducible, otherTenants, flips, byAction, byPolicy, next', { type: 'object' }), ...problems(400, 401, 403, 404, 413, 415) },
    },
  },
  '/v1/approvals': {
    get: {
      operationId: 'listApprovals',
      tags: ['Approvals'],
      summary: "The tenant's proposals of dual-control commands (two-person rule), newest first, optionally in one state",
      description: 'state: pending (waiting, in its window), approved (its command not yet recorded as done), executed, refused (approved, but the command was refused), rejected, expired (past its window unapproved). Needs approval.read.',
      parameters: query(ApprovalsQuery),
      responses: { '200': ok('approvals (id, command, body, state, proposer, reason, proposedAt, expiresAt, approver, rejectedBy, outcome)', { type: 'object' }), ...problems(400, 401, 403) },
    },
    post: {
      operationId: 'proposeApproval',
      tags: ['Approvals'],
      summary: 'Propose a dual-control command: recorded as approval.proposed, it executes only when a different principal approves it within its window',
      description: 'Only the command types the catalogue marks (domain/approvals/dual-control.ts; 422 not-dual-control otherwise); the body is checked by the command\'s codec (400). Authorized as approval.propose (a holder of one of the command\'s approver roles).',
      requestBody: { required: true, content: json(schemaOf(ApprovalRequest), { command: 'policy.set.publish', body: COMMAND_EXAMPLES['policy.set.publish'], reason: 'CHG-1042' }) },
      responses: { '202': ok('Proposed: approval (with Location)', { type: 'object' }), ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
    },
  },
  '/v1/approvals/{id}': {
    get: {
      operationId: 'getApproval',
      tags: ['Approvals'],
      summary: 'One proposal and its state',
      parameters: path(ApprovalIdParam),
      responses: { '200': ok('approval', { type: 'object' }), ...problems(400, 401, 403, 404) },
    },
  },
  '/v1/approvals/{id}/approve': {
    post: {
      operationId: 'approveApproval',
      tags: ['Approvals'],
      summary: "Approve someone else's proposal: the command executes as the caller's, its events sealed with proposer and approver (meta.approval)",
      description:
        "First the command's own decision for the approver (its policies and step-up: 401/403, recorded, nothing approved), then approval.approve " +
        '(403 two-person-rule for the proposer, 410 approval-expired past the window, 409 when another principal approved it or it was rejected), ' +
        'then the command, once (its idempotency key is the approval\'s id): the approver again gets its first result (200).',
      parameters: path(ApprovalIdParam),
      requestBody: { required: false, content: json(schemaOf(ApprovalDecisionBody), { reason: 'reviewed in CHG-1042' }) },
      responses: { '201': ok('Executed', ref('CommandResult')), '200': ok('Already approved by this principal: the first result', ref('CommandResult')), ...problems(400, 401, 403, 404, 409, 410, 413, 415, 422, 503) },
    },
  },
  '/v1/approvals/{id}/reject': {
    post: {
      operationId: 'rejectApproval',
      tags: ['Approvals'],
      summary: 'Reject a waiting proposal (an approver, or its proposer withdrawing it): it never executes',
      parameters: path(ApprovalIdParam),
      requestBody: { required: true, content: json(schemaOf(ApprovalRejectBody), { reason: 'not before the freeze ends' }) },
      responses: { '200': ok('approval', { type: 'object' }), ...problems(400, 401, 403, 404, 409, 410, 413, 415) },
    },
  },
  '/v1/audit/events': {
    get: {
      operationId: 'listAuditEvents',
      tags: ['Audit'],
      summary: "The tenant's audit index: sealed events and denials, newest first, paged",
      description:
        'One entry per sealed event (outcome allowed) and per sealed denial (outcome denied). The tenant comes from the token. ' +
        'Admins only (policy audit-index-admins). Follow `next` (or pass `nextCursor` as cursor) until it is absent.',
      parameters: query(AuditEventsQuery, { ...auditFilterDescriptions, limit: 'default 100' }),
      responses: {
        '200': ok('A page', { type: 'object', required: ['events'], properties: { events: { type: 'array', items: ref('AuditEntry') }, nextCursor: { type: 'string' }, next: { type: 'string' } } }),
        ...problems(400, 401, 403, 503),
      },
    },
  },
  '/v1/audit/export': {
    get: {
      operationId: 'exportAuditEvents',
      tags: ['Audit'],
      summary: 'The whole filtered audit answer as a streamed attachment (NDJSON, or CSV with a header row)',
      parameters: query(AuditExportQuery, { ...auditFilterDescriptions, format: 'default ndjson' }),
      responses: {
        '200': {
          description: 'Newest first; CSV per RFC 4180 with the AuditEntry fields as columns, in order',
          content: { 'application/x-ndjson': { schema: ref('AuditEntry') }, 'text/csv': { schema: { type: 'string' } } },
        },
        ...problems(400, 401, 403, 503),
      },
    },
  },
  '/v1/streams/{stream}': {
    get: {
      operationId: 'readStream',
      tags: ['Ledger'],
      summary: "A stream's sealed events, paged",
      parameters: [
        { name: 'stream', in: 'path', required: true, schema: schemaOf(StreamName), description: 'URL-encoded stream name, e.g. acme%2Fgraph.node%2Fsvc%3Acheckout' },
        ...query(StreamPageQuery, { limit: 'default 100' }),
      ],
      description: 'Each event as sealed plus `position`, its place in the global log, which the log adds and no hash or signature covers: drop `position` before hashing or verifying an event (the offline verifier refuses an event that carries it). Sealed: every other field; `hash` covers all but `hash`, `keyId` and `signature`.',
      responses: { '200': ok('Sealed events (each with the unsealed `position`), with nextRevision and next while more remain', { type: 'object' }), ...problems(400, 401, 403, 404, 503) },
    },
  },
  '/v1/ledger/verify': {
    get: {
      operationId: 'verifyLedger',
      tags: ['Ledger'],
      summary: "Verify the tenant's whole log, or one stream",
      parameters: query(LedgerVerifyQuery, { stream: 'a stream name; default the whole tenant log' }),
      description: "For the whole tenant, `tree` also holds the tenant's Merkle tree, rebuilt from the events read, against every checkpoint the log carries: a removed, inserted, reordered or moved event before a checkpoint fails it; `unanchored` counts the events after the last verified checkpoint",
      responses: { '200': ok('Report (ok=false names each broken event)', ref('VerifyReport')), ...problems(400, 401, 403, 404, 503) },
    },
    post: {
      operationId: 'verifyLedgerAgainstCheckpoint',
      tags: ['Ledger'],
      summary: "Verify the tenant's whole log, and that it still holds exactly what a checkpoint the client kept committed to",
      description: 'A rollback, a truncation or a deletion before that checkpoint fails (`tree.trusted.ok` false, a failure naming it)',
      requestBody: { required: true, content: json(schemaOf(TrustedCheckpointBody)) },
      responses: { '200': ok('Report', ref('VerifyReport')), ...problems(400, 401, 403, 404, 413, 415, 503) },
    },
  },
  '/v1/ledger/keys': {
    get: {
      operationId: 'getSigningKeys', tags: ['Ledger'], summary: 'Published signing keys', security: PUBLIC,
      description: "Each key with its id, raw Ed25519 key, JWK and validity window, and `noteVerifier`: the c2sp.org/signed-note verifier string (`<log origin>+<hex id>+<base64 key>`) that checks the tenants' checkpoint notes; and `rotations`: the sealed `ledger.key.rotated` events, oldest first, each signed by the outgoing key and naming the incoming one (`retiredKeyId`, `retiredPublicKey`, `nextKeyId`, `nextPublicKey`, `finalPosition`, `retiredAt`), so a client that pinned the first key reaches the current one without trusting `keys`",
      responses: { '200': ok('Keys', { type: 'object' }), ...problems() },
    },
  },
  '/v1/ledger/checkpoint': {
    get: {
      operationId: 'getLatestCheckpoint', tags: ['Ledger'], summary: "The tenant's latest signed checkpoint",
      description: 'A c2sp.org/tlog-checkpoint body (`<origin>\\n<size>\\n<base64 root>\\n`, origin `<COMPANYOS_LOG_ORIGIN>/<tenant>`) signed as a c2sp.org/signed-note with the log key (see GET /v1/ledger/keys), then one c2sp.org/tlog-cosignature line per witness the server holds a cosignature from for it (witnesses: COMPANYOS_WITNESSES). 409 not-anchored before the first.',
      responses: { '200': { description: 'The signed note', content: { 'text/plain': { schema: { type: 'string' } } } }, ...problems(400, 401, 403, 409, 503) },
    },
  },
  '/v1/ledger/checkpoints': {
    get: {
      operationId: 'listCheckpoints', tags: ['Ledger'], summary: "The tenant's signed checkpoints from a size on, smallest first",
      description: 'Each `note` as GET /v1/ledger/checkpoint serves it: signed by the log key, then the witness cosignatures the server holds for it.',
      parameters: query(CheckpointsQuery, { fromSize: 'smallest tree size listed (default 0)', limit: 'default 100' }),
      responses: { '200': ok('Checkpoints, with next while more remain', ref('CheckpointList')), ...problems(400, 401, 403, 503) },
    },
  },
  '/v1/ledger/checkpoints/cosignatures': {
    post: {
      operationId: 'postCosignature', tags: ['Ledger'], summary: 'A witness hands back a checkpoint it cosigned',
      description: 'The checkpoint note with the witness\'s c2sp.org/tlog-cosignature line (`companyos witness` posts it). Kept when its text is exactly a checkpoint the server issued for this tenant and the line verifies with a witness key the operator configured (COMPANYOS_WITNESSES; a tenant cannot add one): 403 unknown-witness, 422 cosignature-invalid otherwise. Answers the size and the witnesses kept.',
      requestBody: { required: true, content: json(schemaOf(CosignatureBody)) },
      responses: { '201': ok('Kept: treeSize and witnesses (name+id)', { type: 'object' }), ...problems(400, 401, 403, 413, 415, 422, 503) },
    },
  },
  '/v1/ledger/proofs/inclusion': {
    get: {
      operationId: 'getInclusionProof', tags: ['Ledger'], summary: "An event's RFC 9162 inclusion proof in the tenant's tree",
      parameters: query(InclusionProofQuery, { event: 'the event id', treeSize: "the tree's size to prove against (default: the latest checkpoint's)" }),
      responses: { '200': ok('The audit path, leaf to root', ref('InclusionProof')), ...problems(400, 401, 403, 404, 409, 503) },
    },
  },
  '/v1/ledger/proofs/consistency': {
    get: {
      operationId: 'getConsistencyProof', tags: ['Ledger'], summary: "RFC 9162 consistency proof between two sizes of the tenant's tree",
      parameters: query(ConsistencyProofQuery, { from: 'the older size (≥ 1)', to: 'the newer size (≥ from, at most the tree size)' }),
      responses: { '200': ok('The proof', ref('ConsistencyProof')), ...problems(400, 401, 403, 404, 503) },
    },
  },
  '/v1/ledger/receipts/{eventId}': {
    get: {
      operationId: 'getReceipt', tags: ['Ledger'], summary: 'A self-contained receipt of one event',
      description: 'The sealed event (without `position`, which is not sealed), its inclusion proof at the latest checkpoint, that checkpoint note with the witness cosignature lines the server holds for it (c2sp.org/tlog-cosignature), and the keys; checkable offline (ledger/offline-verifier.ts, `companyos verify-receipt`, `--witness-key` for the witnesses). 409 not-anchored until a checkpoint covers the event.',
      parameters: path(ReceiptPath, { eventId: 'the event id' }),
      responses: { '200': ok('The receipt', ref('Receipt')), ...problems(400, 401, 403, 404, 409, 503) },
    },
  },
  '/v1/ledger/receipts': {
    get: {
      operationId: 'exportReceipts', tags: ['Ledger'], summary: 'Receipts of a stream, or of a time range, as NDJSON',
      description: 'Name `stream`, or `from` and `to` (sealed in [from, to)); one receipt per line, in tree order, all against the latest checkpoint (its note with the witness cosignatures held for it). Header `companyos-unanchored` counts selected events no checkpoint covers yet (no receipt for them); `companyos-tree-size` is the checkpoint\'s size.',
      parameters: query(ReceiptsQuery, { stream: 'a stream of the tenant', from: 'sealed at or after', to: 'sealed before', limit: 'default 10000' }),
      responses: { '200': { description: 'One receipt per line', content: { 'application/x-ndjson': { schema: ref('Receipt') } } }, ...problems(400, 401, 403, 404, 409, 503) },
    },
  },
  '/v1/evidence/checkpoint': {
    get: {
      operationId: 'viewCheckpoint', tags: ['Evidence'], summary: "The tenant's latest checkpoint, its view recorded",
      description: 'As GET /v1/ledger/checkpoint (the note with the witness cosignatures held for it), as JSON with its size and root; the view is sealed as `evidence.accessed` (evidence.view of checkpoint:<tenant>@<size> in the audit index) before the answer. The audit portal\'s ledger view reads this. 409 not-anchored before the first checkpoint.',
      responses: { '200': ok('treeSize, rootHash, note, eventId, accessEventId', { type: 'object' }), ...problems(401, 403, 409, 503) },
    },
  },
  '/v1/evidence/events/{eventId}': {
    get: {
      operationId: 'viewEvent', tags: ['Evidence'], summary: 'A sealed event with its decision and receipt, its view recorded',
      description: 'Authorized as stream.read of the event\'s stream (its privacy tier: personal data needs a declared purpose); sealed as `evidence.accessed` (evidence.view of event:<id>) before the answer. `receipt` is absent until a checkpoint covers the event. Header `companyos-access-event` names the access event.',
      parameters: path(ReceiptPath, { eventId: 'the event id' }),
      responses: { '200': ok('event, receipt (when anchored), accessEventId', { type: 'object' }), ...problems(400, 401, 403, 404, 503) },
    },
  },
  '/v1/evidence/receipts/{eventId}': {
    get: {
      operationId: 'downloadReceipt', tags: ['Evidence'], summary: "An event's receipt as a file, its download recorded",
      description: 'The receipt of GET /v1/ledger/receipts/{eventId} as an attachment, sealed as `evidence.accessed` (evidence.download of receipt:<id>) before the answer. Authorized as stream.read of the event\'s stream. 409 not-anchored (nothing recorded) until a checkpoint covers it.',
      parameters: path(ReceiptPath, { eventId: 'the event id' }),
      responses: { '200': { description: 'The receipt (attachment)', content: { 'application/json': { schema: ref('Receipt') } } }, ...problems(400, 401, 403, 404, 409, 503) },
    },
  },
  '/healthz': { get: { operationId: 'getLiveness', tags: ['System'], summary: 'Liveness', security: PUBLIC, responses: { '200': ok('Alive', { type: 'object' }), ...problems() } } },
  '/readyz': {
    get: {
      operationId: 'getReadiness', tags: ['System'], summary: 'Readiness: the log answers and every projection has caught up', security: PUBLIC,
      responses: { '200': ok('Ready', { type: 'object' }), '503': ok('Not ready: what is still waiting', { type: 'object' }), ...problems() },
    },
  },
  '/metrics': {
    get: {
      operationId: 'getMetrics', tags: ['System'], summary: 'Prometheus metrics', security: PUBLIC,
      responses: { '200': { description: 'Text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } }, ...problems() },
    },
  },
  '/openapi.json': {
    get: { operationId: 'getOpenApi', tags: ['System'], summary: 'This document', security: PUBLIC, responses: { '200': ok('OpenAPI 3.1', { type: 'object' }), ...problems() } },
  },
  '/portal': { get: { operationId: 'redirectPortal', tags: ['Portal'], summary: 'Redirects to /portal/', security: PUBLIC, responses: { '308': { description: 'To /portal/' } } } },
  '/portal/': {
    get: {
      operationId: 'getPortal', tags: ['Portal'], summary: 'The audit portal (HTML)', security: PUBLIC,
      description: 'A static page under a strict Content-Security-Policy; everything it shows it reads from /v1 with the bearer token the user signs in with.',
      responses: { '200': { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
  },
  '/portal/app.js': { get: { operationId: 'getPortalScript', tags: ['Portal'], summary: "The portal's one script bundle", security: PUBLIC, responses: { '200': { description: 'JavaScript (ES module)', content: { 'text/javascript': { schema: { type: 'string' } } } } } } },
  '/portal/app.css': { get: { operationId: 'getPortalStyles', tags: ['Portal'], summary: "The portal's style sheet", security: PUBLIC, responses: { '200': { description: 'CSS', content: { 'text/css': { schema: { type: 'string' } } } } } } },
  '/portal/session-options': {
    get: {
      operationId: 'getPortalSessionOptions', tags: ['Portal'], summary: 'How to sign in here: devSignIn (tenant, roles) with development keys; oidc (issuer, clientId, scope, resource, authorizationEndpoint, tokenEndpoint) with an OpenID provider configured; each else null', security: PUBLIC,
      description: "The oidc endpoints come from the configured issuer's discovery document, fetched by this server; 503 while it cannot be fetched or is unusable.",
      responses: { '200': ok('devSignIn, oidc', { type: 'object' }), ...problems(503) },
    },
  },
  '/portal/dev-sign-in': {
    post: {
      operationId: 'postPortalDevSignIn', tags: ['Portal'], summary: 'A short-lived demo-tenant token (development keys only, a browser on this machine only)', security: PUBLIC,
      description: 'Body `{"role": "auditor" | "admin"}`. 404 when the server uses configured keys (COMPANYOS_JWT_SECRET or COMPANYOS_JWKS_URL); 403 to a peer that is not loopback.',
      requestBody: { required: true, content: json({ type: 'object', required: ['role'], properties: { role: { enum: ['auditor', 'admin'] } } }) },
      responses: { '200': ok('token, tenant', { type: 'object' }), ...problems(400, 403, 404, 413, 415) },
    },
  },
};

// ---------------------------------------------------------------------------------------------------
// Response shapes (no codecs: the server writes them)

const responseSchemas = {
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details, with extensions',
    required: ['type', 'title', 'status'],
    properties: {
      type: { type: 'string', format: 'uri-reference', description: 'urn:companyos:problem:<code>' },
      title: { type: 'string' }, status: { type: 'integer', minimum: 400, maximum: 599 }, detail: { type: 'string' },
      instance: { type: 'string', description: 'the request path' }, code: { type: 'string', description: 'short name clients switch on' },
      requestId: { type: 'string' }, errors: { type: 'array', items: { type: 'string' }, description: 'one line per invalid field: path: message' },
      decisionId: { type: 'string', description: 'the sealed policy decision of a 403' },
    },
  },
  ProvenanceSummary: {
    type: 'object',
    description: 'Where a fact came from: the sealed event that says so and its provenance envelope (the whole envelope: GET /v1/graph/edges/{id}/provenance)',
    required: ['actor', 'sourceSystem', 'observedAt', 'effectiveAt', 'recordedAt', 'confidence', 'event'],
    properties: {
      actor: { type: 'object', required: ['id', 'type'], properties: { id: { type: 'string' }, type: { type: 'string' } } },
      sourceSystem: { type: 'string' },
      observedAt: { type: 'string', format: 'date-time', description: 'when the source saw it' },
      effectiveAt: { type: 'string', format: 'date-time', description: 'when it holds from (the version\'s validFrom)' },
      recordedAt: { type: 'string', format: 'date-time', description: 'when it was sealed' },
      confidence: { type: 'number', minimum: 0, maximum: 1, description: "the source's confidence, as sealed (default 1)" },
      event: {
        type: 'object', required: ['id', 'hash', 'revision', 'position'],
        properties: { id: { type: 'string', format: 'uuid' }, hash: { type: 'string' }, revision: { type: 'integer' }, position: { type: 'string', description: 'log position' } },
      },
    },
  },
  Lineage: {
    type: 'object',
    required: ['root', 'depth', 'direction', 'limits', 'items'],
    properties: {
      root: { type: 'object', description: 'the start node (as GET /v1/graph/nodes/{id})' },
      depth: { type: 'integer' }, direction: { enum: ['down', 'up', 'both'] }, types: { type: 'array', items: { type: 'string' } }, asOf: { type: 'string' },
      limits: { type: 'object', properties: { fanOutPerHop: { type: 'integer' }, nodesPerDepth: { type: 'integer' } } },
      items: {
        type: 'array',
        items: {
          type: 'object', required: ['node', 'depth', 'edge', 'provenance'],
          properties: {
            node: { type: 'object', properties: { id: { type: 'string' }, type: { type: 'string' }, region: { type: ['string', 'null'] }, attributes: {} } },
            depth: { type: 'integer' },
            edge: { type: 'object', description: 'the last edge of the path that reached the node', properties: { type: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } } },
            provenance: { ...ref('ProvenanceSummary'), description: "the edge's" },
          },
        },
      },
      nextCursor: { type: 'string' }, next: { type: 'string', description: 'the URL of the next page' },
    },
  },
  BudgetStatus: {
    type: 'object',
    required: ['tenant', 'period', 'from', 'to', 'budget', 'spent', 'share', 'thresholdsCrossed', 'anomalies'],
    properties: {
      tenant: { type: 'string' },
      period: { type: 'string', description: 'YYYY-MM' },
      from: { type: 'string', format: 'date-time' },
      to: { type: 'string', format: 'date-time', description: 'exclusive: the month\'s end, or now while it runs' },
      budget: { type: ['object', 'null'], properties: { amount: { type: 'string', description: 'exact decimal' }, currency: { type: 'string' } } },
      spent: { type: ['string', 'null'], description: 'exact decimal, in the budget\'s currency' },
      share: { type: ['string', 'null'], description: 'spent / budget, percent, 2 decimals at most' },
      thresholdsCrossed: {
        type: 'array',
        description: 'finops.budget.threshold.crossed events of the month (the FinOps monitor records each once), with the spend when it was crossed',
        items: { type: 'object', properties: { threshold: { enum: [75, 90, 100] }, spent: { type: 'string' }, budget: { type: 'string' }, currency: { type: 'string' }, recordedAt: { type: 'string' }, eventId: { type: 'string' } } },
      },
      anomalies: {
        type: 'array',
        description: 'finops.anomaly.detected events of the month: a day\'s cost of a service outside mean ± 3σ of its trailing 28 days',
        items: {
          type: 'object',
          properties: {
            day: { type: 'string' }, service: { type: 'string' }, currency: { type: 'string' }, cost: { type: 'string' }, mean: { type: 'string' }, stddev: { type: 'string' },
            direction: { enum: ['above', 'below'] }, recordedAt: { type: 'string' }, eventId: { type: 'string' },
          },
        },
      },
    },
  },
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
  CheckpointList: {
    type: 'object',
    required: ['checkpoints'],
    properties: {
      checkpoints: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            treeSize: { type: 'integer' }, rootHash: { type: 'string', description: 'base64' }, note: { type: 'string', description: 'the signed note' },
            keyId: { type: 'string' }, eventId: { type: 'string', description: 'the ledger.checkpoint.signed event that carries it' }, position: { type: 'string' },
          },
        },
      },
      next: { type: 'string' },
    },
  },
  InclusionProof: {
    type: 'object',
    required: ['leafIndex', 'treeSize', 'leafHash', 'hashes'],
    properties: {
      leafIndex: { type: 'integer' }, treeSize: { type: 'integer' }, leafHash: { type: 'string', description: 'base64 SHA-256(0x00 ‖ event hash bytes)' },
      hashes: { type: 'array', items: { type: 'string' }, description: 'base64, leaf to root' },
    },
  },
  ConsistencyProof: {
    type: 'object',
    required: ['from', 'to', 'hashes'],
    properties: { from: { type: 'integer' }, to: { type: 'integer' }, hashes: { type: 'array', items: { type: 'string' } } },
  },
  Receipt: {
    type: 'object',
    description: 'schemas/receipt.ts',
    required: ['event', 'leafIndex', 'treeSize', 'hashes', 'checkpoint', 'keys'],
    properties: {
      event: { type: 'object', description: 'the sealed event as sealed' }, leafIndex: { type: 'integer' }, treeSize: { type: 'integer' },
      hashes: { type: 'array', items: { type: 'string' } }, checkpoint: { type: 'string', description: 'the signed checkpoint note' },
      keys: { type: 'object', properties: { checkpoint: { type: 'array', items: { type: 'string' } }, events: { type: 'array', items: { type: 'object' } } } },
    },
  },
  VerifyReport: {
    type: 'object',
    required: ['ok', 'eventsChecked', 'streamsChecked', 'failures', 'trust'],
    properties: {
      ok: { type: 'boolean' }, eventsChecked: { type: 'integer' }, streamsChecked: { type: 'integer' },
      trust: {
        type: 'object',
        description: "where the signing keys' chain starts (the keys pinned in COMPANYOS_TRUSTED_KEYS, or with none the log's first key on first use, with a warning) and the keys it reaches through the ledger.key.rotated events on _system/keys; an event signed by any other key, or by a retired key beyond its final position, is a failure naming the key",
        required: ['mode', 'anchors', 'keys'],
        properties: {
          mode: { enum: ['pinned', 'first-use'] },
          anchors: { type: 'array', items: { type: 'string' } },
          keys: { type: 'array', items: { type: 'object', properties: { keyId: { type: 'string' }, pinned: { type: 'boolean' }, validAfter: { type: 'string', description: 'log position' }, finalPosition: { type: 'string', description: 'log position' }, retiredAt: { type: 'string' } } } },
          warning: { type: 'string' },
        },
      },
      tree: {
        type: 'object',
        description: "the whole tenant only: its tree rebuilt from the events against the log's checkpoints (and the client's)",
        properties: {
          treeSize: { type: 'integer' }, checkpoints: { type: 'integer' }, anchoredSize: { type: 'integer' }, unanchored: { type: 'integer' },
          failures: { type: 'array', items: { type: 'object', properties: { treeSize: { type: ['integer', 'null'] }, eventId: { type: 'string' }, reason: { type: 'string' } } } },
          trusted: { type: 'object', properties: { treeSize: { type: ['integer', 'null'] }, ok: { type: 'boolean' } } },
        },
      },
      failures: { type: 'array', items: { type: 'object', properties: { stream: { type: 'string' }, revision: { type: 'integer' }, eventId: { type: 'string' }, reason: { type: 'string' } } } },
    },
  },
};

const TAGS = [
  ['Commands', 'The write side: one command type per path, decoded, authorized, decided and sealed'],
  ['Ingest', 'Third-party payloads (GitHub, OpenLineage) mapped to graph commands'],
  ['Graph', 'Reads of the graph read model: nodes, lineage, impact, change audit'],
  ['Maestro', 'Plans and runs'],
  ['FinOps', 'Usage metering and costs'],
  ['Audit', 'The audit index of sealed events and denials'],
  ['Policy', "The tenant's Cedar policy set: versions, history and preflight"],
  ['Ledger', 'The sealed log: streams, verification, signing keys'],
  ['System', 'Health, readiness, metrics and this document'],
] as const;

/** Every request may carry a body (a GET too), and every route limits it (middleware/body-limit.ts). */
const withBodyLimit = (item: Readonly<Record<string, Operation>>) =>
  Object.fromEntries(Object.entries(item).map(([method, op]) => [method, { ...op, responses: { ...op.responses, ...problems(413) } }]));

/** The document for a pipeline that knows `commandTypes`; throws if a codec cannot be described. */
export function openApiDocument(commandTypes: readonly string[]): object {
  return {
    openapi: '3.1.0',
    info: {
      title: 'CompanyOS Fabric',
      version: '0.1.0',
      description: 'Signed, hash-chained events; policy-checked commands; ledger verification. Every error is an RFC 9457 problem (application/problem+json).',
    },
    servers: [{ url: '/', description: 'the server that serves this document' }],
    tags: TAGS.map(([name, description]) => ({ name, description })),
    security: [{ bearer: [] }],
    paths: Object.fromEntries(
      Object.entries({
        ...Object.fromEntries(commandTypes.map((type) => [`/v1/commands/${type}`, { post: commandOperation(type) }])),
        ...maestroOperations,
        ...Object.fromEntries(Object.entries(graphOperations).map(([p, op]) => [p, { get: op }])),
        ...otherOperations,
      }).map(([p, item]) => [p, withBodyLimit(item)]),
    ),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'a JWT naming the principal, its tenant and roles, and optionally its region' } },
      responses: problemResponses,
      schemas: { ...Object.fromEntries(named.map(([name, codec]) => [name, jsonSchemaOf(codec, { refs })])), ...responseSchemas },
    },
  };
}
