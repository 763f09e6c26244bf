// Ledger benchmark, every figure of issue 14's Proof in one run, last line JSON. In memory: the Merkle
// appender's rate (leaf hash included), proof assembly and verification, the pure SHA-256 next to
// node:crypto's, and the offline verifier on a 1,000-event receipt bundle (what `companyos verify-receipt` and
// a browser do). Stored, on PostgreSQL: bench:ledger-store's figures (inclusion proof p95 at 10M leaves,
// 10,000 receipts exported; run as a child with --keep, so its tree and sealed log are reused next time),
// then a full tenant verification of that sealed log with signatures (verifyTenant on 1 thread and on every
// core, the tree rebuilt from the same read), then the checkpointer's cost to commands (bench:checkpoint-cost:
// off and on in short paired rounds, the median ratio). The host is shared: CPU time and load are printed.
// Usage: npm run bench:ledger -- [--leaves N] [--receipts N] [--store-leaves 10000000] [--commands-seconds 4] [--commands-pairs 12]
//   [--no-store] [--no-commands]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { verifyReceipts } from '../../ledger/offline-verifier.js';
import { assembleProof, CompactRange, inclusionProofPlan, leafHash, verifyInclusion, type Hash } from '../../ledger/merkle.js';
import { sha256 } from '../../ledger/sha256.js';
import { receiptFixture } from '../../test/receipt-fixtures.js';
import { openPostgresEventLog } from '../../adapters/event-log/postgres/index.js';
import { verifyTenant } from '../../commands/verify-tenant.js';
import { Keyring, signingKeyFromSeed, signingMessage } from '../../ledger/index.js';
import { machine, memory, numberArg, round } from './report.js';

const leaves = numberArg('leaves', 1_000_000);
const receiptCount = numberArg('receipts', 1000);
const storeLeaves = numberArg('store-leaves', 10_000_000);
const commandsSeconds = numberArg('commands-seconds', 4);
const commandsPairs = numberArg('commands-pairs', 12);
const withStore = !process.argv.includes('--no-store');
const withCommands = !process.argv.includes('--no-commands');
const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

