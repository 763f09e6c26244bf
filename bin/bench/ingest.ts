// bench:ingest — NATS in → sealed events → NATS out on PostgreSQL and JetStream; the system runs in its own
// process(es), the generator publishes graph.node.upsert (at most --window unanswered) and reads the events stream.
// npm run bench:ingest [-- --seconds 30 --window 128 --concurrency 32 --workers 1 --warmup 5 --profile --eventstore-double --peer emmett]
// --peer emmett: then Emmett's bare appends, 16 writers on distinct streams, on the same PostgreSQL for as long, and the ratio.
// --eventstore-double: the log is EventStoreTestDouble (in this process) through the real EventStoreDB client,
// for the code path, not the figure (the double is an in-memory test server, not a database).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import pg from 'pg';
import { openEventStoreLog } from '../../adapters/event-log/eventstore/index.js';
import { ensureIngestTopology, ingestSubject, type IngestOptions } from '../../adapters/nats/index.js';
import { EventStoreTestDouble } from '../../test/eventstore-double/eventstore-test-double.js';
import { emmettWriters16, peerArg } from './emmett-peer.js';
import { latencySummary, machine, memory, numberArg, round } from './report.js';

const seconds = numberArg('seconds', 30);
const warmup = numberArg('warmup', 5);
const window = numberArg('window', 128);
const workerCount = numberArg('workers', 1);
const concurrency = numberArg('concurrency', 32);
const profile = process.argv.includes('--profile');
const peer = peerArg();
const double = process.argv.includes('--eventstore-double') ? await EventStoreTestDouble.start() : undefined;
const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const id = randomBytes(4).toString('hex');
const schema = `bench_nats_${id}`;
const tenant = 'bench';
const T0 = '2026-01-01T00:00:00Z';

const ingest: IngestOptions = {
  stream: `BENCH_${id}_INGEST`,
  subjectPrefix: `bench${id}.ingest`,
  durable: `bench${id}-ingest`,
  deadLetterStream: `BENCH_${id}_DL`,
  deadLetterPrefix: `bench${id}.deadletter.ingest`,
  concurrency,
};
const events = { stream: `BENCH_${id}_EVENTS`, subjects: [`bench${id}.companyos.>`] };
const settings = { ingest, events, relay: { name: `bench-${id}`, subjectPrefix: `bench${id}.companyos` } };

