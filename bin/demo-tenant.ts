// The demo tenant `npm start` seeds into an empty embedded store: the IntelGraph demo path of seed §1.6
// (Commit → Build → Artifact → Deployment → Service → Dataset → Feature flag → User cohort) with
// provenance at every hop (two inferred links with confidence below 1), an approval, an incident and a
// monthly budget, written through the command pipeline like any client.
import type { Principal } from '../commands/authorizer.js';
import type { CommandPipeline } from '../commands/pipeline.js';

export const DEMO_TENANT = 'demo';
export const DEMO_REGION = 'us-east';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 5, 9, minute)).toISOString();
/** Where a fact came from; `confidence` below 1 for the links a source inferred rather than saw. */
const prov = (sourceSystem: string, minute: number, externalId: string, reason: string, confidence = 1) => ({
  sourceSystem,
  observedAt: at(minute),
  externalId,
  reason,
  evidenceRefs: [`${sourceSystem}:${externalId}`],
  confidence,
});

const node = (id: string, type: string, attributes: Record<string, unknown>, p: ReturnType<typeof prov>) => ({
  type: 'graph.node.upsert',
  body: { id, type, region: DEMO_REGION, attributes, provenance: p },
});
const edge = (type: string, from: string, to: string, p: ReturnType<typeof prov>) => ({
  type: 'graph.edge.assert',
  body: { type, from, to, region: DEMO_REGION, provenance: p },
});

export const DEMO_IDS = Object.freeze({
  artifact: 'artifact:shop:1.4.2',
  service: 'service:checkout',
  incident: 'incident:INC-2041',
  deploysEdge: 'deployment:shop:77|DEPLOYS|service:checkout',
});

/** Confidence of the two inferred links (the rest were seen: 1). */
export const DEMO_CONFIDENCE = Object.freeze({ produces: 0.9, relatesTo: 0.6 });
export const DEMO_BUDGET = Object.freeze({ amount: '20', currency: 'USD' });

/** The demo path, nodes before the edges that join them, then the tenant's budget. */
export const DEMO_COMMANDS = [
  node('commit:shop:9fceb02', 'Commit', { message: 'Checkout: one-click buy', author: 'alice' }, prov('github', 0, '9fceb02', 'pushed to main')),
  node('build:shop:1042', 'Build', { status: 'completed', conclusion: 'success' }, prov('github-actions', 4, '1042', 'CI run on main')),
  node(DEMO_IDS.artifact, 'Artifact', { kind: 'container-image', digest: 'sha256:3f1c0e…' }, prov('github-actions', 9, '1042/image', 'image built')),
  node('deployment:shop:77', 'Deployment', { environment: 'production', version: '1.4.2' }, prov('argo-cd', 15, '77', 'rollout to production')),
  node(DEMO_IDS.service, 'Service', { tier: 1, owner: 'payments' }, prov('service-catalog', 0, 'checkout', 'catalog entry')),
  node('dataset:orders', 'Dataset', { classification: 'confidential' }, prov('openlineage', 20, 'warehouse.orders', 'job output')),
  node('flag:one-click-checkout', 'FeatureFlag', { rollout: '25%' }, prov('launchdarkly', 25, 'one-click-checkout', 'flag targets orders')),
  node('cohort:beta-buyers', 'UserCohort', { size: 1200 }, prov('launchdarkly', 25, 'beta-buyers', 'segment')),
  node('user:alice', 'User', { team: 'payments' }, prov('okta', 0, 'alice', 'directory')),
  node(DEMO_IDS.incident, 'Incident', { severity: 'sev2', title: 'Checkout error rate above SLO' }, prov('pagerduty', 40, 'INC-2041', 'alert fired')),
  edge('CONSUMES', 'build:shop:1042', 'commit:shop:9fceb02', prov('github-actions', 4, '1042/head', 'build of head commit')),
  edge('BUILDS', 'build:shop:1042', DEMO_IDS.artifact, prov('github-actions', 9, '1042/image', 'build output')),
  edge('CONSUMES', 'deployment:shop:77', DEMO_IDS.artifact, prov('argo-cd', 15, '77/image', 'deployed image')),
  edge('APPROVES', 'user:alice', 'deployment:shop:77', prov('argo-cd', 14, '77/approval', 'change approved')),
  edge('DEPLOYS', 'deployment:shop:77', DEMO_IDS.service, prov('argo-cd', 16, '77/service', 'rollout finished')),
  edge('PRODUCES', DEMO_IDS.service, 'dataset:orders', prov('openlineage', 20, 'checkout->orders', 'service writes orders', DEMO_CONFIDENCE.produces)),
  edge('CONSUMES', 'flag:one-click-checkout', 'dataset:orders', prov('launchdarkly', 25, 'flag-rule', 'flag reads orders')),
  edge('TARGETS', 'flag:one-click-checkout', 'cohort:beta-buyers', prov('launchdarkly', 25, 'flag-target', 'rollout target')),
  edge('OBSERVES', DEMO_IDS.service, DEMO_IDS.incident, prov('pagerduty', 40, 'INC-2041/service', 'alert source')),
  edge('RELATES_TO', DEMO_IDS.incident, 'dataset:orders', prov('pagerduty', 41, 'INC-2041/orders', 'failed writes to orders', DEMO_CONFIDENCE.relatesTo)),
  // A monthly budget, so the portal's Costs view has spend to set against it.
  { type: 'finops.budget.set', body: { region: DEMO_REGION, amount: DEMO_BUDGET.amount, currency: DEMO_BUDGET.currency } },
] as const;

/** Writes the demo path as the demo seeding service; throws naming the first command refused. */
export async function seedDemoTenant(pipeline: CommandPipeline, clock: () => Date = () => new Date()): Promise<number> {
  const principal: Principal = { id: 'service:companyos-demo', tenant: DEMO_TENANT, roles: ['service'], region: DEMO_REGION, authTime: undefined, authn: 'system' };
  let written = 0;
  for (const [i, c] of DEMO_COMMANDS.entries()) {
    const outcome = await pipeline.execute(c.type, c.body, principal, { requestId: `demo-seed-${i}`, context: { time: clock().toISOString() } });
    if (outcome._tag === 'Left') throw new Error(`demo seed: ${c.type} #${i} refused: ${outcome.left.detail}`);
    if (outcome.right.kind === 'appended') written++;
  }
  return written;
}
