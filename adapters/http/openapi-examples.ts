// One realistic body per command type, published as the example of POST /v1/commands/{type}. The
// OpenAPI test decodes each with its command's codec, so an example cannot drift from what is accepted.
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
  'finops.anomaly.record': { region: 'eu-west', day: '2026-03-01', service: 'checkout', currency: 'EUR', cost: '912.33', mean: '401.10', stddev: '88.20', direction: 'above' },
};
