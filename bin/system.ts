// The composition root: wires adapters from configuration into one running system (log, keys, policy,
// command pipeline, HTTP app). `companyos serve`, the tests and the benchmarks all start here.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadJwtSecret } from '../adapters/auth/dev-secret.js';
import { issueDevelopmentToken, jwtVerifier, remoteJwks, type TokenVerifier } from '../adapters/auth/jwt.js';
import { oidcClientOptions } from '../adapters/auth/oidc-discovery.js';
import { DEMO_REGION, DEMO_TENANT } from './demo-tenant.js';
import { policySetProblems } from '../adapters/cedar/policy-set.js';
import { TenantPolicies } from '../adapters/cedar/tenant-policies.js';
import { createApp } from '../adapters/http/app.js';
import { Metrics } from '../adapters/http/metrics.js';
import { loadKeyring } from '../adapters/keys/keyring-store.js';
import type { AccessDeps } from '../commands/access.js';
import { CommandPipeline } from '../commands/pipeline.js';
import { DEFAULT_RETRY } from '../commands/stream-writer.js';
import { checkSigningKeyCurrent } from '../commands/rotate-key.js';
import { commandHandlers, meteringSegmentStream, planRegisterHandler, policyCommandHandlers, segmentIdsOf } from '../domain/index.js';
import { NO_ACTIONS } from '../schemas/actions.js';
import { actionSettingsOf } from '../adapters/maestro/action-catalogue.js';
import { actionPerformer } from '../adapters/maestro/actions.js';
import { keepDataDirPrivate } from './private-data-dir.js';
import { streamName } from '../schemas/streams.js';
import { regionOfStreams, startFinopsMonitor } from '../commands/finops-monitor.js';
import type { Keyring } from '../ledger/index.js';
import type { Config } from '../schemas/config.js';
import type { EventLog } from '../adapters/event-log/index.js';
import { projectionSummary, projectionsNotReady, renderProjectionMetrics } from '../adapters/http/projection-status.js';
import type { PostgresDatabase } from '../adapters/read-store/postgres/database.js';
import { GraphQueries } from '../projections/graph/queries.js';
import { RunQueries } from '../projections/runs/queries.js';
import { TreeQueries } from '../projections/tree/tree-queries.js';
import { CosignatureStore } from '../adapters/read-store/cosignatures.js';
import { startCheckpointer, type Checkpointer, type CheckpointerOptions } from '../commands/checkpointer.js';
import { startExecutor, type Executor, type ExecutorOptions } from '../commands/maestro/executor.js';
import { systemClock } from '../commands/maestro/clock.js';
import { READ_MODELS, auditProjection, startProjector, type Projector, type ProjectorOptions } from '../projections/index.js';
import { lazyAuditIndex, migrateClickHouse, type ClickHouseStore } from '../adapters/analytics-store/clickhouse/index.js';
import { MeteringIngest } from '../commands/metering-ingest.js';
import { costProjection } from '../projections/costs/cost-projection.js';
import { CostQueries } from '../projections/costs/cost-queries.js';
import { costMigrations } from '../projections/costs/cost-schema.js';
import { openLog, type Progress } from './open-log.js';
import { openAnalyticsStore, openReadStore } from './read-store.js';

export const DEFAULT_POLICY_FILE = fileURLToPath(new URL('../commands/policies/default.cedar', import.meta.url));

