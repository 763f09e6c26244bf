// The one source of example payloads: one realistic body per command type (the example of POST
// /v1/commands/{type}), the bodies of the other write routes, and the plan file's per-action blocks. The
// OpenAPI document and the README's command reference (bin/docs/command-reference.ts) both print these;
// tests decode every body with its codec and register every plan block, so none can drift from what is accepted.
const provenance = { sourceSystem: 'github', observedAt: '2026-03-02T09:15:00Z', reason: 'deployment 42 finished', externalId: 'deployment/42' };
const run = { runId: 'deploy-checkout-20260302', region: 'eu-west' };
const step = { ...run, stepId: 'canary' };

const PLAN_YAML = `name: deploy-checkout
description: Roll checkout out behind a canary
steps:
  - id: canary
    action_type: http
    http: { method: POST, url: "https://deploy.example.com/v1/checkout/canary" }
    timeout: 10m
    retries: { max: 2, base_delay: 30s }
  - id: soak
    needs: [canary]
    action_type: wait
    wait: { duration: 15m }
  - id: promote
    needs: [soak]
    action_type: manual
    manual: { instructions: "Check the checkout dashboard, then approve the full rollout." }
    sensitivity: high
    approval_policy: role:release-manager
`;

export const COMMAND_EXAMPLES: Readonly<Record<string, unknown>> = {
  'graph.node.upsert': {
    id: 'svc:checkout',
    type: 'Service',
    region: 'eu-west',
    attributes: { name: 'checkout', tier: 1, language: 'typescript' },
    provenance: { ...provenance, externalId: 'service/checkout', reason: 'service catalogue sync' },
  },
  'graph.node.retire': { id: 'svc:legacy-cart', region: 'eu-west', reason: 'merged into checkout', provenance: { ...provenance, externalId: 'service/legacy-cart' } },
  'graph.edge.assert': { type: 'DEPLOYS', from: 'dep:42', to: 'svc:checkout', region: 'eu-west', attributes: { environment: 'production' }, provenance },
  'graph.edge.retract': { type: 'CONSUMES', from: 'svc:checkout', to: 'ds:legacy-orders', region: 'eu-west', provenance: { ...provenance, reason: 'dataset decommissioned' } },
  'plan.register': { region: 'eu-west', source: PLAN_YAML },
  'run.start': { ...run, plan: 'deploy-checkout', version: 3, inputs: { build: '2026.03.02-1' }, reason: 'weekly release' },
  'run.step.approve': { ...step, stepId: 'promote', comment: 'dashboard is green' },
  'run.step.retry': { ...step, reason: 'the deploy API was down for maintenance' },
  'run.rollback': { ...run, reason: 'error rate above 2% after the canary' },
  'run.cancel': { ...run, reason: 'release postponed' },
  'run.evaluate': run,
  'run.admit': { ...run, gates: [{ name: 'change-freeze', passed: true }, { name: 'error-budget', passed: true, detail: '83% left' }], startReady: true },
  'run.reject': { ...run, reason: 'change freeze until 2026-03-09', gates: [{ name: 'change-freeze', passed: false, detail: 'freeze window active' }] },
  'run.step.start': { ...step, attempt: 1 },
  'run.step.attempt.succeed': { ...step, attempt: 1, result: { status: 202, deploymentId: 'dep-42' }, startReady: true },
  'run.step.attempt.fail': { ...step, attempt: 1, cause: 'timeout', error: 'no answer from deploy.example.com within 10m', retryAt: '2026-03-02T09:46:00Z' },
  'run.compensation.start': { ...step, attempt: 1 },
  'run.compensation.succeed': { ...step, attempt: 1, result: { rolledBackTo: '2026.02.23-4' } },
  'run.compensation.fail': { ...step, attempt: 2, cause: 'error', error: 'HTTP 500 from the deploy API' },
  'run.complete': run,
  'metering.batch.record': {
    region: 'eu-west',
    segment: 0,
    indexedThrough: -1,
    records: [
      { eventId: 'usage-2026-03-02T09-00-checkout-cpu', service: 'checkout', team: 'payments', meter: 'cpu.seconds', quantity: '3600.5', unit: 'second', ts: '2026-03-02T09:00:00Z', tags: { env: 'prod' } },
    ],
  },
  'pricing.price.set': { region: 'eu-west', meter: 'cpu.seconds', unit: 'second', currency: 'EUR', unitPrice: '0.000011', effectiveFrom: '2026-03-01T00:00:00Z' },
  'pricing.tag-rule.set': { region: 'eu-west', lowercaseKeys: true, aliases: { Environment: 'env', Team: 'team' } },
  'pricing.shared-cost.set': { region: 'eu-west', pool: 'k8s-control-plane', period: '2026-03', amount: '1250.00', currency: 'EUR', meter: 'cpu.seconds' },
  'finops.budget.set': { region: 'eu-west', amount: '50000', currency: 'EUR' },
  'finops.budget.threshold.record': { region: 'eu-west', period: '2026-03', threshold: 75, spent: '37812.40', budget: '50000', currency: 'EUR' },
  'policy.set.propose': {
    region: 'eu-west',
    text: '@id("tenant-isolation")\n@reason("the resource belongs to another tenant")\nforbid (principal, action, resource)\nunless { resource has tenant && principal.tenant == resource.tenant };\n',
    reason: 'CHG-1042: start from tenant isolation alone',
  },
  'policy.set.publish': { region: 'eu-west', version: '3f0c1b6a1e0f4f4c9a3a6d1f2b7e8c9d0a1b2c3d4e5f60718293a4b5c6d7e8f9', reason: 'reviewed in CHG-1042' },
  'finops.anomaly.record': { region: 'eu-west', day: '2026-03-01', service: 'checkout', currency: 'EUR', cost: '912.33', mean: '401.10', stddev: '88.20', direction: 'above' },
  'approval.propose': {
    region: 'eu-west',
    id: '7d2f1c3a-0b5e-4e6f-8a9b-1c2d3e4f5a6b',
    command: 'policy.set.publish',
    body: { region: 'eu-west', version: '3f0c1b6a1e0f4f4c9a3a6d1f2b7e8c9d0a1b2c3d4e5f60718293a4b5c6d7e8f9' },
    reason: 'CHG-1042: publish the reviewed set',
  },
  'approval.approve': { region: 'eu-west', id: '7d2f1c3a-0b5e-4e6f-8a9b-1c2d3e4f5a6b', reason: 'reviewed in CHG-1042' },
  'approval.reject': { region: 'eu-west', id: '7d2f1c3a-0b5e-4e6f-8a9b-1c2d3e4f5a6b', reason: 'not before the freeze ends' },
  'approval.outcome.record': {
    region: 'eu-west',
    id: '7d2f1c3a-0b5e-4e6f-8a9b-1c2d3e4f5a6b',
    outcome: { kind: 'executed', stream: 'acme/policy', position: '4711', events: [{ id: '0b6e2c9a-3f1d-4b8e-9c7a-5d4e3f2a1b0c', type: 'policy.set.published', revision: 3 }] },
  },
};

