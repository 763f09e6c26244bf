// bench:graph — builds the seed's fixture tenant (50,000 nodes, ~220,000 edges) through the command
// pipeline (policy, sealing, append) on PostgreSQL, waits for the graph projection, then measures lineage at
// depth 3, service surface and incident impact over the HTTP API (warm), and the projection's rebuild rate.
// The fixture's schema is kept and reused by the next run with the same --nodes (--fresh rebuilds it).
// --synthetic writes the same fixture straight into the read model instead (graph-synthetic.ts), for sizes
// the pipeline cannot build in time; it has no log, so the rebuild is not measured then.
// --rebuild-only skips the queries (their JSON fields are null), for quick iterations on the rebuild rate.
// Usage: npm run bench:graph [-- --nodes 50000 --queries 1000 --concurrency 32 --fresh --synthetic --rebuild-only]
import { readFile } from 'node:fs/promises';
import { isLeft } from 'fp-ts/lib/Either.js';
import { issueDevelopmentToken } from '../../adapters/auth/jwt.js';
import { CedarAuthorizer } from '../../adapters/cedar/cedar-authorizer.js';
import { dropSchema, migrate } from '../../adapters/read-store/postgres/database.js';
import { openPostgresEventLog } from '../../adapters/event-log/postgres/index.js';
import type { Principal } from '../../commands/authorizer.js';
import { graphProjection, projectUntil, readModelMigrations } from '../../projections/index.js';
import { prepareCheckpoint } from '../../projections/runtime.js';
import { loadConfig } from '../../schemas/config.js';
import { DEFAULT_POLICY_FILE, openSystem } from '../system.js';
import { buildFixture, fixtureCommand, fixtureCommandCount } from './graph-fixture.js';
import { LoglessSealer, loadSyntheticGraph } from './graph-synthetic.js';
import { latencySummary, machine, memory, numberArg, round } from './report.js';

const nodesWanted = numberArg('nodes', 50_000);
const queries = numberArg('queries', 1000);
const concurrency = numberArg('concurrency', 32);
const fresh = process.argv.includes('--fresh');
const synthetic = process.argv.includes('--synthetic');
const rebuildOnly = process.argv.includes('--rebuild-only');
const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
// Its own schema: a synthetic read model has no log behind it and must never pass for a pipeline-built one.
const schema = synthetic ? `bench_graph_${nodesWanted}_synthetic` : `bench_graph_${nodesWanted}`;
const tenant = 'bench';
const region = 'us-east';
const secret = 'bench-secret-bench-secret-bench-secret';
const T0 = '2026-01-01T00:00:00Z';

console.log(`bench:graph on ${machine()}`);
console.log(`PostgreSQL ${databaseUrl.replace(/\/\/[^@]*@/, '//')}, schema ${schema}${synthetic ? ' (synthetic fixture: no log)' : ''}`);

const fixture = buildFixture(nodesWanted);
const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, COMPANYOS_PG_SCHEMA: schema, COMPANYOS_JWT_SECRET: secret, COMPANYOS_DATA_DIR: '/tmp/companyos-bench-graph' });
if (isLeft(config)) throw new Error(config.left.join('; '));

if (fresh) {
  const log = await openPostgresEventLog({ url: databaseUrl, schema });
  await dropSchema(log.database, schema);
  await log.close();
}
const system = await openSystem(config.right);
const log = system.log;
const store = system.readStore;
const principal: Principal = { id: 'service:bench-ingest', tenant, roles: ['service'], region, authTime: undefined, authn: 'system' };
const commandContext = { region, provenance: { sourceSystem: 'bench', observedAt: T0, reason: 'fixture', evidenceRefs: ['bench:graph'] } };
const commandCount = fixtureCommandCount(fixture);

