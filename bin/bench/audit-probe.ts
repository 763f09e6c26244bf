// Probe of the audit index on embedded chDB (not a test): inserts synthetic audit rows in 100k batches,
// re-inserts 1% as duplicates, then times "one actor's actions over 30 days" with each dedupe strategy.
// Usage: node --import tsx bin/bench/audit-probe.ts [--rows 1000000] [--queries 200]   (data in /tmp)
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  ACTOR_ACTIVITY_SQL,
  AUDIT_TABLE,
  auditMigrations,
  migrateClickHouse,
  openClickHouse,
  RESOURCE_ACTIVITY_SQL,
  type AuditRow,
} from '../../adapters/analytics-store/clickhouse/index.js';
import { latencySummary, machine, memory, numberArg } from './report.js';

const ROWS = numberArg('rows', 1_000_000);
const QUERIES = numberArg('queries', 200);
const BATCH = 100_000;
const TENANTS = 5;
const ACTORS = 200; // per tenant → about 1,000 rows per actor at 1M rows
const RESOURCES = 5_000; // per tenant
const DAYS = 180;
const START = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

// Deterministic pseudo-random numbers, so runs are comparable.
let seed = 42;
const rand = (n: number) => {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
  return seed % n;
};

function row(position: number): AuditRow {
  const denied = rand(50) === 0;
  const tenant = `t${rand(TENANTS)}`;
  return {
    tenant,
    time: new Date(START + rand(DAYS * DAY)).toISOString(),
    actor_id: `user-${rand(ACTORS)}`,
    actor_type: 'user',
    action: denied ? 'access.denied' : ['graph.node.upsert', 'graph.edge.upsert', 'finops.cost.record'][rand(3)]!,
    resource: `${tenant}/graph.node/n${rand(RESOURCES)}`,
    outcome: denied ? 'denied' : 'allowed',
    decision_id: randomUUID(),
    policy_version: 'p-2026-01',
    region: 'eu-west',
    request_id: `req-${position}`,
    event_id: randomUUID(),
    position: String(position),
    hash: randomUUID().replace(/-/g, '').repeat(2),
    reason: denied ? 'forbid: write-region-match' : 'permit: editor',
    purpose: '',
  };
}

const dir = await mkdtemp(join(tmpdir(), 'audit-probe-'));
const store = await openClickHouse({ path: dir, database: 'audit_probe' });
try {
  await migrateClickHouse(store, auditMigrations);
  console.log(`machine: ${machine()}`);

  let insertMs = 0;
  let generateMs = 0;
  const duplicates: AuditRow[] = [];
  for (let done = 0; done < ROWS; done += BATCH) {
    const t0 = performance.now();
    const batch = Array.from({ length: Math.min(BATCH, ROWS - done) }, (_, i) => row(done + i + 1));
    for (let i = 0; i < batch.length; i += 100) duplicates.push(batch[i]!);
    const t1 = performance.now();
    await store.insert(AUDIT_TABLE, batch);
    const t2 = performance.now();
    generateMs += t1 - t0;
    insertMs += t2 - t1;
  }
  const t3 = performance.now();
  await store.insert(AUDIT_TABLE, duplicates); // a replay of 1%: must not show up twice
  const duplicateMs = performance.now() - t3;
  const rowsPerSecond = Math.round(ROWS / (insertMs / 1000));
  console.log(`insert: ${ROWS} rows in ${(insertMs / 1000).toFixed(2)} s = ${rowsPerSecond} rows/s (batches of ${BATCH}; generating them took ${(generateMs / 1000).toFixed(2)} s more); ${duplicates.length} duplicates in ${duplicateMs.toFixed(0)} ms`);
  const [stats] = await store.query<{ rows: string; parts: string; bytes: string }>(
    `SELECT sum(rows) AS rows, count() AS parts, sum(bytes_on_disk) AS bytes FROM system.parts WHERE database = currentDatabase() AND table = '${AUDIT_TABLE}' AND active`,
  );
  console.log(`stored: ${stats?.rows} rows in ${stats?.parts} parts, ${(Number(stats?.bytes) / 2 ** 20).toFixed(1)} MiB on disk`);

  const plain = ACTOR_ACTIVITY_SQL.replace(' FINAL', '');
  const limitBy = plain.replace('ORDER BY time DESC, event_id DESC', 'ORDER BY time DESC, event_id DESC\nLIMIT 1 BY event_id');
  const variants = { 'no dedupe': plain, FINAL: ACTOR_ACTIVITY_SQL, 'LIMIT 1 BY event_id': limitBy, 'resource, FINAL': RESOURCE_ACTIVITY_SQL };
  // The same actors and windows for every variant, so their latencies and row counts compare.
  const cases = Array.from({ length: QUERIES }, () => {
    const tenant = `t${rand(TENANTS)}`;
    const from = new Date(START + rand((DAYS - 30) * DAY));
    return {
      tenant,
      actor: `user-${rand(ACTORS)}`,
      resource: `${tenant}/graph.node/n${rand(RESOURCES)}`,
      from,
      to: new Date(from.getTime() + 30 * DAY),
      limit: 100,
    };
  });
  const results: Record<string, unknown> = {};
  for (const [name, sql] of Object.entries(variants)) {
    const samples: number[] = [];
    let returned = 0;
    for (const params of cases) {
      const t0 = performance.now();
      const rows = await store.query(sql, params);
      samples.push(performance.now() - t0);
      returned += rows.length;
    }
    const summary = latencySummary(samples);
    results[name] = { ...summary, avgRows: Math.round(returned / QUERIES) };
    console.log(`${name.padEnd(20)} p50 ${summary.p50} ms, p95 ${summary.p95} ms, p99 ${summary.p99} ms, max ${summary.max} ms; ${(returned / QUERIES).toFixed(0)} rows avg`);
  }
  const [dupes] = await store.query<{ all: string; distinct: string; final: string }>(
    `SELECT (SELECT count() FROM ${AUDIT_TABLE}) AS all, (SELECT uniqExact(event_id) FROM ${AUDIT_TABLE}) AS distinct, (SELECT count() FROM ${AUDIT_TABLE} FINAL) AS final`,
  );
  console.log(`rows stored ${dupes?.all}, distinct events ${dupes?.distinct}, visible with FINAL ${dupes?.final}; ${memory()}`);
  console.log(JSON.stringify({ bench: 'audit-probe', rows: ROWS, insertRowsPerSecond: rowsPerSecond, queries: results }));
} finally {
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
