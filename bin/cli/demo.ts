// `companyos demo canary`: the seed's Maestro demo (§2.5) in one process. A throwaway embedded store (PGlite
// in a temp dir, whatever DATABASE_URL says), the canary target on a free port, the plan registered and
// run through the HTTP API as real tokens, the approval given, then the run's timeline and graph printed
// (with --json: one JSON document on stdout, the progress lines on stderr).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { loadJwtSecret } from '../../adapters/auth/dev-secret.js';
import { DEMO_REGION, DEMO_TENANT } from '../demo-tenant.js';
import { issueDevelopmentToken, type Role } from '../../adapters/auth/jwt.js';
import { runStream } from '../../domain/index.js';
import { READ_MODELS, projectUntil } from '../../projections/index.js';
import { loadConfig, type Config } from '../../schemas/config.js';
import { startCanaryTarget } from '../demo/canary-target.js';
import { openSystem, type System } from '../system.js';
import { formatRun, formatTimeline } from './run.js';
import { parseOptions, UsageError } from './usage.js';
import { RoleList } from './token.js';

const PLAN_FILE = fileURLToPath(new URL('../demo/canary-plan.yaml', import.meta.url));
const TENANT = DEMO_TENANT;
const REGION = DEMO_REGION;
const RUN_ID = 'canary-1';

type Call = (method: string, path: string, token: string, body?: { json?: unknown; yaml?: string }) => Promise<Record<string, unknown>>;

function caller(system: System): Call {
  return async (method, path, token, body) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body?.yaml !== undefined) headers['content-type'] = 'application/yaml';
    if (body?.json !== undefined) headers['content-type'] = 'application/json';
    const res = await system.app.request(path, { method, headers, ...(body ? { body: body.yaml ?? JSON.stringify(body.json) } : {}) });
    const parsed = (await res.json()) as Record<string, unknown>;
    if (res.status >= 400) throw new Error(`${method} ${path}: ${String(parsed['title'])}: ${String(parsed['detail'] ?? '')}`);
    return parsed;
  };
}

async function lastEvent(system: System): Promise<{ type: string; data: unknown } | undefined> {
  return (await system.log.readStream(runStream(TENANT, RUN_ID))).at(-1);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const USAGE = 'usage: companyos demo canary | companyos demo token [--roles a,b] (demo canary --json prints one JSON document)';

export async function demoCommand(config: Config, argv: readonly string[]): Promise<void> {
  if (argv[0] === 'token') return demoToken(config, argv.slice(1));
  if (argv[0] !== 'canary') throw new UsageError(USAGE);
  const o = parseOptions(argv.slice(1), { json: { type: 'boolean' } }, t.partial({ json: t.boolean }));
  return demoCanary(o.json === true);
}

/**
 * `demo token`: the demo tenant's token again (printed once at the first start), as its last line. Only with
 * the development secret in the data directory: a configured secret or JWKS means real identities.
 */
async function demoToken(config: Config, argv: readonly string[]): Promise<void> {
  const o = parseOptions(argv, { roles: { type: 'string' } }, t.partial({ roles: RoleList }));
  if (config.jwt.secret !== undefined || config.jwt.jwksUrl !== undefined) {
    throw new UsageError('demo token works with development keys only (COMPANYOS_JWT_SECRET or COMPANYOS_JWKS_URL is set): use your identity provider');
  }
  const secret = await loadJwtSecret(undefined, config.dataDir);
  console.log(await issueDevelopmentToken(secret, config.jwt, { tenant: DEMO_TENANT, roles: o.roles ?? ['viewer'], region: DEMO_REGION }, Math.floor(Date.now() / 1000)));
}

async function demoCanary(asJson: boolean): Promise<void> {
  // With --json, stdout carries the one document; the progress goes to stderr.
  const say = (line: string) => (asJson ? console.error(line) : console.log(line));
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-demo-'));
  const target = await startCanaryTarget();
  // The target listens on loopback, which egress refuses by default: the demo allows exactly that address, as an operator would.
  const config = loadConfig({ COMPANYOS_DATA_DIR: dataDir, COMPANYOS_EGRESS_ALLOW: '127.0.0.1/32' });
  if (isLeft(config)) throw new Error(config.left.join('; '));
  const system = await openSystem(config.right);
  try {
    const executor = system.startExecutor();
    const token = (subject: string, roles: Role[]) => issueDevelopmentToken(system.jwtSecret!, config.right.jwt, { tenant: TENANT, roles, region: REGION, subject }, Math.floor(Date.now() / 1000));
    const dana = await token('user:dana', ['plan-author', 'operator']);
    const rita = await token('user:rita', ['release-manager']);
    const call = caller(system);
    say(`demo: canary target at ${target.url} (health fails at ≥ 50% traffic); embedded store in ${dataDir}`);

    const source = (await readFile(PLAN_FILE, 'utf8')).replaceAll('${TARGET}', target.url);
    const plan = await call('POST', '/v1/plans', dana, { yaml: source });
    say(`demo: user:dana registered plan ${String(plan['name'])} v${String(plan['version'])} (${String(plan['steps'])} steps)`);
    await call('POST', '/v1/runs', dana, { json: { plan: plan['name'], runId: RUN_ID, reason: 'release checkout 2.4.0' } });
    say(`demo: user:dana started run ${RUN_ID}; it waits for a release manager's approval`);
    await until('the approval step', async () => (await lastEvent(system))?.type === 'run.admitted');
    for (const p of READ_MODELS.filter((m) => m.name === 'runs')) await projectUntil({ log: system.log, store: system.readStore }, p, { schema: system.readStore.schema });
    const waiting = await call('GET', `/v1/runs/${RUN_ID}`, dana);
    for (const w of waiting['waitingFor'] as { stepId: string; detail: string }[]) say(`demo: run ${RUN_ID} is ${String(waiting['status'])}: step ${w.stepId} needs ${w.detail}`);
    await call('POST', `/v1/runs/${RUN_ID}/steps/approve-release/approve`, rita, { json: { comment: 'error budget ok' } });
    say('demo: user:rita (release-manager) approved; traffic moves');
    await until('the run to end', async () => (await lastEvent(system))?.type === 'run.completed');
    await until('the run in the graph', async () => executor.status().runs === 0);

    for (const p of READ_MODELS) await projectUntil({ log: system.log, store: system.readStore }, p, { schema: system.readStore.schema });
    const run = await call('GET', `/v1/runs/${RUN_ID}`, dana);
    const timeline = await call('GET', `/v1/runs/${RUN_ID}/timeline?limit=1000`, dana);
    const related = await call('GET', `/v1/graph/related?id=${encodeURIComponent(`run:${RUN_ID}`)}&direction=both`, dana);
    if (asJson) {
      const traffic = { url: target.url, weight: target.weight(), shifts: target.shifts.map((s) => s.weight) };
      console.log(JSON.stringify({ run, timeline: timeline['items'], graph: related['items'], target: traffic }, null, 2));
      return;
    }
    console.log('');
    console.log(formatRun(run));
    console.log('timeline:');
    console.log(formatTimeline(timeline['items'] as { at: string; actor: string; summary: string }[]));
    console.log('graph:');
    for (const item of related['items'] as { node: { id: string; type: string }; edge: { type: string; from: string; to: string } }[]) {
      console.log(`  ${item.edge.from} -[${item.edge.type}]-> ${item.edge.to}   (${item.node.type})`);
    }
    console.log(`target: traffic now ${target.weight()}%; shifts ${target.shifts.map((s) => `${s.weight}%`).join(' → ')}`);
  } finally {
    await system.close();
    await target.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
