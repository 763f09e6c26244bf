// Append benchmark of the PostgreSQL event log alone (no command pipeline): 1 writer, 16 writers on
// distinct streams, 4 writers with 100-event batches, each for a fixed time on a fresh, dropped schema.
// Usage: npm run bench:append -- [--seconds N] [--max-in-flight N] [--pool N]   (DATABASE_URL or local default)
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { dropSchema, openPostgres } from '../../adapters/read-store/postgres/database.js';
import { PostgresEventLog } from '../../adapters/event-log/postgres/index.js';
import { sealEvent, signingKeyFromSeed, toEventDraft } from '../../ledger/index.js';
import type { EventDraft } from '../../adapters/event-log/index.js';
import { GENESIS_HASH, type SealedEvent, type UnsealedEvent } from '../../schemas/sealed-event.js';
import { latencySummary, machine, memory, numberArg } from './report.js';

const seconds = numberArg('seconds', 10);
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const poolSize = numberArg('pool', 10);
const maxInFlight = process.argv.includes('--max-in-flight') ? numberArg('max-in-flight', 2) : undefined;

// Sealed events are made realistically (real hash and Ed25519 signature, ~750 bytes as stored), but
// only a pool of templates is sealed up front: signing every benchmark event would measure node:crypto,
// not the log. Each append re-stamps a template with a fresh id, stream, revision and prevHash, so the
// stored bytes have the real shape and size; their seals are not valid for the re-stamped fields.
const key = signingKeyFromSeed(Uint8Array.from({ length: 32 }, (_, i) => 7 * i + 3), '2020-01-01T00:00:00Z');
const TEMPLATES = 256;
const templates: SealedEvent[] = Array.from({ length: TEMPLATES }, (_, n) => sealEvent(unsealed(n), key));

function unsealed(n: number): UnsealedEvent {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString().replace('.000Z', 'Z');
  return {
    id: randomUUID(),
    stream: `bench/graph.node/n${n}`,
    revision: 0,
    type: 'graph.node.updated',
    schemaVersion: 1,
    tenant: 'bench',
    region: 'us-east',
    sealedAt: at,
    data: { nodeId: `n${n}`, name: `payments-api-${n}`, replicas: 3 + (n % 5), owner: `user-${n % 17}` },
    meta: {
      actor: { id: `user-${n % 17}`, type: 'user', authn: 'jwt' },
      sourceSystem: 'api',
      observedAt: at,
      effectiveAt: at,
      reason: 'load review',
      evidenceRefs: [],
      confidence: 1,
      privacyTier: 'internal',
      piiFlags: [],
      requestId: `req-${n}`,
      correlationId: `corr-${n}`,
      causationId: `cmd-${n}`,
      decision: { id: `dec-${n}`, policyVersion: 'b'.repeat(16), determiningPolicies: ['policy0'] },
    },
    prevHash: GENESIS_HASH,
  };
}

let counter = 0;
function draft(stream: string, revision: bigint, prevHash: string): EventDraft {
  const t = templates[counter++ % TEMPLATES]!;
  return toEventDraft({ ...t, id: randomUUID(), stream, revision: Number(revision), prevHash });
}

interface PhaseResult {
  readonly name: string;
  readonly eventsPerS: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}


async function phase(log: PostgresEventLog, name: string, writers: number, batch: number): Promise<PhaseResult> {
  const latencies: number[] = [];
  let events = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const stream = `bench/${name}/w${w}`;
      let revision = -1n;
      let prevHash = GENESIS_HASH;
      while (performance.now() < end) {
        const drafts = Array.from({ length: batch }, (_, i) => draft(stream, revision + 1n + BigInt(i), prevHash));
        const t0 = performance.now();
        const r = await log.append(stream, revision < 0n ? 'no-stream' : revision, drafts);
        latencies.push(performance.now() - t0);
        revision = r.revision;
        prevHash = (drafts[drafts.length - 1]!.metadata as { hash: string }).hash;
        events += batch;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const { p50, p95, p99 } = latencySummary(latencies);
  const result = { name, eventsPerS: Math.round(events / elapsed), p50, p95, p99 };
  console.log(
    `${name.padEnd(10)} ${String(result.eventsPerS).padStart(7)} events/s  ${latencies.length} appends  ` +
      `latency ms p50 ${p50} p95 ${p95} p99 ${p99}  ${memory()}`,
  );
  return result;
}

console.log(`machine: ${machine()}`);
const sample = draft('bench/graph.node/sample', 0n, GENESIS_HASH);
const stored = Buffer.byteLength(JSON.stringify(sample.data)) + Buffer.byteLength(JSON.stringify(sample.metadata));
console.log(
  `event: ${Buffer.byteLength(JSON.stringify(sample))} bytes of JSON as a draft, ${stored} in data + metadata ` +
    `(sealed envelope: hash, prevHash, signature, meta); ${seconds} s per phase`,
);

const database = await openPostgres({ url, poolSize });
const schema = `fabric_bench_${Math.random().toString(36).slice(2, 10)}`;
const results: PhaseResult[] = [];
try {
  const log = await PostgresEventLog.open(database, { schema, ...(maxInFlight ? { maxInFlight } : {}) });
  const server = await database.withSession((s) => s.query<{ server_version: string }>('SHOW server_version'));
  console.log(`postgres ${server[0]?.server_version}, pool ${poolSize}, schema ${schema}`);
  results.push(await phase(log, 'single', 1, 1));
  results.push(await phase(log, 'writers16', 16, 1));
  results.push(await phase(log, 'batch100', 4, 100));
  await log.close();
} finally {
  await dropSchema(database, schema).catch(() => {});
  await database.close();
}
const [single, w16, b100] = results;
console.log(
  JSON.stringify({
    bench: 'append',
    single_writer_events_per_s: single?.eventsPerS,
    writers16_events_per_s: w16?.eventsPerS,
    batch100_events_per_s: b100?.eventsPerS,
    p99_ms_writers16: w16?.p99,
  }),
);