/** The fixture through the command pipeline (policy, sealing, append), then the graph projector catches up. */
async function buildThroughPipeline(): Promise<void> {
  const [projector] = system.startProjectors({ maxBatch: 2000 });
  let lastWritten: bigint | undefined;
  const existing = await store.withSession((s) => s.query<{ n: bigint }>(`SELECT count(*) AS n FROM "${schema}".events`));
  if (existing[0]!.n >= BigInt(commandCount)) {
    console.log(`reusing the fixture in ${schema}: ${existing[0]!.n} events`);
  } else {
    if (existing[0]!.n > 0n) console.log(`resuming a partial fixture (${existing[0]!.n} events); commands already applied answer unchanged`);
    const run = async (label: string, from: number, to: number) => {
      let next = from;
      let refused = 0;
      const started = performance.now();
      let lastReport = started;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let i = next++; i < to; i = next++) {
            const command = fixtureCommand(fixture, i, commandContext);
            const outcome = await system.pipeline.execute(command.type, command.body, principal, { requestId: command.requestId, context: { time: T0 } });
            if (outcome._tag === 'Left') {
              refused++;
              if (refused <= 3) console.error(`${label} #${i - from} refused: ${outcome.left.detail}`);
            } else if (outcome.right.body.position !== undefined) {
              const position = BigInt(outcome.right.body.position);
              if (lastWritten === undefined || position > lastWritten) lastWritten = position;
            }
            if (performance.now() - lastReport > 10_000) {
              lastReport = performance.now();
              console.log(`  ${label}: ${i - from}/${to - from} (${round((i - from) / ((lastReport - started) / 1000), 0)}/s)`);
            }
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      console.log(`${label}: ${to - from} commands in ${round(seconds, 1)} s = ${round((to - from) / seconds, 0)}/s (${refused} refused)`);
      if (refused > 0) throw new Error(`${refused} ${label} commands were refused`);
    };
    await run('nodes', 0, fixture.nodes.length);
    await run('edges', fixture.nodes.length, commandCount);
  }
  // The last position written, not only headPosition(): the head stops below any transaction still open (the
  // projector's own), so it can be short of what the commands just wrote.
  const visible = await log.headPosition();
  const head = lastWritten !== undefined && (visible === undefined || lastWritten > visible) ? lastWritten : visible!;
  const waitStarted = performance.now();
  while (!(await projector!.waitFor(head, 60_000))) console.log(`  waiting for the graph projection: at ${projector!.status().checkpoint} of ${head}`);
  console.log(`projection caught up ${round((performance.now() - waitStarted) / 1000, 1)} s after the last command`);
}

/** The fixture sealed without a log and applied by the graph projection's own apply (graph-synthetic.ts). */
async function buildSynthetic(): Promise<void> {
  // A fixture written by another version of the projection is emptied here, and loaded again.
  const at = (await prepareCheckpoint(store, schema, graphProjection)).position ?? 0n;
  if (at >= BigInt(commandCount)) {
    console.log(`reusing the synthetic fixture in ${schema}: read model at position ${at}`);
    return;
  }
  if (at > 0n) console.log(`resuming a partial synthetic fixture after position ${at}`);
  const sealer = new LoglessSealer({
    principal,
    authorizer: new CedarAuthorizer(await readFile(system.config.policyFile ?? DEFAULT_POLICY_FILE, 'utf8')),
    context: { time: T0 },
    sealedFrom: T0,
  });
  let lastReport = performance.now();
  const load = await loadSyntheticGraph(store, schema, sealer, commandCount, (i) => fixtureCommand(fixture, i, commandContext), {
    onProgress: (applied, position) => {
      if (performance.now() - lastReport < 10_000) return;
      lastReport = performance.now();
      console.log(`  synthetic: at position ${position} of ${commandCount} (${applied} applied by this run)`);
    },
  });
  const resealed = load.resumedAfter === undefined ? '' : ` (the ${load.resumedAfter} before the checkpoint sealed again, not applied)`;
  console.log(
    `synthetic fixture: ${load.applied} events sealed without a log and applied in ${round(load.seconds, 1)} s = ${round(load.applied / load.seconds, 0)} events/s${resealed}`,
  );
  // A pipeline-built fixture is hours old when measured, so autovacuum has set the visibility map (index-only
  // scans skip the heap) and statistics; a bulk load minutes old has neither until this.
  const vacuumStarted = performance.now();
  for (const table of graphProjection.tables) await store.withSession((s) => s.query(`VACUUM (ANALYZE) "${schema}".${table.name}`));
  console.log(`vacuum (analyze) of the graph tables: ${round((performance.now() - vacuumStarted) / 1000, 1)} s`);
}

