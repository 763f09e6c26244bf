// npm run bench:metering — sustained metering ingest through the HTTP app (log and read models on the
// PostgreSQL server in DATABASE_URL, default the local test server, a fresh schema dropped after; or
// --embedded for PGlite under a temporary data directory; chDB for ClickHouse), every record accounted
// for in ClickHouse, then ≥ 10M synthetic audit rows and "one actor's actions over 30 days" latency
// through the audit index. Options: --seconds 30 --batch 10000 --workers 2 --audit-rows 10000000 --embedded.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { AUDIT_TABLE, auditMigrations, clickHouseAuditIndex, migrateClickHouse } from '../../adapters/analytics-store/clickhouse/index.js';
import { issueDevelopmentToken } from '../../adapters/auth/jwt.js';
import { dropSchema, openPostgres } from '../../adapters/read-store/postgres/database.js';
import { PostgresEventLog } from '../../adapters/event-log/postgres/index.js';
import { CostQueries } from '../../projections/costs/cost-queries.js';
import { loadConfig } from '../../schemas/config.js';
import { openAnalyticsStore } from '../read-store.js';
import { openSystem } from '../system.js';
import { latencySummary, machine, memory, numberArg, round } from './report.js';

const SECONDS = numberArg('seconds', 30);
const BATCH = numberArg('batch', 10_000);
const WORKERS = numberArg('workers', 2);
const AUDIT_ROWS = numberArg('audit-rows', 10_000_000);
const QUERIES = numberArg('queries', 200);
const EMBEDDED = process.argv.includes('--embedded');
const TENANT = 'bench';

const dataDir = await mkdtemp(join(tmpdir(), 'companyos-bench-metering-'));
const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bench_metering_${randomBytes(4).toString('hex')}`;
const config = loadConfig({
  COMPANYOS_DATA_DIR: dataDir,
  COMPANYOS_JWT_SECRET: 'bench-secret-of-at-least-32-bytes!!',
  ...(EMBEDDED ? {} : { DATABASE_URL: databaseUrl, COMPANYOS_PG_SCHEMA: schema }),
});
if (isLeft(config)) throw new Error(config.left.join('; '));
const analytics = await openAnalyticsStore(config.right);
const system = await openSystem(config.right, { analytics });
system.startProjectors({ headPollMs: 100 });
const token = await issueDevelopmentToken(system.jwtSecret!, config.right.jwt, { subject: 'svc-meter', tenant: TENANT, roles: ['service'], region: 'us-east' }, Math.floor(Date.now() / 1000));
const services = ['api', 'worker', 'db', 'cache', 'search'];

let sent = 0;
let accepted = 0;
let duplicatesSent = 0;
let duplicatesAnswered = 0;
const latencies: number[] = [];
const start = performance.now();
const deadline = start + SECONDS * 1000;
let seq = 0;
/** The log position of the last accepted batch, from the answers: what the count must wait for. */
let lastAcknowledged: bigint | undefined;

async function worker(w: number): Promise<void> {
  let previous: string[] = [];
  for (let b = 0; performance.now() < deadline; b++) {
    const records = Array.from({ length: BATCH }, (_, i) => ({
      eventId: `r-${w}-${seq++}`,
      service: services[i % services.length]!,
      team: `team-${i % 3}`,
      meter: 'compute',
      unit: 'vcpu-second',
      quantity: `${1 + (i % 7)}.${i % 1000}`,
      ts: new Date(Date.UTC(2026, 2, 1) + ((seq * 997) % (28 * 86_400_000))).toISOString(),
    }));
    // Every 5th batch re-sends 100 records of an earlier one: they must be answered as duplicates.
    if (b % 5 === 4) for (let i = 0; i < 100; i++) records[i] = { ...records[i]!, eventId: previous[i * 7]! };
    const dupes = b % 5 === 4 ? 100 : 0;
    const batchIds = records.map((r) => r.eventId);
    const t0 = performance.now();
    const res = await system.app.request('/v1/metering/events', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ records }),
    });
    const body = (await res.json()) as { accepted: number; duplicates: number; batch?: { position?: string }; detail?: string };
    if (res.status !== 200) throw new Error(`batch answered ${res.status}: ${body.detail}`);
    latencies.push(performance.now() - t0);
    if (body.accepted > 0) {
      if (body.batch?.position === undefined) throw new Error('an accepted batch was answered without its log position');
      const position = BigInt(body.batch.position);
      if (lastAcknowledged === undefined || position > lastAcknowledged) lastAcknowledged = position;
    }
    previous = batchIds;
    sent += records.length;
    accepted += body.accepted;
    duplicatesSent += dupes;
    duplicatesAnswered += body.duplicates;
  }
}

await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
const ingestSeconds = (performance.now() - start) / 1000;
// Waits for the last acknowledged batch, not for headPosition(): the head is the last position below the
// log's visibility horizon, and any transaction open at that moment (the cost projector's own, inserting
// the previous batch into ClickHouse) holds the horizon back, so the head can be a batch short of what
// was accepted. Counting after catching up to that head is what once reported `lost: 10000`.
const headAtEnd = await system.log.headPosition();
const costs = system.projectors().find((p) => p.name === 'costs')!;
const usage = new CostQueries(async () => analytics);
const t0 = performance.now();
// What the bench once counted (caught up to that head): shows the race when the head fell short.
const countedAtHead = headAtEnd !== undefined && (await costs.waitFor(headAtEnd, 300_000)) ? Number(await usage.usageCount(TENANT)) : undefined;
if (lastAcknowledged !== undefined && !(await costs.waitFor(lastAcknowledged, 300_000))) throw new Error('cost projection did not catch up');
const catchUpMs = performance.now() - t0;
const counted = Number(await usage.usageCount(TENANT));
const lost = Math.max(0, accepted - counted);
const duplicated = Math.max(0, counted - accepted);
const recordsPerSecond = Math.round(accepted / ingestSeconds);
const ingestLatency = latencySummary(latencies);

// ---- audit index at 10M rows ----------------------------------------------------------------------
await migrateClickHouse(analytics, auditMigrations);
const ACTORS = 1000;
const t1 = performance.now();
// Generated inside ClickHouse: 10M JSON rows through the client would measure the client, not the index.
for (let done = 0; done < AUDIT_ROWS; done += 1_000_000) {
  const n = Math.min(1_000_000, AUDIT_ROWS - done);
  await analytics.command(`INSERT INTO ${AUDIT_TABLE}
