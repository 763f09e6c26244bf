// bench:policy — one Cedar decision alone, as the command pipeline makes it: TenantPolicies (the
// Authorizer every process decides with) over the default policy set, asked the golden cases of
// commands/policies/golden.json in turn. Each decision is timed on its own (hrtime), so the percentiles are
// of single decisions; CPU time per decision is printed beside them, as load distorts it less. Three
// authorizers side by side: as served (each action's slice of the set, the decision cache), slices without
// the cache (every decision evaluated: a cache miss), and the whole set with every entity (as before slicing).
// graph.node.upsert is asked with a new node id each time, as the pipeline asks it.
// Usage: npm run bench:policy [-- --decisions 20000]
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { decisionCacheCounts } from '../../adapters/cedar/decision-cache.js';
import { TenantPolicies } from '../../adapters/cedar/tenant-policies.js';
import { goldenRequests, loadGolden, runGolden } from '../../commands/policy-golden.js';
import { cpuSeconds, load, machine, numberArg, percentile, round } from './report.js';

const decisions = numberArg('decisions', 20_000);
const GOLDEN = fileURLToPath(new URL('../../commands/policies/golden.json', import.meta.url));

const { golden, policyText, policyFile } = await loadGolden(GOLDEN);
const authorizers = {
  served: new TenantPolicies(policyText),
  uncached: new TenantPolicies(policyText, { cacheEntries: 0 }),
  wholeSet: new TenantPolicies(policyText, { slicing: false }),
};
// The bench times right answers only: each authorizer must pass the golden table first.
for (const authorizer of Object.values(authorizers)) {
  const check = runGolden(golden, policyText, authorizer);
  if (check.failed > 0) {
    console.error(`bench:policy: ${check.failed} golden case(s) fail against ${policyFile}; fix them first (npm test commands/policy-golden)`);
    process.exit(1);
  }
}
const requests = goldenRequests(golden).map((g) => g.request);
const graphUpsert = requests
  .filter((r) => r.action === 'graph.node.upsert')
  .flatMap((r) => Array.from({ length: 64 }, (_, n) => ({ ...r, resource: { ...r.resource, id: `svc:node-${n}` } })));

function timeDecisions(authorizer: TenantPolicies, pool: typeof requests, count: number): { us: Float64Array; cpuUs: number } {
  const us = new Float64Array(count);
  const cpu0 = cpuSeconds();
  for (let i = 0; i < count; i++) {
    const request = pool[i % pool.length]!;
    const t0 = process.hrtime.bigint();
    authorizer.authorize(request, `bench-${i}`);
    us[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return { us: us.sort(), cpuUs: ((cpuSeconds() - cpu0) * 1e6) / count };
}

// Warm-up, not counted: JIT and the wasm module's first calls.
for (const authorizer of Object.values(authorizers)) timeDecisions(authorizer, requests, Math.min(5000, decisions));
const measured = Object.fromEntries(
  Object.entries(authorizers).map(([name, authorizer]) => [
    name,
    { all: timeDecisions(authorizer, requests, decisions), upsert: timeDecisions(authorizer, graphUpsert, Math.max(1000, Math.floor(decisions / 4))) },
  ]),
) as Record<keyof typeof authorizers, { all: { us: Float64Array; cpuUs: number }; upsert: { us: Float64Array; cpuUs: number } }>;

const summary = (r: { us: Float64Array; cpuUs: number }) => {
  const at = (p: number) => round(percentile(r.us as unknown as number[], p), 1);
  return { p50: at(50), p95: at(95), p99: at(99), max: round(r.us[r.us.length - 1]!, 1), cpu: round(r.cpuUs, 1) };
};
const line = (label: string, r: ReturnType<typeof summary>) =>
  `${label.padEnd(44)} µs p50 ${r.p50}  p95 ${r.p95}  p99 ${r.p99}  max ${r.max}; CPU ${r.cpu} µs/decision`;
console.log(`machine: ${machine()}; ${load()}`);
console.log(`policy: ${policyFile} (${requests.length} golden requests, ${new Set(requests.map((r) => r.action)).size} actions), ${decisions} decisions each`);
const labels = { served: 'as served (slices + decision cache)', uncached: 'slices, no cache (every decision evaluated)', wholeSet: 'whole set, every entity (before slicing)' };
const s = Object.fromEntries(Object.entries(measured).map(([k, m]) => [k, { all: summary(m.all), upsert: summary(m.upsert) }])) as Record<keyof typeof authorizers, { all: ReturnType<typeof summary>; upsert: ReturnType<typeof summary> }>;
console.log('every golden request:');
for (const k of Object.keys(labels) as (keyof typeof labels)[]) console.log(`  ${line(labels[k], s[k].all)}`);
console.log('graph.node.upsert, a new node id each time (target p95 ≤ 100 µs):');
for (const k of Object.keys(labels) as (keyof typeof labels)[]) console.log(`  ${line(labels[k], s[k].upsert)}`);
const { hits, misses } = decisionCacheCounts();
console.log(`decision cache: ${hits} hits, ${misses} misses (warm-up and golden checks included)`);
console.log(
  JSON.stringify({
    bench: 'policy', decisions, p50_us: s.served.all.p50, p95_us: s.served.all.p95, p99_us: s.served.all.p99, cpu_us_per_decision: s.served.all.cpu,
    graph_node_upsert_p95_us: s.served.upsert.p95,
    uncached_p50_us: s.uncached.all.p50, uncached_p95_us: s.uncached.all.p95, uncached_cpu_us_per_decision: s.uncached.all.cpu,
    whole_set_p50_us: s.wholeSet.all.p50, whole_set_p95_us: s.wholeSet.all.p95, whole_set_cpu_us_per_decision: s.wholeSet.all.cpu,
    cpu_model: cpus()[0]?.model,
  }),
);