/** One line per command type: what it asks for. The README's command reference prints it above the example. */
export const COMMAND_SUMMARIES: Readonly<Record<string, string>> = {
  'graph.node.upsert': "create or change a node; attributes replace the node's whole attribute set (a node's type and region never change)",
  'graph.node.retire': 'retire a node; its id keeps naming the same thing (type and region) forever',
  'graph.edge.assert': "assert an edge; both ends must exist and fit the edge type's rule (else 422 naming the rule)",
  'graph.edge.retract': 'retract an edge',
  'plan.register': 'register a Maestro plan (the same content again is the same version); also POST /v1/plans with the YAML itself',
  'run.start': 'start a run of a registered plan (latest version unless `version`); also POST /v1/runs',
  'run.step.approve': 'approve a step waiting for approval; also POST /v1/runs/{id}/steps/{step}/approve and `companyos run approve`',
  'run.step.retry': 'give a step (or compensation) the run is paused on a fresh set of attempts',
  'run.rollback': 'stop the run and undo what succeeded, in reverse dependency order',
  'run.cancel': 'stop the run where it is, undoing nothing; also POST /v1/runs/{id}/cancel and `companyos run cancel`',
  'run.evaluate': "executor only: it took the run and evaluates its gates",
  'run.admit': 'executor only: every gate passed; with startReady the ready steps start in the same append',
  'run.reject': 'executor only: a gate failed; the run ends failed',
  'run.step.start': 'executor only: an attempt of a ready step begins',
  'run.step.attempt.succeed': 'executor only: the attempt met its success condition',
  'run.step.attempt.fail': 'executor only: the attempt failed; retryAt while attempts remain',
  'run.compensation.start': "executor only: an attempt of a step's compensation begins",
  'run.compensation.succeed': 'executor only: the compensation undid its step',
  'run.compensation.fail': 'executor only: the compensation attempt failed',
  'run.complete': 'executor only: every step is settled; the decider works out how the run ended',
  'metering.batch.record': 'record a batch of usage records on segment n; POST /v1/metering/events takes just {records} and finds the segment',
  'pricing.price.set': "set a meter's unit price (exact decimal) from effectiveFrom on; a new version, earlier ones stay for the past",
  'pricing.tag-rule.set': "how tag keys are normalized: lowercased, and aliases mapped to one key",
  'pricing.shared-cost.set': "a shared cost pool for a period, shared by services in proportion to their usage of `meter`",
  'finops.budget.set': "the tenant's monthly budget",
  'finops.budget.threshold.record': 'the FinOps monitor: spend crossed 75, 90 or 100 % of the budget',
  'policy.set.propose': "propose a new text for the tenant's Cedar policy set (refused, 422, with the validator's messages unless it parses and validates against the schema); the tenant's first proposal also writes the default set as version 1",
  'policy.set.publish': "put a proposed version (the SHA-256 of its text) in force: dual-control, so it approves the publication its text's proposal opened (an admin other than its proposer, two-person rule), or proposes it (202); every process switches to it as it reads the event",
  'finops.anomaly.record': "the FinOps monitor: a service's daily cost left ±3σ of its trailing 28 days",
  'approval.propose': 'propose a dual-control command (type and body; the catalogue in domain/approvals/dual-control.ts says which): recorded on the approvals stream, nothing executes until a different principal approves it within its window; the same as POST /v1/approvals',
  'approval.approve': "approve someone else's proposal: the command executes as the approver's, its events sealed with both identities (meta.approval); the same as POST /v1/approvals/{id}/approve",
  'approval.reject': 'reject a waiting proposal (an approver, or its proposer withdrawing it); it never executes',
  'approval.outcome.record': 'the approvals service records what an approved command did (executed or refused); no client sends it (403 approval-required)',
};