SELECT concat('t', toString(number % 5)) AS tenant,
  toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(cityHash64(number) % (180 * 86400000)) AS time,
  concat('actor-', toString(cityHash64(number, 1) % ${ACTORS})) AS actor_id, 'user', 'graph.node.upsert',
  concat('t', toString(number % 5), '/graph.node/n', toString(cityHash64(number, 2) % 5000)), 'allowed',
  toString(generateUUIDv4()), 'p-1', 'us-east', concat('req-', toString(number)), generateUUIDv4(), number + ${done} + 1, hex(SHA256(toString(number))), ''
FROM numbers(${done}, ${n})`);
}
const auditBuildS = (performance.now() - t1) / 1000;
const [{ rows: auditRows } = { rows: '0' }] = await analytics.query<{ rows: string }>(`SELECT count() AS rows FROM ${AUDIT_TABLE}`);
const index = clickHouseAuditIndex(analytics);
let state = 42;
const rand = (n: number) => ((state = (state * 1103515245 + 12345) % 2 ** 31), state % n);
const samples: number[] = [];
let found = 0;
for (let i = 0; i < QUERIES; i++) {
  const from = new Date(Date.UTC(2026, 0, 1) + rand(150) * 86_400_000);
  const q0 = performance.now();
  const rows = await index.searchAudit({
    tenant: `t${rand(5)}`,
    actor: `actor-${rand(ACTORS)}`,
    from: from.toISOString(),
    to: new Date(from.getTime() + 30 * 86_400_000).toISOString(),
    limit: 100,
  });
  samples.push(performance.now() - q0);
  found += rows.length;
}
const audit = latencySummary(samples);

console.log(`machine: ${machine()}`);
console.log(`log and read models: ${EMBEDDED ? `PGlite under ${dataDir}` : `PostgreSQL ${databaseUrl.replace(/\/\/[^@]*@/, '//')}, schema ${schema}`}; ClickHouse: chDB`);
console.log(`metering ingest: ${round(ingestSeconds, 1)} s, ${WORKERS} workers × batches of ${BATCH} through POST /v1/metering/events`);
console.log(`  sent ${sent}, accepted ${accepted} (${recordsPerSecond} records/s), duplicates sent ${duplicatesSent}, answered ${duplicatesAnswered}`);
console.log(`  batch latency p50 ${ingestLatency.p50} ms, p95 ${ingestLatency.p95} ms, max ${ingestLatency.max} ms; projection caught up ${round(catchUpMs)} ms after the last batch`);
console.log(
  `  the last accepted batch is at log position ${lastAcknowledged}; headPosition() then said ${headAtEnd}, and caught up to that ClickHouse held ${countedAtHead} rows`,
);
console.log(`  ClickHouse holds ${counted} usage rows: lost ${lost}, duplicated ${duplicated}`);
console.log(`audit index: ${auditRows} rows built in ${round(auditBuildS, 1)} s; one actor over 30 days (limit 100), ${QUERIES} queries: p50 ${audit.p50} ms, p95 ${audit.p95} ms, p99 ${audit.p99} ms (${round(found / QUERIES, 1)} rows/query)`);
console.log(memory());
console.log(
  JSON.stringify({ bench: 'metering', records_per_s: recordsPerSecond, lost, duplicated, audit_query_p95_ms: audit.p95, audit_rows: Number(auditRows) }),
);
// Stopped first: projectors still following a dropped schema would print errors on their way out.
const onServer = system.log instanceof PostgresEventLog;
await system.close();
await analytics.close();
if (onServer) {
  const database = await openPostgres({ url: databaseUrl });
  await dropSchema(database, schema);
  await database.close();
}
await rm(dataDir, { recursive: true, force: true });

