// The HTTP API: composes middleware and routes. Every error leaves as an RFC 9457 problem; no stack
// trace ever reaches a caller (it goes to the server log with the request id).
import { Hono } from 'hono';
import type { AccessDeps } from '../../commands/access.js';
import type { CommandPipeline } from '../../commands/pipeline.js';
import type { CostQueries } from '../../projections/costs/cost-queries.js';
import type { AuditIndexReader } from '../../projections/audit/audit-index.js';
import type { GraphQueries } from '../../projections/graph/queries.js';
import type { RunQueries } from '../../projections/runs/queries.js';
import type { GithubWebhookSecret } from '../../schemas/config.js';
import type { TokenVerifier } from '../auth/jwt.js';
import { answerError, type ErrorReport } from './answer-error.js';
import type { AppEnv } from './env.js';
import type { Metrics } from './metrics.js';
import { authenticate } from './middleware/authenticate.js';
import { admitCommands } from './middleware/command-admission.js';
import { CommandSlots, renderSlotGauges, type SlotLimits } from './command-slots.js';
import { DEFAULT_ADMISSION } from '../../schemas/config.js';
import { limitBodyOfBodilessMethods } from './middleware/body-limit.js';
import { recordMetrics } from './middleware/metrics.js';
import { requestId } from './middleware/request-id.js';
import { openApiDocument } from './openapi.js';
import { problem, sendProblem } from './problem.js';
import { auditRoutes } from './routes/audit.js';
import { commandRoutes } from './routes/commands.js';
import { finopsRoutes } from './routes/finops.js';
import type { MeteringIngest } from '../../commands/metering-ingest.js';
import { meteringRoutes } from './routes/metering.js';
import { graphRoutes } from './routes/graph.js';
import { planRoutes } from './routes/plans.js';
import { runRoutes } from './routes/runs.js';
import { githubIngestRoutes } from './routes/ingest-github.js';
import { openLineageIngestRoutes } from './routes/ingest-openlineage.js';
import { ledgerRoutes } from './routes/ledger.js';
import { ledgerProofRoutes, type LedgerProofDeps } from './routes/ledger-proofs.js';
import { cosignatureRoutes, cosignedCheckpoints } from './routes/cosignatures.js';
import type { CosignatureDeps } from '../../commands/cosignatures.js';
import { policyRoutes, type PoliciesInForce } from './routes/policy.js';
import { systemRoutes } from './routes/system.js';
import { portalRoutes, type PortalDeps } from './routes/portal.js';
import { evidenceRoutes } from './routes/evidence.js';
import { keyRotations } from '../../commands/rotate-key.js';
import { Approvals } from '../../commands/approvals.js';
import { approvalRoutes } from './routes/approvals.js';

export interface AppDeps {
  readonly access: AccessDeps;
  readonly pipeline: CommandPipeline;
  readonly tokens: TokenVerifier;
  /** The graph read model's queries (GET /v1/graph/...). */
  readonly graph: GraphQueries;
  /** The run-state read model's queries (GET /v1/runs/...); absent: the run routes answer 404. */
  readonly runs?: RunQueries;
  /** The tenant trees: checkpoints, proofs and receipts (GET /v1/ledger/checkpoint…); absent: those routes answer 404. */
  readonly ledgerTree?: Omit<LedgerProofDeps, 'access'>;
  /** Witness cosignatures (POST /v1/ledger/checkpoints/cosignatures; served on GET /v1/ledger/checkpoint); needs ledgerTree. */
  readonly cosignatures?: Pick<CosignatureDeps, 'store' | 'witnesses'>;
  /** The policy set in force per tenant (GET /v1/policy…, POST /v1/policy/preflight); absent: those routes answer 404. */
  readonly policies?: PoliciesInForce;
  /** The audit index's reads (GET /v1/audit/...). */
  readonly audit: AuditIndexReader;
  /** Metering ingest (POST /v1/metering/events) and cost reads (GET /v1/finops/costs); absent: 404. */
  readonly finops?: { readonly ingest: MeteringIngest; readonly costs: CostQueries };
  readonly metrics: Metrics;
  readonly notReady: () => Promise<readonly string[]>;
  readonly readinessDetails?: () => Readonly<Record<string, unknown>>;
  /** Secrets that authenticate GitHub webhooks (POST /v1/ingest/github); none: every delivery gets 401. */
  readonly githubWebhooks?: readonly GithubWebhookSecret[];
  /** Backpressure on the routes that run commands (COMPANYOS_MAX_INFLIGHT…); default DEFAULT_ADMISSION. */
  readonly admission?: SlotLimits & { readonly commandTimeoutMs: number };
  /** The audit portal (GET /portal/…); its development sign-in only with development keys. */
  readonly portal?: PortalDeps;
  /** Where unexpected errors are reported; default console.error. */
  readonly reportError?: ErrorReport;
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const report: ErrorReport = deps.reportError ?? ((error, id) => console.error(`request ${id ?? '-'} failed:`, error));
  const document = openApiDocument(deps.pipeline.commandTypes());
  const limits = deps.admission ?? DEFAULT_ADMISSION;
  const slots = new CommandSlots(limits);
  deps.metrics.collect(() => renderSlotGauges(slots));
  const admit = admitCommands({ slots, timeoutMs: limits.commandTimeoutMs, metrics: deps.metrics });

