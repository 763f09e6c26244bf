// The peer the benches measure against: Emmett's PostgreSQL event store (@event-driven-io/emmett-postgresql),
// the TypeScript event store engineers reach for — unsigned events, no policy, no HTTP, in-process
// appendToStream. It runs on the same PostgreSQL as ours, in a schema of its own (search_path on its own
// pool, so its emt_* tables and functions land there and are dropped after), with the same event shape:
// the data and meta our sealed event carries, as its data and metadata, with optimistic concurrency on.
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import { cpuSeconds, hostBusySeconds, latencySummary, round, stringArg } from './report.js';

export interface WriterPhase {
  readonly name: string;
  readonly eventsPerS: number;
  readonly appends: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** CPU time of this process (user + system) per 1,000 events, in ms. */
  readonly cpuMsPer1000: number;
  /** CPU time of the whole host (PostgreSQL included) per 1,000 events, in ms (report.ts hostBusySeconds). */
  readonly hostCpuMsPer1000: number;
}

/** `writers` concurrent writers, each on its own stream, appending `batch` events at a time for `seconds`. */
export async function writerPhase(
  name: string,
  writers: number,
  batch: number,
  seconds: number,
  writer: (w: number) => (count: number) => Promise<void>,
): Promise<WriterPhase> {
  const latencies: number[] = [];
  let events = 0;
  const cpu0 = cpuSeconds();
  const host0 = hostBusySeconds();
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const append = writer(w);
      while (performance.now() < end) {
        const t0 = performance.now();
        await append(batch);
        latencies.push(performance.now() - t0);
        events += batch;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const cpu = cpuSeconds() - cpu0;
  const host = hostBusySeconds() - host0;
  const { p50, p95, p99 } = latencySummary(latencies);
  return {
    name, eventsPerS: Math.round(events / elapsed), appends: latencies.length, p50, p95, p99,
    cpuMsPer1000: round((cpu * 1e6) / events, 1), hostCpuMsPer1000: round((host * 1e6) / events, 1),
  };
}

const at = '2026-01-01T00:00:00Z';
/** The payload of our benchmark event (graph.node.updated with its meta), unsigned, as Emmett stores it. */
function emmettEvent(n: number) {
  return {
    type: 'graph.node.updated',
    data: { nodeId: `n${n}`, name: `payments-api-${n}`, replicas: 3 + (n % 5), owner: `user-${n % 17}` },
    metadata: {
      tenant: 'bench',
      region: 'us-east',
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
  };
}

export class EmmettPeer {
  private counter = 0;

  private constructor(
    private readonly store: PostgresEventStore,
    private readonly pool: pg.Pool,
    private readonly url: string,
    readonly schema: string,
  ) {}

  /** Emmett on `url`, in a fresh schema of its own, with a pool of `poolSize` connections. */
  static async open(url: string, poolSize: number): Promise<EmmettPeer> {
    const schema = `emmett_bench_${Math.random().toString(36).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const pool = new pg.Pool({ connectionString: url, max: poolSize, options: `-c search_path=${schema}` });
    const store = getPostgreSQLEventStore(url, { connectionOptions: { pool } });
    await store.schema.migrate();
    return new EmmettPeer(store, pool, url, schema);
  }

  /** One writer's append function: its own stream, expected versions tracked as Emmett's callers do. */
  writer(phase: string, w: number): (count: number) => Promise<void> {
    const stream = `bench-${phase}-w${w}-${randomUUID()}`;
    let version: bigint | undefined;
    return async (count) => {
      const events = Array.from({ length: count }, () => emmettEvent(this.counter++));
      const result = await this.store.appendToStream(stream, events, { expectedStreamVersion: version ?? STREAM_DOES_NOT_EXIST });
      version = result.nextExpectedStreamVersion;
    };
  }

  phase(name: string, writers: number, batch: number, seconds: number): Promise<WriterPhase> {
    return writerPhase(name, writers, batch, seconds, (w) => this.writer(name, w));
  }

  /** Closes Emmett and drops its schema. */
  async close(): Promise<void> {
    await this.store.close().catch(() => {});
    await this.pool.end().catch(() => {});
    const admin = new pg.Client({ connectionString: this.url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    await admin.end();
  }
}

/** `--peer emmett` (the only peer), or undefined; anything else ends the bench with a usage line. */
export function peerArg(): 'emmett' | undefined {
  const peer = stringArg('peer');
  if (peer === undefined || peer === 'emmett') return peer;
  console.error(`--peer: expected emmett, got ${peer ?? 'nothing'}`);
  process.exit(2);
}

/** The figure every peer ratio divides by: Emmett's bare appends, 16 writers on distinct streams, for `seconds` (after a 1 s warm-up). */
export async function emmettWriters16(url: string, seconds: number): Promise<WriterPhase> {
  const store = await EmmettPeer.open(url, 10);
  try {
    await store.phase('warmup', 4, 1, 1);
    return await store.phase('writers16', 16, 1, seconds);
  } finally {
    await store.close();
  }
}
