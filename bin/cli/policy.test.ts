import { writeFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Config } from '../../schemas/config.js';
import { ExitCode, UsageError } from './failures.js';
import { policyCommand } from './policy.js';

const DEFAULT = fileURLToPath(new URL('../../commands/policies/default.cedar', import.meta.url));
const cli = suite('companyos policy');

async function run(argv: readonly string[]): Promise<{ readonly out: string; readonly error?: unknown }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    await policyCommand({} as Config, argv);
    return { out: lines.join('\n') };
  } catch (error) {
    return { out: lines.join('\n'), error };
  } finally {
    console.log = log;
  }
}

cli('policy test passes the repo golden table with full coverage, exit 0', async () => {
  const { out, error } = await run(['test']);
  assert.is(error, undefined);
  assert.match(out, /^\d+ passed, 0 failed/m);
  assert.match(out, /policies determining in a case: (\d+)\/\1 \(100 %\)/);
  assert.match(out, /actions with an allow and a deny case: (\d+)\/\1 \(100 %\)/);
});

cli('policy test --policy with a set that drops a policy names the failing cases and exits 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'policy-test-'));
  const cedar = join(dir, 'p.cedar');
  await writeFile(cedar, (await readFile(DEFAULT, 'utf8')).replace(/@id\("service-metering-write"\)[\s\S]*?;\n/, ''));
  const { out, error } = await run(['test', '--policy', cedar, '--json']);
  assert.instance(error, ExitCode);
  const report = JSON.parse(out) as { failed: number; results: { passed: boolean; name: string }[]; coverage: { actions: { missingAllow: string[] } } };
  assert.equal(report.results.filter((r) => !r.passed).map((r) => r.name), ['services record metering batches']);
  assert.equal(report.coverage.actions.missingAllow, ['metering.batch.record']);
});

cli('policy validate names what the schema refuses, exit 1; usage mistakes are usage errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'policy-validate-'));
  const cedar = join(dir, 'p.cedar');
  await writeFile(cedar, '@id("x") permit (principal, action, resource) when { principal.rolez.contains("a") };\n');
  const bad = await run(['validate', cedar]);
  assert.instance(bad.error, ExitCode);
  assert.match(bad.out, /^x: .*rolez/);
  assert.is((await run(['validate'])).error, undefined);
  assert.instance((await run(['what'])).error, UsageError);
  assert.instance((await run(['test', '--nope'])).error, UsageError);
  assert.instance((await run(['test', join(dir, 'missing.json')])).error, UsageError);
});

cli.run();