  // Routes that read a body limit it themselves (middleware/body-limit.ts); every other request gets a small limit.
  app.use('*', requestId(), recordMetrics(deps.metrics), limitBodyOfBodilessMethods());
  // Public routes first: in hono, a route registered before a middleware answers without it.
  app.route('/', systemRoutes({
    keyring: deps.access.keyring,
    rotations: () => keyRotations(deps.access.log),
    ...(deps.ledgerTree === undefined ? {} : { logOrigin: deps.ledgerTree.logOrigin }),
    ...(deps.cosignatures === undefined ? {} : { witnesses: deps.cosignatures.witnesses }),
    metrics: deps.metrics,
    notReady: deps.notReady,
    ...(deps.readinessDetails === undefined ? {} : { readinessDetails: deps.readinessDetails }),
  }));
  app.get('/openapi.json', (c) => c.json(document));
  // The audit portal's page and script: public files; everything it shows comes from /v1 with the user's token.
  app.route('/', portalRoutes(deps.portal ?? {}));
  // GitHub cannot send a bearer token: its route authenticates by the webhook signature instead (and
  // takes a command slot before it is known whose delivery it is: the process bound only).
  app.use('/v1/ingest/github', admit);
  app.route('/', githubIngestRoutes({ pipeline: deps.pipeline, metrics: deps.metrics, secrets: deps.githubWebhooks ?? [] }));
  app.use('/v1/*', authenticate(deps.tokens));
  // Every POST below runs a command: a bounded number at once, per process and per tenant.
  app.use('/v1/*', admit);
  // Every command goes through the approvals service: dual-control commands need a second person (commands/approvals.ts).
  const approvals = new Approvals({ pipeline: deps.pipeline, log: deps.access.log, clock: deps.access.clock, newId: deps.access.newId });
  app.route('/', commandRoutes(deps.pipeline, deps.metrics, approvals));
  app.route('/', approvalRoutes({ access: deps.access, approvals }));
  app.route('/', openLineageIngestRoutes(deps.pipeline, deps.metrics));
  if (deps.ledgerTree !== undefined && deps.cosignatures !== undefined) {
    // Before the checkpoint routes, so the witness lines wrap their answers.
    const { trees } = deps.ledgerTree;
    app.use('/v1/ledger/checkpoint', cosignedCheckpoints(deps.cosignatures));
    app.use('/v1/ledger/checkpoints', cosignedCheckpoints(deps.cosignatures));
    app.route('/', cosignatureRoutes({ access: deps.access, checkpoints: (tenant, from, limit) => trees.checkpoints(tenant, from, limit), ...deps.cosignatures }));
  }
  app.route('/', ledgerRoutes(deps.access, deps.ledgerTree));
  if (deps.ledgerTree !== undefined) app.route('/', ledgerProofRoutes({ access: deps.access, ...deps.ledgerTree, ...(deps.cosignatures === undefined ? {} : { cosignatures: deps.cosignatures.store }) }));
  if (deps.ledgerTree !== undefined) {
    const { trees, logOrigin } = deps.ledgerTree;
    app.route('/', evidenceRoutes({ access: deps.access, trees, logOrigin, ...(deps.cosignatures === undefined ? {} : { cosignatures: deps.cosignatures }) }));
  }
  if (deps.finops !== undefined) {
    app.route('/', meteringRoutes(deps.finops.ingest, deps.metrics));
    app.route('/', finopsRoutes({ access: deps.access, costs: deps.finops.costs }));
  }
  app.route('/', graphRoutes({ access: deps.access, graph: deps.graph }));
  app.route('/', planRoutes({ pipeline: deps.pipeline, log: deps.access.log }));
  if (deps.runs !== undefined) app.route('/', runRoutes({ access: deps.access, pipeline: deps.pipeline, runs: deps.runs }));
  app.route('/', auditRoutes({ access: deps.access, audit: deps.audit }));
  if (deps.policies !== undefined) app.route('/', policyRoutes({ access: deps.access, pipeline: deps.pipeline, policies: deps.policies }));

  app.notFound((c) => sendProblem(c, problem('not-found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError(answerError(report));
  return app;
}