console.log(`${machine()}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

/** Wall and CPU milliseconds of `fn` (CPU: this process's user + system time, all threads). On a busy host
 * the CPU figure is what the work costs; the wall figure is what it took. */
async function timed<T>(fn: () => T | Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { value, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

// Leaf inputs as the checkpointer sees them: 32-byte event hashes.
const inputs: Uint8Array[] = Array.from({ length: Math.min(leaves, 65536) }, (_, i) => createHash('sha256').update(String(i)).digest());

function appendAll(): Hash {
  const range = new CompactRange();
  for (let i = 0; i < leaves; i++) range.append(leafHash(inputs[i % inputs.length]!));
  return range.root();
}
appendAll(); // warm-up
const appended = await timed(appendAll);
const append = { perS: Math.round(leaves / (appended.wallMs / 1000)), perCpuS: Math.round(leaves / (appended.cpuMs / 1000)) };
console.log(`merkle append: ${append.perS.toLocaleString('en')} leaves/s wall, ${append.perCpuS.toLocaleString('en')} per CPU second, over ${leaves.toLocaleString('en')} leaves (leaf hash included)`);

// Proofs from an in-memory store of every perfect subtree (2^16 leaves).
const size = 65536;
const stored = new Map<string, Hash>();
const range = new CompactRange();
for (let i = 0; i < size; i++) for (const c of range.append(leafHash(inputs[i]!))) stored.set(`${c.level}/${c.index}`, c.hash);
const root = range.root();
const proofs = 20000;
let started = performance.now();
const made: Hash[][] = [];
for (let i = 0; i < proofs; i++) {
  const plan = inclusionProofPlan((i * 7919) % (size - 3), size - 3);
  made.push(assembleProof(plan, plan.nodes.map((s) => stored.get(`${s.level}/${s.index}`)!)));
}
const assembleUs = ((performance.now() - started) * 1000) / proofs;
const rootMinus3 = (() => {
  const r = new CompactRange();
  for (let i = 0; i < size - 3; i++) r.append(leafHash(inputs[i]!));
  return r.root();
})();
started = performance.now();
let verified = 0;
for (let i = 0; i < proofs; i++) if (verifyInclusion(leafHash(inputs[(i * 7919) % (size - 3)]!), (i * 7919) % (size - 3), size - 3, made[i]!, rootMinus3)) verified++;
const verifyUs = ((performance.now() - started) * 1000) / proofs;
if (verified !== proofs) throw new Error(`only ${verified} of ${proofs} proofs verified`);
console.log(`inclusion proof at ${size - 3} leaves (in memory): plan + assemble ${round(assembleUs)} µs, verify ${round(verifyUs)} µs; root ${Buffer.from(root).toString('base64').slice(0, 8)}…`);

// SHA-256 of a node's 65 bytes: the pure function against node:crypto.
const node65 = new Uint8Array(65).fill(1);
const hashes = 500_000;
started = performance.now();
for (let i = 0; i < hashes; i++) sha256(node65);
const pureNs = ((performance.now() - started) * 1e6) / hashes;
started = performance.now();
for (let i = 0; i < hashes; i++) createHash('sha256').update(node65).digest();
const nativeNs = ((performance.now() - started) * 1e6) / hashes;
console.log(`sha256 of 65 bytes: pure ${Math.round(pureNs)} ns, node:crypto ${Math.round(nativeNs)} ns`);

// The offline verifier on a bundle: every event re-hashed and its signature checked, every proof checked,
// the (shared) checkpoint note opened once.
const fixture = receiptFixture(10, Math.ceil(receiptCount / 10));
const bundle = fixture.receipts.slice(0, receiptCount).map((r) => JSON.parse(JSON.stringify(r)) as unknown);
const options = { trustedKeys: [fixture.verifierKey] };
await verifyReceipts(bundle.slice(0, 50), options); // warm-up (Web Crypto key import, JIT)
const runs: { wallMs: number; cpuMs: number }[] = [];
for (let i = 0; i < 5; i++) {
  const run = await timed(() => verifyReceipts(bundle, options));
  if (run.value.some((r) => !r.ok)) throw new Error('a receipt of the bundle did not verify');
  runs.push(run);
}
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const bundleMs = round(median(runs.map((r) => r.wallMs)), 1);
const bundleCpuMs = round(median(runs.map((r) => r.cpuMs)), 1);
console.log(`offline verifier: ${bundle.length} receipts in ${bundleMs} ms wall, ${bundleCpuMs} ms CPU (medians of 5)`);
// Its floor on this host: the bundle's Ed25519 checks alone, every one in flight through Web Crypto as the
// verifier hands them over (same key, same messages and signatures), with nothing else to do.
const checks = bundle.map((r) => {
  const event = (r as { event: { hash: string; signature: string } }).event;
  return { message: new Uint8Array(signingMessage(event.hash)), signature: new Uint8Array(Buffer.from(event.signature, 'base64')) };
});
const eventKey = await crypto.subtle.importKey('raw', fixture.key.publicKey.slice(), { name: 'Ed25519' }, false, ['verify']);
const floorRuns: { wallMs: number; cpuMs: number }[] = [];
for (let i = 0; i < 6; i++) {
  const run = await timed(() => Promise.all(checks.map((c) => crypto.subtle.verify({ name: 'Ed25519' }, eventKey, c.signature, c.message))));
  if (run.value.some((ok) => !ok)) throw new Error('a signature of the bundle did not verify');
  if (i > 0) floorRuns.push(run); // the first warms up
}
const floorMs = round(median(floorRuns.map((r) => r.wallMs)), 1);
const floorCpuMs = round(median(floorRuns.map((r) => r.cpuMs)), 1);
console.log(`  of which the floor: the ${checks.length} Ed25519 checks alone through Web Crypto, ${floorMs} ms wall, ${floorCpuMs} ms CPU (medians of 5)`);
console.log(memory());

/** Runs a bench script as a child (its output passed through) and returns its last line, parsed. */
async function child(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>> {
  const proc = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, script), ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    process.stdout.write(chunk);
  });
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  if (code !== 0) throw new Error(`${script} exited ${code}`);
  // Its last JSON line (a server it started may print after it).
  const line = out.split('\n').filter((l) => l.startsWith('{"bench"')).at(-1);
  if (line === undefined) throw new Error(`${script} printed no JSON line`);
  return JSON.parse(line) as Record<string, unknown>;
}

// Stored tree and receipts: bench:ledger-store, its schemas kept for the verification below and the next run.
const store = withStore ? await child('ledger-store.ts', ['--keep', '--leaves', String(storeLeaves)]) : undefined;

// Full tenant verification of the sealed log bench:ledger-store keeps, as `companyos verify --tenant` runs it
// (commands/verify-tenant.ts): ONE read of the tenant's log; every event re-hashed and its signature checked
// against the key chain from the pinned key, on worker threads dealt batches evenly; each stream's links and
// the tenant's tree (held against its checkpoints) on this thread as the checks come back. On 1 thread, then
// on every core. Each worker first parses its one bundled script (commands/chain-worker-script.ts: ≈ 35–55 ms
// of CPU each; from source, esbuild bundles it once per process in its own process, ≈ 60 ms not counted here),
// which the figures include.
let verification: { events: number; perS1: number; perSAll: number; perCpuS: number; cpuUsPerEvent1: number; cpuUsPerEvent: number; workers: number; cpuMsAll: number } | undefined;
if (store !== undefined) {
  const log = await openPostgresEventLog({ url: databaseUrl, schema: `bench_tree_${storeLeaves}_log` });
  try {
    const key = signingKeyFromSeed(new Uint8Array(32).fill(7), '2020-01-01T00:00:00Z');
    const keyring = new Keyring([], key, [Buffer.from(key.publicKey).toString('base64')]);
    const workers = Math.max(2, availableParallelism());
    const verify = (w: number) => verifyTenant(log, keyring, 'bench', 'bench.local', { workers: w });
    await verify(workers); // warm-up: pages cached, JIT
    const one = await timed(() => verify(1));
    const all = await timed(() => verify(workers));
    for (const v of [one.value, all.value]) if (v.chains.failures.length > 0 || v.tree.failures.length > 0) throw new Error('the bench log did not verify');
    if (JSON.stringify(one.value) !== JSON.stringify(all.value)) throw new Error('verification on workers reported otherwise than on one thread');
    const events = all.value.chains.eventsChecked;
    const rate = (ms: number) => Math.round(events / (ms / 1000));
    verification = {
      events,
      perS1: rate(one.wallMs),
      perSAll: rate(all.wallMs),
      // Per CPU second (this process's threads; PostgreSQL's share not counted): what it costs, less distorted by other work on a shared host.
      perCpuS: Math.round(events / (all.cpuMs / 1000)),
      cpuUsPerEvent1: round((one.cpuMs * 1000) / events, 1),
      cpuUsPerEvent: round((all.cpuMs * 1000) / events, 1),
      workers,
      cpuMsAll: round(all.cpuMs),
    };
    console.log(
      `tenant verification with signatures and tree (one read): ${events.toLocaleString('en')} events, ${verification.perS1.toLocaleString('en')}/s on 1 thread (${round(one.wallMs)} ms, ${verification.cpuUsPerEvent1} µs CPU/event), ` +
        `${verification.perSAll.toLocaleString('en')}/s on ${workers} workers (${round(all.wallMs)} ms wall, ${verification.cpuMsAll} ms CPU in this process's threads: ${verification.cpuUsPerEvent} µs/event, ${verification.perCpuS.toLocaleString('en')} events per CPU second); load average ${loadavg()[0]!.toFixed(1)}`,
    );
  } finally {
    await log.close();
  }
}

