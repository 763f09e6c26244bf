// Append benchmark of the PostgreSQL event log alone (no command pipeline): 1 writer, 16 writers on
// distinct streams, 4 writers with 100-event batches, each for a fixed time on a fresh, dropped schema.
// With --peer emmett each shape also runs on Emmett (same PostgreSQL, its own schema, same pool size) right after
// ours, and the ratio is printed per shape, as is each side's client CPU per event (load distorts it less).
// Usage: npm run bench:append -- [--seconds N] [--max-in-flight N] [--pool N] [--peer emmett]   (DATABASE_URL or local default)
import { randomUUID } from 'node:crypto';
import { dropSchema, openPostgres } from '../../adapters/read-store/postgres/database.js';
import { PostgresEventLog } from '../../adapters/event-log/postgres/index.js';
import { sealEvent, signingKeyFromSeed, toEventDraft } from '../../ledger/index.js';
import type { EventDraft } from '../../adapters/event-log/index.js';
import { GENESIS_HASH, type SealedEvent, type UnsealedEvent } from '../../schemas/sealed-event.js';
import { EmmettPeer, peerArg, writerPhase, type WriterPhase } from './emmett-peer.js';
import { load, machine, memory, numberArg, round } from './report.js';

const seconds = numberArg('seconds', 10);
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const poolSize = numberArg('pool', 10);
const peer = peerArg();
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

/** One of our writers: its own stream, revision and hash chain carried from append to append. */
function ourWriter(log: PostgresEventLog, name: string, w: number): (count: number) => Promise<void> {
  const stream = `bench/${name}/w${w}`;
  let revision = -1n;
  let prevHash = GENESIS_HASH;
  return async (count) => {
    const drafts = Array.from({ length: count }, (_, i) => draft(stream, revision + 1n + BigInt(i), prevHash));
    const r = await log.append(stream, revision < 0n ? 'no-stream' : revision, drafts);
    revision = r.revision;
    prevHash = (drafts[drafts.length - 1]!.metadata as { hash: string }).hash;
  };
}

function print(side: string, r: WriterPhase): void {
  console.log(
    `${r.name.padEnd(10)} ${side.padEnd(7)} ${String(r.eventsPerS).padStart(7)} events/s  ${r.appends} appends  ` +
      `latency ms p50 ${r.p50} p95 ${r.p95} p99 ${r.p99}  client CPU ${r.cpuMsPer1000} ms/1000 events  ${memory()}`,
  );
}

const SHAPES = [
  { name: 'single', writers: 1, batch: 1 },
  { name: 'writers16', writers: 16, batch: 1 },
  { name: 'batch100', writers: 4, batch: 100 },
] as const;

console.log(`machine: ${machine()}`);
const sample = draft('bench/graph.node/sample', 0n, GENESIS_HASH);
const stored = Buffer.byteLength(JSON.stringify(sample.data)) + Buffer.byteLength(JSON.stringify(sample.metadata));
console.log(
  `event: ${Buffer.byteLength(JSON.stringify(sample))} bytes of JSON as a draft, ${stored} in data + metadata ` +
    `(sealed envelope: hash, prevHash, signature, meta); ${seconds} s per phase`,
);

const database = await openPostgres({ url, poolSize });
const schema = `fabric_bench_${Math.random().toString(36).slice(2, 10)}`;
const ours: WriterPhase[] = [];
const theirs: WriterPhase[] = [];
const emmett = peer === 'emmett' ? await EmmettPeer.open(url, poolSize) : undefined;
try {
  const log = await PostgresEventLog.open(database, { schema, ...(maxInFlight ? { maxInFlight } : {}) });
  const server = await database.withSession((s) => s.query<{ server_version: string }>('SHOW server_version'));
  console.log(`postgres ${server[0]?.server_version}, pool ${poolSize}, schema ${schema}${emmett ? `; Emmett in schema ${emmett.schema}, pool ${poolSize}` : ''}`);
  // Warm-up, not counted: JIT, both pools' connections, Emmett's prepared functions.
  await writerPhase('warmup', 4, 1, 1, (w) => ourWriter(log, 'warmup', w));
  if (emmett) await emmett.phase('warmup', 4, 1, 1);
  // Each shape runs ours, then the peer's, back to back: the two sides of a line see the same host load.
  for (const shape of SHAPES) {
    const o = await writerPhase(shape.name, shape.writers, shape.batch, seconds, (w) => ourWriter(log, shape.name, w));
    ours.push(o);
    print('ours', o);
    if (emmett) {
      const e = await emmett.phase(shape.name, shape.writers, shape.batch, seconds);
      theirs.push(e);
      print('emmett', e);
      console.log(`${shape.name.padEnd(10)} ratio   ${round(o.eventsPerS / e.eventsPerS)}× Emmett's events/s; client CPU per event ${round(o.cpuMsPer1000 / e.cpuMsPer1000)}× Emmett's`);
    }
  }
  await log.close();
} finally {
  await emmett?.close().catch(() => {});
  await dropSchema(database, schema).catch(() => {});
  await database.close();
}
console.log(load());
const [single, w16, b100] = ours;
const [eSingle, eW16, eB100] = theirs;
const ratio = (a?: WriterPhase, b?: WriterPhase) => (a && b ? round(a.eventsPerS / b.eventsPerS) : undefined);
console.log(
  JSON.stringify({
    bench: 'append',
    single_writer_events_per_s: single?.eventsPerS,
    writers16_events_per_s: w16?.eventsPerS,
    batch100_events_per_s: b100?.eventsPerS,
    p99_ms_writers16: w16?.p99,
    ...(emmett
      ? {
          peer: 'emmett',
          emmett_single_writer_events_per_s: eSingle?.eventsPerS,
          emmett_writers16_events_per_s: eW16?.eventsPerS,
          emmett_batch100_events_per_s: eB100?.eventsPerS,
          ratio_single: ratio(single, eSingle),
          ratio_writers16: ratio(w16, eW16),
          ratio_batch100: ratio(b100, eB100),
        }
      : {}),
  }),
);
