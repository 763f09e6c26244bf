// Stored tenant trees, on PostgreSQL: the tree projection's write rate (leaves/s through its apply: hash,
// COPY of every completed perfect subtree and of the leaf), inclusion and consistency proof latency at
// --leaves (default 10,000,000; one indexed query each), and 10,000 receipts exported (commands/receipts.ts:
// leaves, one node query for every proof, the log read, NDJSON) against a checkpoint the real checkpointer
// signs over a sealed log of --events events. A schema of its own, dropped at the end (--keep keeps it, and
// a kept tree of the same size is reused).
// Usage: npm run bench:ledger-store [-- --leaves 10000000 --events 20000 --proofs 2000 --receipts 10000 --keep]
import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { dropSchema, migrate, openPostgres } from '../../adapters/read-store/postgres/database.js';
import { openPostgresEventLog } from '../../adapters/event-log/postgres/index.js';
import { startCheckpointer } from '../../commands/checkpointer.js';
import { receiptsOf } from '../../commands/receipts.js';
import { Keyring, sealEvent, signingKeyFromSeed, toEventDraft } from '../../ledger/index.js';
import { readModelMigrations } from '../../projections/index.js';
import type { ProjectedEvent } from '../../projections/projection.js';
import { projectUntil } from '../../projections/runtime.js';
import { treeProjection } from '../../projections/tree/tree-projection.js';
import { TreeQueries } from '../../projections/tree/tree-queries.js';
import { GENESIS_HASH, type SealedEvent } from '../../schemas/sealed-event.js';
import { latencySummary, machine, memory, numberArg, round } from './report.js';

