// `companyos policy what-if` as a user runs it (a real process on an embedded store the demo tenant and an
// editor's edits were written to): the impact report of a set without editor graph writes, one line a
// flip; --json the same report; a missing --policy, a set that does not parse, or --to before --from is a
// one-line usage mistake (exit 2).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEMO_COMMANDS, DEMO_REGION, DEMO_TENANT, seedDemoTenant } from '../demo-tenant.js';
import { openTestApi } from '../../test/api-harness.js';
import { openDirLog } from '../../test/logs.js';

const run = promisify(execFile);
const CLI = resolve(import.meta.dirname, '../companyos.js');
const DEFAULT_TEXT = await readFile(fileURLToPath(new URL('../../commands/policies/default.cedar', import.meta.url)), 'utf8');
const test = suite('companyos policy what-if');
let dataDir: string;
let candidate: string;
const edits: string[] = [];

async function cli(...args: string[]) {
  const { DATABASE_URL: _pg, EVENTSTORE_URL: _es, NATS_URL: _nats, CLICKHOUSE_URL: _ch, ...rest } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'policy', 'what-if', ...args], { env: { ...rest, COMPANYOS_DATA_DIR: dataDir } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test.before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-what-if-'));
  candidate = join(dataDir, 'candidate.cedar');
  await writeFile(candidate, DEFAULT_TEXT.replace(/@id\("editor-graph-write"\)[\s\S]*?;\n/, ''));
  const memory = await openDirLog(join(dataDir, 'pglite'));
  const api = await openTestApi(memory.log);
  try {
    await seedDemoTenant(api.system.pipeline);
    const eve = { id: 'user:eve', tenant: DEMO_TENANT, roles: ['editor'], region: DEMO_REGION, authTime: undefined, authn: 'jwt' } as const;
    for (const id of ['service:search', 'service:cart']) {
      const body = { id, type: 'Service', region: DEMO_REGION, attributes: {}, provenance: { sourceSystem: 'test', observedAt: '2026-01-05T10:00:00Z', reason: 'edit', externalId: id } };
      const out = await api.system.pipeline.execute('graph.node.upsert', body, eve, { requestId: id, context: {} });
      if (out._tag === 'Left' || out.right.kind !== 'appended') throw new Error(`edit ${id} not appended`);
      edits.push(out.right.body.decision!.id);
    }
  } finally {
    await api.close();
    await memory.close();
  }
});
test.after(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

test('the impact report: the editors edits flip to deny, grouped by action and policy; --json the same', async () => {
  const out = await cli('--policy', candidate, '--tenant', DEMO_TENANT);
  assert.is(out.code, 0, out.stderr);
  // The seed's commands and eve's two edits.
  const decisions = DEMO_COMMANDS.length + 2;
  assert.match(out.stdout, new RegExp(`^demo: ${decisions} recorded decisions, ${decisions} re-decided under [0-9a-f]{12}; 2 would flip$`, 'm'));
  assert.match(out.stdout, /^ {2}graph\.node\.upsert: 2 allow → deny$/m);
  assert.match(out.stdout, /^ {2}allow \[editor-graph-write\] → deny \[\(none\)\]: 2$/m);
  assert.is(out.stdout.split('\n').filter((l) => / by user:eve \[editor\]: allow → deny$/.test(l)).length, 2);
  const json = await cli('--policy', candidate, '--tenant', DEMO_TENANT, '--json');
  const report = JSON.parse(json.stdout) as { flips: { decisionId: string }[]; notReproducible: number };
  assert.equal(report.flips.map((f) => f.decisionId), edits);
  assert.is(report.notReproducible, 0);
  // Without --tenant: every tenant's decisions (here only the demo's).
  const every = JSON.parse((await cli('--policy', candidate, '--json')).stdout) as { flips: unknown[]; tenant?: string };
  assert.equal([every.flips.length, every.tenant], [2, undefined]);
  // A range that ends before anything was sealed.
  assert.match((await cli('--policy', candidate, '--to', '2000-01-01T00:00:00Z')).stdout, /^every tenant: 0 recorded decisions sealed from the start to 2000-01-01T00:00:00Z/);
});

test('usage mistakes are one line, exit 2', async () => {
  const broken = join(dataDir, 'broken.cedar');
  await writeFile(broken, 'permit (principal, action, resource) when {');
  for (const args of [[], ['--policy', broken], ['--policy', join(dataDir, 'absent.cedar')], ['--policy', candidate, '--from', '2026-02-01T00:00:00Z', '--to', '2026-01-01T00:00:00Z'], ['--policy', candidate, '--from', 'yesterday']]) {
    const out = await cli(...args);
    assert.is(out.code, 2, `${args.join(' ')}: ${out.stdout}`);
    assert.is(out.stderr.trim().split('\n').length, 1, out.stderr);
  }
});

test.run();