try {
  if (synthetic) await buildSynthetic();
  else await buildThroughPipeline();
  const counts = (await store.withSession((s) =>
    s.query<{ nodes: bigint; edges: bigint }>(`SELECT (SELECT count(*) FROM "${schema}".graph_nodes) AS nodes, (SELECT count(*) FROM "${schema}".graph_edges) AS edges`),
  ))[0]!;
  console.log(`read model: ${counts.nodes} nodes, ${counts.edges} edges`);

  // Queries over the HTTP API in process (authentication, Cedar, SQL, JSON), warm.
  const token = await issueDevelopmentToken(new TextEncoder().encode(secret), config.right.jwt, { tenant, roles: ['viewer'], region }, Math.floor(Date.now() / 1000));
  const get = async (path: string) => {
    const t0 = performance.now();
    const res = await system.app.request(path, { headers: { authorization: `Bearer ${token}` } });
    const body = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${body.slice(0, 300)}`);
    return ms;
  };
  const pick = (ids: readonly string[], i: number) => ids[(i * 7919) % ids.length]!;
  const q = encodeURIComponent;
  const skipped = { p50: null, p95: null, p99: null, max: null };
  const measure = async (label: string, path: (i: number) => string) => {
    if (rebuildOnly) return skipped;
    for (let i = 0; i < 100; i++) await get(path(i + queries));
    const samples: number[] = [];
    for (let i = 0; i < queries; i++) samples.push(await get(path(i)));
    const s = latencySummary(samples);
    console.log(`${label}: ${queries} queries, p50 ${s.p50} ms, p95 ${s.p95} ms, p99 ${s.p99} ms, max ${s.max} ms`);
    return s;
  };
  // Lineage follows the edges data and builds flow along (seed §1.2: Commit → Build → Artifact → Deployment →
  // Service → Dataset → …), both ways; ownership, location, governance and approvals are not lineage. The
  // same walk over every edge type is measured too: through hubs (regions, policies) it visits thousands.
  const lineageTypes = 'CONSUMES,PRODUCES,BUILDS,DEPLOYS,DERIVED_FROM,TARGETS';
  const lineage = await measure('lineage depth 3 (lineage edge types, both directions, from an artifact)', (i) =>
    `/v1/graph/related?id=${q(pick(fixture.byType.get('Artifact')!, i))}&depth=3&direction=both&types=${lineageTypes}`,
  );
  const related = await measure('related depth 3 (every edge type, both directions, from an artifact)', (i) =>
    `/v1/graph/related?id=${q(pick(fixture.byType.get('Artifact')!, i))}&depth=3&direction=both`,
  );
  const surface = await measure('service surface', (i) => `/v1/graph/services/${q(pick(fixture.byType.get('Service')!, i))}/surface`);
  const impact = await measure('incident impact', (i) => `/v1/graph/incidents/${q(pick(fixture.byType.get('Incident')!, i))}/impact`);

  // Rebuild: the whole log into a fresh schema, as `companyos replay` does. A synthetic fixture has no log.
  let rebuildRate: number | null = null;
  if (synthetic) {
    console.log('rebuild: skipped (--synthetic writes the read model without appending to the log, so there is nothing to replay)');
  } else {
    const head = (await log.headPosition())!;
    const rebuildSchema = `${schema}_rebuild`;
    await dropSchema(store, rebuildSchema);
    await migrate(store, readModelMigrations, rebuildSchema);
    const rebuildStarted = performance.now();
    await projectUntil({ log, store }, graphProjection, { schema: rebuildSchema, until: head, maxBatch: 5000 });
    const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
    rebuildRate = round(commandCount / rebuildSeconds, 0);
    console.log(`rebuild: ${commandCount} events in ${round(rebuildSeconds, 1)} s = ${rebuildRate} events/s`);
    await dropSchema(store, rebuildSchema);
  }
  console.log(memory());
  console.log(
    JSON.stringify({
      bench: 'graph',
      fixture: synthetic ? 'synthetic' : 'pipeline',
      nodes: Number(counts.nodes),
      edges: Number(counts.edges),
      lineage3_p50_ms: lineage.p50,
      lineage3_p95_ms: lineage.p95,
      lineage3_p99_ms: lineage.p99,
      related3_all_edges_p95_ms: related.p95,
      surface_p95_ms: surface.p95,
      impact_p95_ms: impact.p95,
      rebuild_events_per_s: rebuildRate,
    }),
  );
} finally {
  await system.close();
}