/** Bodies of the write routes other than POST /v1/commands/{type} (decoded with their codecs by a test). */
export const ROUTE_EXAMPLES = {
  'POST /v1/runs': { plan: 'deploy-checkout', runId: 'deploy-checkout-20260302', inputs: { build: '2026.03.02-1' }, reason: 'weekly release' },
  'POST /v1/runs/{id}/steps/{step}/approve': { comment: 'dashboard is green' },
  'POST /v1/runs/{id}/cancel': { reason: 'release postponed' },
  'POST /v1/metering/events': { records: (COMMAND_EXAMPLES['metering.batch.record'] as { records: unknown[] }).records },
} as const;

/** Answers of read routes, as the server writes them (a test checks each against a real answer's shape). */
export const ANSWER_EXAMPLES = {
  'GET /v1/graph/related': {
    root: {
      id: 'svc:checkout', type: 'Service', region: 'eu-west', attributes: { name: 'checkout', tier: 1 }, externalId: 'service/checkout', validFrom: '2026-03-01T08:00:00.000Z',
      provenance: {
        actor: { id: 'service:catalog-sync', type: 'service' }, sourceSystem: 'service-catalog', observedAt: '2026-03-01T08:00:00.000Z', effectiveAt: '2026-03-01T08:00:00.000Z',
        recordedAt: '2026-03-01T08:00:01.204Z', confidence: 1,
        event: { id: '6b1f3c2e-8d4a-4f0b-9c1e-2a3b4c5d6e7f', hash: '9d2f6a0c4e8b1f3a5c7e9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a', revision: 0, position: '118' },
      },
    },
    depth: 1,
    direction: 'down',
    limits: { fanOutPerHop: 200, nodesPerDepth: 5000 },
    items: [{
      node: { id: 'ds:orders', type: 'Dataset', region: 'eu-west', attributes: { classification: 'confidential' } },
      depth: 1,
      edge: { type: 'PRODUCES', from: 'svc:checkout', to: 'ds:orders' },
      provenance: {
        actor: { id: 'service:openlineage', type: 'service' }, sourceSystem: 'openlineage', observedAt: '2026-03-02T09:20:00.000Z', effectiveAt: '2026-03-02T09:15:00.000Z',
        recordedAt: '2026-03-02T09:20:00.387Z', confidence: 0.9,
        event: { id: '0c4d2b1a-7e6f-4a5b-8c9d-1e2f3a4b5c6d', hash: '4a7c1e9f3b5d8a2c6e0f4b8d2a6c0e4f8b2d6a0c4e8f2b6d0a4c8e2f6b0d4a8c', revision: 0, position: '131' },
      },
    }],
  },
  'GET /v1/finops/budget': {
    tenant: 'acme',
    period: '2026-03',
    from: '2026-03-01T00:00:00.000Z',
    to: '2026-03-24T10:00:00.000Z',
    budget: { amount: '50000', currency: 'EUR' },
    spent: '37812.4',
    share: '75.62',
    thresholdsCrossed: [{ threshold: 75, spent: '37512.4', budget: '50000', currency: 'EUR', recordedAt: '2026-03-24T09:45:02.118Z', eventId: '3e1a9c7b-5d2f-4b8e-a6c4-0f9e8d7c6b5a' }],
    anomalies: [{
      day: '2026-03-01', service: 'checkout', currency: 'EUR', cost: '912.33', mean: '401.100000', stddev: '88.200000', direction: 'above',
      recordedAt: '2026-03-02T00:15:01.052Z', eventId: '8f7e6d5c-4b3a-4c2d-9e1f-0a1b2c3d4e5f',
    }],
  },
} as const;

