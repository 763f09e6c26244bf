import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatGoldenReport, loadGolden, runGolden } from './policy-golden.js';
import { policyActions, READ_ACTIONS } from './policy-actions.js';

const GOLDEN = fileURLToPath(new URL('./policies/golden.json', import.meta.url));
const ROUTES = fileURLToPath(new URL('../adapters/http/routes/', import.meta.url));
const golden = suite('policy golden tests');

golden('every golden case of default.cedar gets its decision and determining policies', async () => {
  const { golden: table, policyText } = await loadGolden(GOLDEN);
  const report = runGolden(table, policyText);
  assert.is(report.failed, 0, formatGoldenReport(report).join('\n'));
  assert.ok(report.passed >= policyActions().length * 2);
});

golden('coverage: every policy is determining in a case, every action has an allow and a deny case', async () => {
  const { golden: table, policyText } = await loadGolden(GOLDEN);
  const { coverage } = runGolden(table, policyText);
  assert.equal(coverage.policies.uncovered, []);
  assert.is(coverage.policies.percent, 100);
  assert.equal(coverage.actions.missingAllow, []);
  assert.equal(coverage.actions.missingDeny, []);
  assert.is(coverage.actions.percent, 100);
});

golden('a changed policy fails the cases it alters and lowers coverage', async () => {
  const { golden: table, policyText } = await loadGolden(GOLDEN);
  // Editors lose graph writes: the editor cases now deny, and editor-graph-write is gone.
  const without = policyText.replace(/@id\("editor-graph-write"\)[\s\S]*?;\n/, '');
  assert.is.not(without, policyText);
  const report = runGolden(table, without);
  const failed = report.results.filter((r) => !r.passed);
  assert.is(failed.length, 4);
  assert.ok(failed.every((r) => r.name === 'editors change the graph' && r.actual.decision === 'deny'));
  assert.match(formatGoldenReport(report).join('\n'), /FAIL editors change the graph \[graph\.node\.upsert\]: expected allow by \[editor-graph-write\], got deny by \[\]/);
});

golden('an action missing from a table is reported as uncovered', async () => {
  const { golden: table, policyText } = await loadGolden(GOLDEN);
  const cases = table.cases.filter((c) => c.action !== 'plan.register');
  const { coverage } = runGolden({ ...table, cases }, policyText);
  assert.equal(coverage.actions.missingAllow, ['plan.register']);
  assert.equal(coverage.actions.missingDeny, ['plan.register']);
  assert.equal(coverage.policies.uncovered, ['maestro-plan-authors']);
  assert.ok(coverage.actions.percent < 100);
});

golden('the read actions the routes authorize are all in the action catalogue', async () => {
  const named = new Set<string>();
  for (const file of await readdir(ROUTES)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    const source = await readFile(ROUTES + file, 'utf8');
    for (const m of source.matchAll(/authorize\('([a-z.-]+)'|action: '([a-z.-]+)'/g)) named.add(m[1] ?? m[2]!);
  }
  assert.ok(named.size >= 5, `found ${[...named].join(', ')}`);
  const catalogued = new Set(READ_ACTIONS.map((a) => a.action));
  assert.equal([...named].filter((a) => !catalogued.has(a)), []);
});

golden.run();