export interface System {
  /** The policy set in force per tenant, followed from the log (the pipeline's authorizer). */
  readonly policies: TenantPolicies;
  readonly config: Config;
  readonly log: EventLog;
  readonly keyring: Keyring;
  readonly pipeline: CommandPipeline;
  /** Records metering batches: POST /v1/metering/events and `ingest.<tenant>.metering` share it. */
  readonly meteringIngest: MeteringIngest;
  /** Verifies bearer tokens: the HTTP API's, and NATS ingest messages that carry one. */
  readonly tokens: TokenVerifier;
  readonly metrics: Metrics;
  readonly app: ReturnType<typeof createApp>;
  /** Set when tokens are HS256 (development); absent with a JWKS URL. */
  readonly jwtSecret: Uint8Array | undefined;
  /** Where the log lives, for people: "PostgreSQL at …", "PGlite in ./data/pglite", … */
  readonly logDescription: string;
  /** The PostgreSQL of the read models and their checkpoints (migrated). */
  readonly readStore: PostgresDatabase<any>;
  /** The projectors started by `startProjectors` (none until then). */
  projectors(): readonly Projector[];
  /**
   * Starts the log followers of this process: one projector per read model (graph, runs, audit index, costs),
   * Maestro's executor (both on standby where another process holds their lock) and the FinOps monitor
   * (no lock needed: each fact it records has a fixed id).
   */
  startProjectors(options?: ProjectorOptions): readonly Projector[];
  /** Starts Maestro's executor in this process (standby while another process holds its lock). */
  /** The real actions (the operator's settings) unless `options.perform` says otherwise. */
  startExecutor(options?: Partial<ExecutorOptions>): Executor;
  /**
   * Starts the checkpointer in this process (standby while another holds its lock): signs each grown tenant
   * tree at most every COMPANYOS_CHECKPOINT_INTERVAL and at close. `startProjectors` starts it too.
   */
  startCheckpointer(options?: CheckpointerOptions): Checkpointer;
  /** What Maestro's steps may do here (actions, their user, egress), one line for start-up output. */
  readonly maestroDescription: string;
  /** Stops the projectors, then closes the stores. */
  close(): Promise<void>;
}

export interface SystemOverrides {
  /** Use this log instead of opening one from configuration (tests); the caller closes it. */
  readonly log?: EventLog;
  readonly clock?: () => Date;
  /**
   * The ClickHouse of the audit index (tests: one chDB per process, see test/analytics.ts); the caller
   * closes it. Otherwise it is opened from configuration on first use, never by processes that neither
   * project nor read the audit index (chDB allows one data directory per process).
   */
  readonly analytics?: ClickHouseStore;
  /** Told each step of start-up that takes time (`serve` prints them on stderr). */
  readonly progress?: Progress;
}