/**
 * The plan file's blocks, one step each: every action type, then retries with jitter, compensation and
 * on_failure. A test registers a plan made of all of them (against an actions file offering check-health).
 */
export const PLAN_STEP_EXAMPLES: readonly { readonly what: string; readonly yaml: string }[] = [
  {
    what: '`http`: one request (GET, HEAD, POST, PUT, PATCH, DELETE; headers and a JSON body optional); success by status, by default any 2xx',
    yaml: `- id: shift-10
  action_type: http
  http:
    method: POST
    url: https://deploy.example.com/v1/checkout/traffic
    headers: { x-team: payments }
    body: { artifact: "checkout:2.4.0", weight: 10 }
  success_condition: { status: [200, 202] }
  timeout: 30s`,
  },
  {
    what: '`script`: an action the operator registered (COMPANYOS_ACTIONS_FILE) and its parameters; never a program or a shell',
    yaml: `- id: health-10
  needs: [shift-10]
  action_type: script
  script:
    action: check-health
    params: { service: checkout, error_budget: "0.1%", window: 5m }
  success_condition: { exit_code: 0 }
  timeout: 6m`,
  },
  {
    what: '`wait`: succeeds once the duration has passed (`250ms`, `30s`, `5m`, `1h30m`; at most 30 days)',
    yaml: `- id: soak
  needs: [health-10]
  action_type: wait
  wait: { duration: 15m }`,
  },
  {
    what: "`manual`: a person's task; it waits for one person to confirm it (`companyos run approve RUN STEP`), or for its approval policy",
    yaml: `- id: sign-off
  needs: [soak]
  action_type: manual
  manual: { instructions: "Check the checkout dashboard, then approve the full rollout." }
  sensitivity: high
  approval_policy: role:release-manager
  runbook: https://runbooks.example.com/checkout/rollout`,
  },
  {
    what: '`retries` (max retries after the first attempt; the n-th waits min(base_delay·2^(n-1), max_delay), shortened by up to `jitter` (0–1) of itself), `compensation` and `on_failure` (rollback, continue or manual)',
    yaml: `- id: shift-100
  needs: [sign-off]
  action_type: http
  http: { method: POST, url: https://deploy.example.com/v1/checkout/traffic, body: { weight: 100 } }
  retries: { max: 3, base_delay: 2s, max_delay: 30s, jitter: 0.2 }
  on_failure: rollback
  compensation:
    action_type: http
    http: { method: POST, url: https://deploy.example.com/v1/checkout/traffic, body: { weight: 0 } }
    timeout: 30s
    retries: { max: 5, base_delay: 1s, jitter: 0.5 }`,
  },
];
