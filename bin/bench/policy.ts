// bench:policy — one Cedar decision alone, as the command pipeline makes it: TenantPolicies (the
// Authorizer every process decides with) over the default policy set, asked the golden cases of
// commands/policies/golden.json in turn. Each decision is timed on its own (hrtime), so the percentiles are
// of single decisions; CPU time per decision is printed beside them, as load distorts it less.
// Usage: npm run bench:policy [-- --decisions 20000]
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { TenantPolicies } from '../../adapters/cedar/tenant-policies.js';
import { goldenRequests, loadGolden, runGolden } from '../../commands/policy-golden.js';
import { cpuSeconds, load, machine, numberArg, percentile, round } from './report.js';

const decisions = numberArg('decisions', 20_000);
const GOLDEN = fileURLToPath(new URL('../../commands/policies/golden.json', import.meta.url));

const { golden, policyText, policyFile } = await loadGolden(GOLDEN);
const authorizer = new TenantPolicies(policyText);
// The bench times right answers only: the authorizer must pass the golden table first.
const check = runGolden(golden, policyText, authorizer);
if (check.failed > 0) {
  console.error(`bench:policy: ${check.failed} golden case(s) fail against ${policyFile}; fix them first (npm test commands/policy-golden)`);
  process.exit(1);
}
const requests = goldenRequests(golden).map((g) => g.request);
const graphUpsert = requests.filter((r) => r.action === 'graph.node.upsert');

function timeDecisions(pool: typeof requests, count: number): { us: Float64Array; cpuUs: number } {
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
timeDecisions(requests, Math.min(5000, decisions));
const all = timeDecisions(requests, decisions);
const upsert = timeDecisions(graphUpsert, Math.max(1000, Math.floor(decisions / 4)));

const summary = (r: { us: Float64Array; cpuUs: number }) => {
  const at = (p: number) => round(percentile(r.us as unknown as number[], p), 1);
  return { p50: at(50), p95: at(95), p99: at(99), max: round(r.us[r.us.length - 1]!, 1), cpu: round(r.cpuUs, 1) };
};
const a = summary(all);
const u = summary(upsert);
console.log(`machine: ${machine()}; ${load()}`);
console.log(`policy: ${policyFile} (${check.results.length} golden requests, ${new Set(requests.map((r) => r.action)).size} actions), ${decisions} decisions`);
console.log(`every golden request:  µs p50 ${a.p50}  p95 ${a.p95}  p99 ${a.p99}  max ${a.max}; CPU ${a.cpu} µs/decision`);
console.log(`graph.node.upsert:     µs p50 ${u.p50}  p95 ${u.p95}  p99 ${u.p99}  max ${u.max}; CPU ${u.cpu} µs/decision (target p95 ≤ 100 µs)`);
console.log(
  JSON.stringify({ bench: 'policy', decisions, p50_us: a.p50, p95_us: a.p95, p99_us: a.p99, cpu_us_per_decision: a.cpu, graph_node_upsert_p95_us: u.p95, cpu_model: cpus()[0]?.model }),
);