export async function openSystem(config: Config, overrides: SystemOverrides = {}): Promise<System> {
  const clock = overrides.clock ?? (() => new Date());
  // First: a bad actions file or action user stops start-up before anything opens.
  const maestro = await actionSettingsOf(config);
  await keepDataDirPrivate(config.dataDir);
  const progress = overrides.progress ?? (() => {});
  // The log opens (the slow part of a start) while the keys, the policies and the token secret load.
  const opening = overrides.log !== undefined ? Promise.resolve({ log: overrides.log, description: 'injected log', close: async () => {} }) : openLog(config, progress);
  const [keyring, authorizer, jwtSecret] = await Promise.all([
    loadKeyring({ signingKey: config.signingKey, keyringFile: config.keyringFile, dataDir: config.dataDir, trustedKeys: config.trustedKeys }, clock().toISOString()),
    readFile(config.policyFile ?? DEFAULT_POLICY_FILE, 'utf8').then((policies) => new TenantPolicies(policies)),
    config.jwt.jwksUrl !== undefined && config.jwt.secret === undefined ? undefined : loadJwtSecret(config.jwt.secret, config.dataDir),
  ]).catch(async (error: unknown) => {
    await opening.then((o) => o.close(), () => {});
    throw error;
  });
  const tokens: TokenVerifier =
    jwtSecret !== undefined ? jwtVerifier(jwtSecret, config.jwt) : jwtVerifier(remoteJwks(config.jwt.jwksUrl!), config.jwt);
  const opened = await opening;
  // A key a rotation retired never seals again (an old keyring restored, a second server on the old file).
  await checkSigningKeyCurrent(opened.log, keyring.active).catch(async (error: unknown) => {
    await opened.close();
    throw error;
  });
  // Every tenant's published policy version, before anything is decided (then followed live, below).
  await authorizer.catchUp(opened.log).catch(async (error: unknown) => {
    await opened.close();
    throw error;
  });
  const read = await openReadStore(config, opened.log, progress).catch(async (error: unknown) => {
    await opened.close();
    throw error;
  });
  const projectors: Projector[] = [];
  const injected = overrides.analytics;
  // One ClickHouse per process (chDB holds one data directory per process), shared by the audit index and
  // the cost read model, opened on first use; the cost tables are migrated then.
  let analyticsOpening: Promise<ClickHouseStore> | undefined;
  const analytics = (): Promise<ClickHouseStore> =>
    (analyticsOpening ??= (injected !== undefined ? Promise.resolve(injected) : openAnalyticsStore(config))
      .then(async (store) => (await migrateClickHouse(store, costMigrations), store))
      .catch((error: unknown) => {
        analyticsOpening = undefined;
        throw error;
      }));
  const auditIndex = lazyAuditIndex(analytics, { owned: false });
  const costs = new CostQueries(analytics);
  const metrics = new Metrics();
  const trees = new TreeQueries(read.store);
  const checkpointerDeps = { log: opened.log, trees, keyring, lock: read.store, clock, logOrigin: config.ledger.logOrigin };
  metrics.collect(() => renderProjectionMetrics(projectors.map((p) => p.status())));
  const access: AccessDeps = {
    log: opened.log,
    keyring,
    authorizer,
    clock,
    newId: randomUUID,
    auditRetry: { attempts: 20, baseDelayMs: 2, onConflict: () => metrics.revisionConflicts.inc({ stream: 'audit' }) },
    tenantRegions: config.tenantRegions,
  };
  const pipeline = new CommandPipeline({
    ...access,
    // Plans are registered against the operator's actions (script steps name one of them).
    // Policy changes are validated against the repo's Cedar schema; a tenant's first one seals the default as version 1.
    handlers: {
      ...Object.fromEntries(commandHandlers),
      'plan.register': planRegisterHandler(maestro.settings.actions ?? NO_ACTIONS),
      ...policyCommandHandlers({ defaultText: authorizer.defaultText, problems: (text) => policySetProblems(text) }),
    },
    retry: { ...DEFAULT_RETRY, onConflict: () => metrics.revisionConflicts.inc({ stream: 'aggregate' }) },
  });
  const meteringIngest = new MeteringIngest({
    access,
    pipeline,
    costs,
    segmentIds: async (tenant, segment) => segmentIdsOf(await opened.log.readStream(meteringSegmentStream(tenant, segment))),
  });
  const app = createApp({
    access,
    pipeline,
    tokens,
    graph: new GraphQueries(read.store),
    policies: authorizer,
    ledgerTree: { trees, logOrigin: config.ledger.logOrigin },
    cosignatures: { store: new CosignatureStore(read.store), witnesses: config.ledger.witnesses },
    runs: new RunQueries(read.store),
    audit: auditIndex,
    finops: {
      costs,
      ingest: meteringIngest,
    },
    metrics,
    githubWebhooks: config.githubWebhooks,
    // Development keys (the secret generated into the data directory): the portal offers the demo tenant in one click.
    // With an OpenID provider configured (COMPANYOS_OIDC_*), the portal signs in there: code + PKCE in the browser.
    portal: {
      ...(jwtSecret === undefined || config.jwt.secret !== undefined ? {} : {
        devSignIn: {
          tenant: DEMO_TENANT,
          issue: (role) => issueDevelopmentToken(jwtSecret, config.jwt, { tenant: DEMO_TENANT, roles: [role], region: DEMO_REGION, subject: `dev:portal:${role}`, ttlSeconds: Math.min(3600, config.jwt.maxTtlSeconds) }, Math.floor(clock().getTime() / 1000)),
        },
      }),
      ...(config.oidc === undefined ? {} : { oidc: { issuerOrigin: new URL(config.oidc.issuer).origin, options: oidcClientOptions(config.oidc) } }),
    },
    admission: config.admission,
    readinessDetails: () => (projectors.length === 0 ? {} : { projections: projectionSummary(projectors.map((p) => p.status())) }),
    notReady: async () => {
      const waiting = projectionsNotReady(projectors.map((p) => p.status()));
      try {
        await opened.log.readAll({ maxCount: 1 });
      } catch {
        waiting.unshift('event log');
      }
      return waiting;
    },
  });
  // Every process follows the policy events: a publication switches its decisions without a restart.
  const policyFollower = authorizer.follow(opened.log, (error) => console.error('policy follower:', error));
  let executor: Executor | undefined;
  let checkpointer: Checkpointer | undefined;
  let stopFinopsMonitor: (() => void) | undefined;
  return {
    config,
    log: opened.log,
    keyring,
    policies: authorizer,
    pipeline,
    meteringIngest,
    tokens,
    metrics,
    app,
    jwtSecret,
    logDescription: opened.description,
    maestroDescription: maestro.description,
    readStore: read.store,
    projectors: () => projectors,
    startProjectors(options = {}) {
      if (projectors.length === 0) {
        // The audit projector keeps its checkpoint (and lock) in PostgreSQL too; its rows go to ClickHouse.
        const all = [...READ_MODELS, auditProjection(auditIndex), costProjection(analytics)];
        projectors.push(...all.map((p) => startProjector({ log: opened.log, store: read.store }, p, options)));
        // Migrates at start; a failure here is retried by the projector and shows in its status.
        auditIndex.ready().catch((error: unknown) => (options.onError ?? console.error)(error));
      }
      // Tenant checkpoints: signed from the tree read model as it grows (one active process, by its lock);
      // COMPANYOS_CHECKPOINT_INTERVAL=0 turns them off (for measuring their cost only: nothing is anchored).
      if (config.ledger.checkpointIntervalMs > 0) checkpointer ??= startCheckpointer(checkpointerDeps, { intervalMs: config.ledger.checkpointIntervalMs, ...(options.onError === undefined ? {} : { onError: options.onError }) });
      // Maestro's executor follows the log beside the projectors (one active process, by its lock).
      executor ??= startExecutor({ log: opened.log, store: read.store, pipeline }, { perform: actionPerformer({ ...maestro.settings, clock: systemClock }) });
      // Budgets and anomalies: evaluated every 15 minutes; each fact has a fixed id, so overlapping monitors are harmless.
      stopFinopsMonitor ??= startFinopsMonitor({
        pipeline,
        costs,
        log: opened.log,
        clock,
        tenants: () => costs.tenants(),
        regionOf: (tenant) => regionOfStreams(opened.log, [streamName(tenant, 'finops.budget'), meteringSegmentStream(tenant, 0)]),
      });
      return projectors;
    },
    startCheckpointer(options = {}) {
      checkpointer ??= startCheckpointer(checkpointerDeps, { intervalMs: config.ledger.checkpointIntervalMs, ...options });
      return checkpointer;
    },
    startExecutor(options = {}) {
      executor ??= startExecutor(
        { log: opened.log, store: read.store, pipeline },
        { perform: actionPerformer({ ...maestro.settings, clock: options.clock ?? systemClock }), ...options },
      );
      return executor;
    },
    async close() {
      await policyFollower.close();
      stopFinopsMonitor?.();
      await executor?.close();
      // Before the projectors: its last pass signs what the tree holds now.
      await checkpointer?.close();
      await Promise.all(projectors.map((p) => p.close()));
      await auditIndex.close();
      if (injected === undefined) await (await analyticsOpening?.catch(() => undefined))?.close();
      await read.close();
      await opened.close();
    },
  };
}