// The checkpointer's cost to commands: bench:checkpoint-cost (two servers, off and on, short rounds in turn,
// the median of paired ratios; rounds of one setting alone disagreed by more than the cost).
const commands = withCommands ? await child('checkpoint-cost.ts', ['--pairs', String(commandsPairs), '--seconds', String(commandsSeconds)]) : undefined;

const cpu = process.cpuUsage();
console.log(`this process: ${round((cpu.user + cpu.system) / 1e6, 1)} s CPU; ${memory()}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

console.log(
  JSON.stringify({
    bench: 'ledger',
    load_average_1m: round(loadavg()[0]!, 1),
    merkle_append_leaves_per_s: append.perS,
    merkle_append_leaves_per_cpu_s: append.perCpuS,
    inclusion_proof_assemble_us_in_memory: round(assembleUs),
    inclusion_proof_verify_us: round(verifyUs),
    sha256_65b_ns_pure: Math.round(pureNs),
    sha256_65b_ns_node: Math.round(nativeNs),
    offline_verifier_1000_receipts_ms: bundleMs,
    offline_verifier_1000_receipts_cpu_ms: bundleCpuMs,
    offline_verifier_ed25519_alone_ms: floorMs,
    offline_verifier_ed25519_alone_cpu_ms: floorCpuMs,
    ...(store === undefined ? {} : {
      stored_leaves: store['leaves'],
      inclusion_proof_p95_ms_stored: (store['inclusionProofMs'] as { p95?: number } | undefined)?.p95,
      receipts_exported: store['receipts'],
      receipts_export_ms: store['receiptsExportMs'],
    }),
    ...(verification === undefined ? {} : {
      tenant_verification_events: verification.events,
      tenant_verification_events_per_s: verification.perSAll,
      tenant_verification_events_per_s_1_thread: verification.perS1,
      tenant_verification_events_per_cpu_s: verification.perCpuS,
      tenant_verification_cpu_us_per_event: verification.cpuUsPerEvent,
      tenant_verification_cpu_us_per_event_1_thread: verification.cpuUsPerEvent1,
      tenant_verification_workers: verification.workers,
    }),
    ...(commands === undefined ? {} : {
      commands_per_s_checkpoints_off: commands['commands_per_s_off_median'],
      commands_per_s_checkpoints_on: commands['commands_per_s_on_median'],
      checkpointing_cost_pct: commands['throughput_cost_pct'],
      checkpointing_cost_pct_iqr: commands['throughput_cost_pct_iqr'],
      checkpointing_server_cpu_cost_pct: commands['server_cpu_cost_pct'],
      checkpointing_server_cpu_cost_pct_iqr: commands['server_cpu_cost_pct_iqr'],
      checkpoints_signed: commands['checkpoints_signed'],
      checkpointer_cpu_ms_per_checkpoint: commands['checkpointer_cpu_ms_per_checkpoint'],
      checkpointing_cpu_cost_pct_direct: commands['checkpointer_cpu_cost_pct_direct'],
    }),
    load_average_1m_end: round(loadavg()[0]!, 1),
  }),
);
