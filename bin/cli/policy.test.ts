import { writeFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Config } from '../../schemas/config.js';
import type { Server } from 'node:http';
import { startHttpServer } from '../../adapters/http/server.js';
import { openTestApi } from '../../test/api-harness.js';
import { openMemoryLog } from '../../test/logs.js';
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

cli('policy propose, publish (by another admin), show and preflight through the API', async () => {
  const memory = await openMemoryLog();
  const api = await openTestApi(memory.log);
  const server: Server = await startHttpServer({ fetch: api.system.app.fetch, port: 0, hostname: '127.0.0.1' });
  const address = server.address();
  const saved = { url: process.env['COMPANYOS_URL'], token: process.env['COMPANYOS_TOKEN'] };
  try {
    if (address === null || typeof address === 'string') throw new Error('no port');
    process.env['COMPANYOS_URL'] = `http://127.0.0.1:${address.port}`;
    const as = async (subject: string, roles: Parameters<typeof api.token>[0]['roles']) =>
      void (process.env['COMPANYOS_TOKEN'] = await api.token({ subject, tenant: 'acme', roles, region: 'eu-west' }));
    const dir = await mkdtemp(join(tmpdir(), 'policy-api-'));
    const cedar = join(dir, 'next.cedar');
    await writeFile(cedar, (await readFile(DEFAULT, 'utf8')).replace(/@id\("editor-graph-write"\)[\s\S]*?;\n/, ''));

    await as('user:alice', ['admin']);
    assert.instance((await run(['propose', cedar, '--reason', 'x'])).error, UsageError);
    const proposed = await run(['propose', cedar, '--region', 'eu-west', '--reason', 'CHG-7: editors lose graph writes']);
    assert.is(proposed.error, undefined);
    assert.match(proposed.out, /\nagainst the version in force it removes editor-graph-write$/);
    const version = /proposed version ([0-9a-f]{64})/.exec(proposed.out)?.[1];
    assert.ok(version !== undefined, proposed.out);
    const own = await run(['publish', version!, '--region', 'eu-west']);
    assert.instance(own.error, Error);
    assert.match((own.error as Error).message, /policy-two-person|different admin/);

    await as('user:bob', ['admin']);
    const published = await run(['publish', version!, '--region', 'eu-west', '--reason', 'reviewed']);
    assert.match(published.out, new RegExp(`published version ${version}: in force from log position \\d+`));
    await api.system.policies.whenInForce('acme', version!);
    const shown = await run(['show']);
    assert.match(shown.out, new RegExp(`^version 2 \\(${version}\\) in force for acme`));
    assert.match(shown.out, /2 {2}[0-9a-f]{12} {2}published +by user:alice, approved by user:bob: CHG-7/);

    await as('user:ed', ['editor']);
    const body = JSON.stringify({ id: 'svc:x', type: 'Service', region: 'eu-west', attributes: {}, provenance: { sourceSystem: 't', observedAt: '2026-03-02T09:15:00Z', reason: 't', externalId: 'x' } });
    const denied = await run(['preflight', 'graph.node.upsert', body]);
    assert.instance(denied.error, ExitCode);
    assert.match(denied.out, new RegExp(`^denied under ${version!.slice(0, 12)} by \\[\\]: denied: no policy permits roles \\[editor\\]`));
  } finally {
    process.env['COMPANYOS_URL'] = saved.url;
    process.env['COMPANYOS_TOKEN'] = saved.token;
    if (saved.url === undefined) delete process.env['COMPANYOS_URL'];
    if (saved.token === undefined) delete process.env['COMPANYOS_TOKEN'];
    await new Promise((r) => server.close(r));
    await api.close();
    await memory.close();
  }
});

cli.run();