const leaves = numberArg('leaves', 10_000_000);
const eventCount = numberArg('events', 20_000);
const proofCount = numberArg('proofs', 2000);
const receiptCount = numberArg('receipts', 10_000);
const keep = process.argv.includes('--keep');
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bench_tree_${leaves}`;
const BIG = 'big';
const TENANT = 'bench';
const BATCH = 50_000;

console.log(`bench:ledger-store on ${machine()}`);
const store = await openPostgres({ url, schema, poolSize: 4 });
await migrate(store, readModelMigrations, schema);
const trees = new TreeQueries(store, schema);

// 1. The big tree: `leaves` synthetic events (random hashes) of one tenant through the projection's own apply.
let appendPerS: number | null = null;
const have = (await trees.head(BIG)).size;
if (have === leaves) console.log(`reusing the tree of ${leaves.toLocaleString('en')} leaves in ${schema}`);
else {
  if (have !== 0) throw new Error(`${schema} holds a tree of ${have} leaves: drop the schema or use --leaves ${have}`);
  const started = performance.now();
  for (let at = 0; at < leaves; at += BATCH) {
    const events: ProjectedEvent[] = [];
    for (let i = at; i < Math.min(leaves, at + BATCH); i++) {
      const hash = createHash('sha256').update(`leaf ${i}`).digest('hex');
      const event = { id: randomUUID(), tenant: BIG, hash, type: 'bench.synthetic', sealedAt: '2026-01-01T00:00:00Z' } as unknown as SealedEvent;
      events.push({ position: BigInt(i + 1), event });
    }
    await store.withSession(async (s) => {
      await s.query('BEGIN');
      await s.pipeline(await treeProjection.apply(s, `"${schema}"`, events));
      await s.query('COMMIT');
    });
    if ((at / BATCH) % 20 === 19) console.error(`tree: ${(at + BATCH).toLocaleString('en')} leaves, ${Math.round((at + BATCH) / ((performance.now() - started) / 1000)).toLocaleString('en')} leaves/s`);
  }
  appendPerS = Math.round(leaves / ((performance.now() - started) / 1000));
  await store.withSession((s) => s.query(`ANALYZE "${schema}".tree_nodes`));
  console.log(`stored append (projection apply, COPY): ${appendPerS.toLocaleString('en')} leaves/s over ${leaves.toLocaleString('en')} leaves`);
}

// 2. Proofs at that size: random leaves, one at a time (each: the size check and one node query).
const random = (n: number) => Math.floor(Math.random() * n);
const inclusion: number[] = [];
for (let i = 0; i < proofCount + 100; i++) {
  const t0 = performance.now();
  await trees.inclusionProof(BIG, random(leaves), leaves);
  if (i >= 100) inclusion.push(performance.now() - t0);
}
const inclusionMs = latencySummary(inclusion);
console.log(`inclusion proof at ${leaves.toLocaleString('en')} leaves: p50 ${round(inclusionMs.p50)} ms, p95 ${round(inclusionMs.p95)} ms, p99 ${round(inclusionMs.p99)} ms`);
const consistency: number[] = [];
for (let i = 0; i < proofCount / 4; i++) {
  const t0 = performance.now();
  await trees.consistencyProof(BIG, 1 + random(leaves - 1), leaves);
  consistency.push(performance.now() - t0);
}
const consistencyMs = latencySummary(consistency);
console.log(`consistency proof to ${leaves.toLocaleString('en')} leaves: p50 ${round(consistencyMs.p50)} ms, p95 ${round(consistencyMs.p95)} ms`);

// 3. Receipts: a sealed log of `eventCount` events of one tenant, projected, checkpointed by the checkpointer.
const log = await openPostgresEventLog({ url, schema: `${schema}_log` });
const key = signingKeyFromSeed(new Uint8Array(32).fill(7), '2020-01-01T00:00:00Z');
const keyring = new Keyring([], key);
const streams = 10;
const stream = (k: number) => `${TENANT}/graph.node/n${k}`;
const existing = (await log.readStream(stream(0))).length;
if (existing === 0) {
  for (let k = 0; k < streams; k++) {
    let prevHash = GENESIS_HASH;
    const perStream = Math.ceil(eventCount / streams);
    for (let from = 0; from < perStream; from += 1000) {
      const sealed: SealedEvent[] = [];
      for (let revision = from; revision < Math.min(perStream, from + 1000); revision++) {
        const e = sealEvent(
          {
            id: randomUUID(), stream: stream(k), revision, type: 'graph.node.upserted', schemaVersion: 1, tenant: TENANT, region: 'us-east',
            sealedAt: new Date(Date.UTC(2026, 0, 1) + revision * 1000).toISOString(), data: { id: `n${k}`, revision },
            meta: {
              actor: { id: 'bench', type: 'service', authn: 'system' }, sourceSystem: 'bench', observedAt: '2026-01-01T00:00:00Z', effectiveAt: '2026-01-01T00:00:00Z',
              reason: 'bench', evidenceRefs: [], confidence: 1, privacyTier: 'internal', piiFlags: [], requestId: 'bench', correlationId: 'bench', causationId: 'bench',
              decision: { id: 'bench', policyVersion: 'bench', determiningPolicies: [] },
            },
            prevHash,
          },
          key,
        );
        prevHash = e.hash;
        sealed.push(e);
      }
      await log.append(stream(k), from === 0 ? 'no-stream' : BigInt(from - 1), sealed.map(toEventDraft));
    }
  }
}
await migrate(log.database, readModelMigrations);
const started = performance.now();
await projectUntil({ log, store: log.database }, treeProjection, { schema: log.database.schema, maxBatch: 5000 });
// A kept log was projected by the run that wrote it: no rate then.
const projectedPerS = existing === 0 ? Math.round(eventCount / ((performance.now() - started) / 1000)) : null;
const logTrees = new TreeQueries(log.database);
const checkpointer = startCheckpointer({ log, trees: logTrees, keyring, lock: log.database, clock: () => new Date(), logOrigin: 'bench.local' }, { intervalMs: 3_600_000, lockRetryMs: 10 });
while (!checkpointer.status().active) await new Promise((r) => setTimeout(r, 5));
await checkpointer.checkpointNow();
await checkpointer.close();
// The checkpoint event may not be visible to the first read after its append: project until the tree holds it.
for (let tries = 0; (await logTrees.latestCheckpoint(TENANT)) === undefined; tries++) {
  if (tries === 100) throw new Error('the checkpoint never reached the tree read model');
  await projectUntil({ log, store: log.database }, treeProjection, { schema: log.database.schema });
  if ((await logTrees.latestCheckpoint(TENANT)) === undefined) await new Promise((r) => setTimeout(r, 50));
}
const deps = { log, trees: logTrees, keyring, logOrigin: 'bench.local' };
const exportOnce = async () => {
  const t0 = performance.now();
  const batch = await receiptsOf(deps, TENANT, { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' }, receiptCount);
  const bytes = batch.receipts.reduce((n, r) => n + JSON.stringify(r).length + 1, 0);
  return { ms: performance.now() - t0, count: batch.receipts.length, bytes };
};
await exportOnce(); // warm-up
const exported = await exportOnce();
console.log(`receipts: ${exported.count.toLocaleString('en')} exported in ${round(exported.ms)} ms (${round(exported.bytes / 1e6)} MB NDJSON); tree projection from the log: ${projectedPerS === null ? 'n/a (kept log)' : `${projectedPerS.toLocaleString('en')} events/s`}`);
console.log(memory());

await log.close();
if (!keep) {
  await dropSchema(store, schema);
  await dropSchema(store, `${schema}_log`);
}
await store.close();
console.log(
  JSON.stringify({
    bench: 'ledger-store',
    leaves,
    storedAppendLeavesPerS: appendPerS,
    inclusionProofMs: inclusionMs,
    consistencyProofMs: { p50: round(consistencyMs.p50), p95: round(consistencyMs.p95) },
    treeProjectionEventsPerS: projectedPerS,
    receipts: exported.count,
    receiptsExportMs: round(exported.ms),
  }),
);