const dataDir = await mkdtemp(join(tmpdir(), 'companyos-bench-ingest-'));
const workers = Array.from({ length: workerCount }, (_, w) => {
  const child = spawn(process.execPath, [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${dataDir}`] : []), '--import', 'tsx', resolve(import.meta.dirname, 'ingest-worker.ts')], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      NATS_URL: natsUrl,
      COMPANYOS_PG_SCHEMA: schema,
      ...(double === undefined ? {} : { EVENTSTORE_URL: double.url }),
      // One data directory per process (development keyring); all share the schema and the streams.
      COMPANYOS_DATA_DIR: join(dataDir, `w${w}`),
      COMPANYOS_JWT_SECRET: 'bench-secret-bench-secret-bench-secret',
      BENCH_SETTINGS: JSON.stringify(settings),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const state = { child, out: '', exit: new Promise<void>((r) => child.once('exit', () => r())) };
  child.stdout!.on('data', (c: Buffer) => (state.out += c.toString()));
  return state;
});

const nc: NatsConnection = await connect({ servers: natsUrl });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cleanup(): Promise<void> {
  for (const w of workers) {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await Promise.race([w.exit, sleep(30_000)]);
  }
  const jsm = await nc.jetstreamManager();
  for (const s of [ingest.stream!, ingest.deadLetterStream!, events.stream]) await jsm.streams.delete(s).catch(() => false);
  await nc.close();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
  await double?.stop();
  if (!profile) await rm(dataDir, { recursive: true, force: true });
}

interface LogCount {
  readonly n: string;
  readonly keys: string;
  readonly unreadable: string;
}
/** Events in the log, distinct idempotency keys, and committed events not yet readable (xmin horizon). */
async function countPostgresLog(): Promise<LogCount> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (
      await client.query<LogCount>(
        `SELECT count(*)::text AS n, count(DISTINCT metadata->'meta'->>'idempotencyKey')::text AS keys,
                count(*) FILTER (WHERE tx_id >= pg_snapshot_xmin(pg_current_snapshot()))::text AS unreadable
           FROM ${schema}.events`,
      )
    ).rows[0]!;
  } finally {
    await client.end();
  }
}
async function countEventStoreLog(url: string): Promise<LogCount> {
  const log = await openEventStoreLog(url);
  try {
    const events = await log.readAll({ filter: { streamPrefixes: [`${tenant}/`] } });
    const keys = new Set(events.map((e) => (e.metadata as { meta?: { idempotencyKey?: string } }).meta?.idempotencyKey));
    return { n: String(events.length), keys: String(keys.size), unreadable: '0' };
  } finally {
    await log.close();
  }
}

/** Busy, stolen (by the hypervisor) and total jiffies of the whole machine (/proc/stat). */
async function machineCpu(): Promise<{ busy: number; steal: number; total: number }> {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const busy = user! + nice! + system! + irq! + softirq!;
  return { busy, steal: steal!, total: busy + idle! + iowait! + steal! };
}
/** CPU of every local process named `comm` (e.g. postgres, nats-server), to see who used the cores. */
async function commandCpuMs(comm: string): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  let total = 0;
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    try {
      if ((await readFile(`/proc/${pid}/comm`, 'utf8')).trim() === comm) total += await processCpuMs(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  return total;
}
async function processCpuMs(pid: number): Promise<number> {
  const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  // utime + stime, plus cutime + cstime (exited children: the postmaster's backends), in ticks of 10 ms.
  return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / 100;
}

try {
  const deadline = Date.now() + 60_000;
  while (!workers.every((w) => w.out.includes('ready'))) {
    if (workers.some((w) => w.child.exitCode !== null) || Date.now() > deadline) throw new Error('a system process did not start');
    await sleep(50);
  }
  await ensureIngestTopology(nc, ingest);
  const js = nc.jetstream();

  // Outbound: the events stream through an ordered consumer (lossless, unlike a core subscription).
  const publishedAt = new Map<string, number>();
  const seenKeys = new Map<string, number>();
  const seenEvents = new Set<string>();
  let outbound = 0;
  let measuring = false;
  let measuredOut = 0;
  const latencies: number[] = [];
  const measuredKeys = new Set<string>();
  const outMessages = await (await js.consumers.get(events.stream)).consume({ max_messages: 2000 });
  const decoder = new TextDecoder();
  const reading = (async () => {
    for await (const m of outMessages) {
      const now = performance.now();
      outbound++;
      const sealed = JSON.parse(decoder.decode(m.data)) as { id: string; meta: { idempotencyKey?: string } };
      seenEvents.add(sealed.id);
      const key = sealed.meta.idempotencyKey?.replace(/^key:/, '') ?? '';
      seenKeys.set(key, (seenKeys.get(key) ?? 0) + 1);
      if (measuring) measuredOut++;
      if (measuredKeys.has(key)) latencies.push(now - publishedAt.get(key)!);
      publishedAt.delete(key);
    }
  })();

  const subject = ingestSubject(ingest.subjectPrefix!, tenant, 'graph.node.upsert');
  const types = ['Build', 'Artifact', 'Service', 'Dataset'];
  const encoder = new TextEncoder();
  let published = 0;
  const publishUntil = async (end: number, measured: boolean) => {
    while (performance.now() < end) {
      const open = published - seenKeys.size;
      if (open >= window) {
        await sleep(1);
        continue;
      }
      const batch = Math.min(200, window - open);
      const acks: Promise<unknown>[] = [];
      for (let k = 0; k < batch; k++) {
        const i = published++;
        const key = `b-${i}`;
        const body = { id: `node:${i}`, type: types[i % types.length], region: 'us-east', attributes: { n: i, source: 'bench' }, provenance: { sourceSystem: 'bench', observedAt: T0 } };
        publishedAt.set(key, performance.now());
        if (measured) measuredKeys.add(key);
        acks.push(js.publish(subject, encoder.encode(JSON.stringify(body)), { msgID: key }));
      }
      await Promise.all(acks);
    }
  };

  await publishUntil(performance.now() + warmup * 1000, false);
  const cpu0 = await machineCpu();
  const workerCpu = () => Promise.all(workers.map((w) => processCpuMs(w.child.pid!))).then((a) => a.reduce((x, y) => x + y, 0));
  const worker0 = await workerCpu();
  const others0 = await Promise.all([commandCpuMs('postgres'), commandCpuMs('nats-server')]);
  const self0 = process.cpuUsage();
  measuring = true;
  const started = performance.now();
  await publishUntil(started + seconds * 1000, true);
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpu1 = await machineCpu();
  const worker1 = await workerCpu();
  const others1 = await Promise.all([commandCpuMs('postgres'), commandCpuMs('nats-server')]);
  const self1 = process.cpuUsage(self0);
  const eventsPerSecond = round(measuredOut / elapsed, 0);

  // Drain: everything published must come out, once.
  const drainDeadline = Date.now() + 120_000;
  while (seenKeys.size < published && Date.now() < drainDeadline) await sleep(50);
  await sleep(500); // let any late duplicate arrive before counting
  await outMessages.close();
  await reading;

  const streamed = (await (await nc.jetstreamManager()).streams.info(events.stream)).state.messages;
  const logged = double === undefined ? await countPostgresLog() : await countEventStoreLog(double.url);
  // Lost: a command published whose event never came out, or an event logged but never relayed.
  const lost = Math.max(published - seenKeys.size, Number(logged.n) - seenEvents.size);
  // Duplicated: an event delivered out twice, or a command appended twice.
  const duplicated = outbound - seenEvents.size + (Number(logged.n) - Number(logged.keys));

  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.race([Promise.all(workers.map((w) => w.exit)), sleep(30_000)]);
  const rss = workers.map((w) => (JSON.parse(/\{"worker".*\}/.exec(w.out)?.[0] ?? '{"worker":{}}').worker as { rss?: number }).rss ?? NaN);

  const l = latencySummary(latencies);
  const busy = (100 * (cpu1.busy - cpu0.busy)) / (cpu1.total - cpu0.total);
  const stolen = (100 * (cpu1.steal - cpu0.steal)) / (cpu1.total - cpu0.total);
  console.log(`machine: ${machine()}`);
  const logName = double === undefined ? `PostgreSQL ${new URL(databaseUrl).host} schema ${schema}` : `EventStoreTestDouble ${double.url} (real client)`;
  console.log(`setup: NATS ${natsUrl} → ingest (${workerCount} × ${concurrency} in flight) → pipeline → ${logName} → relay → JetStream; window ${window}`);
  console.log(`throughput: ${eventsPerSecond} events/s out over ${round(elapsed, 1)} s (${measuredOut} events; ${published} commands published in total)`);
  console.log(`latency publish → outbound ms: p50 ${l.p50}  p95 ${l.p95}  p99 ${l.p99}  max ${l.max}  (${latencies.length} samples)`);
  console.log(`check: log ${logged.n} events, events stream ${streamed} messages, ${seenEvents.size} distinct read out, lost ${lost}, duplicated ${duplicated}`);
  if (Number(logged.unreadable) > 0) {
    // Committed but behind the log's xmin horizon: some other transaction on the server is still open.
    console.log(`warning: ${logged.unreadable} committed events are not yet readable (a long transaction elsewhere holds the xmin horizon)`);
  }
  const share = (ms: number) => `${round(ms / 10 / elapsed, 0)} %`;
  console.log(
    `cpu (100 % = one core): machine ${round(busy * cpus().length, 0)} % busy + ${round(stolen * cpus().length, 0)} % stolen of ${machine().split(' × ')[1]?.split(',')[0]}; system process${workerCount > 1 ? `es (${workerCount})` : ''} ${share(worker1 - worker0)}; ` +
      `postgres ${share(others1[0]! - others0[0]!)}; nats-server ${share(others1[1]! - others0[1]!)}; generator ${share((self1.user + self1.system) / 1000)}`,
  );
  console.log(`memory: system process rss ${rss.map((r) => `${(r / 2 ** 20).toFixed(0)} MiB`).join(', ')}; generator ${memory()}`);
  for (const w of workers) console.log(`system process: ${/\{"worker".*\}/.exec(w.out)?.[0] ?? '(no stats)'}`);
  if (profile) console.log(`profile: ${dataDir}/*.cpuprofile`);
  // The peer, in the same run with the system stopped: Emmett's bare appends, 16 writers on distinct streams, as long as the round.
  let vsPeer = {};
  if (peer === 'emmett') {
    const emmett = await emmettWriters16(databaseUrl, seconds);
    const ratio = round(eventsPerSecond / emmett.eventsPerS);
    console.log(`emmett: 16 writers, bare appends on distinct streams: ${emmett.eventsPerS} events/s; ingest events/s ÷ Emmett's 16-writer appends/s = ${ratio} (target ≥ 0.75)`);
    vsPeer = { peer: 'emmett', emmett_writers16_events_per_s: emmett.eventsPerS, ratio };
  }
  console.log(JSON.stringify({ bench: 'ingest', log: double === undefined ? 'postgres' : 'eventstore-double', events_per_s: eventsPerSecond, lost, duplicated, p99_ms: l.p99, p50_ms: l.p50, p95_ms: l.p95, seconds: round(elapsed, 1), workers: workerCount, ...vsPeer }));
} finally {
  await cleanup();
}
