// Ledger benchmark, every figure of issue 14's Proof in one run, last line JSON. In memory: the Merkle
// appender's rate (leaf hash included), proof assembly and verification, the pure SHA-256 next to
// node:crypto's, and the offline verifier on a 1,000-event receipt bundle (what `companyos verify-receipt` and
// a browser do). Stored, on PostgreSQL: bench:ledger-store's figures (inclusion proof p95 at 10M leaves,
// 10,000 receipts exported; run as a child with --keep, so its tree and sealed log are reused next time),
// then a full tenant verification of that sealed log with signatures (verifyLog on 1 thread and on every
// core, plus the tree against its checkpoints), then bench:commands with the checkpointer off
// (COMPANYOS_CHECKPOINT_INTERVAL=0) and on, the cost in %. The host is shared: CPU time and load are printed.
// Usage: npm run bench:ledger -- [--leaves N] [--receipts N] [--store-leaves 10000000] [--commands-seconds 15] [--commands-rounds 2]
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
import { verifyLog } from '../../commands/verify-log.js';
import { verifyTenantTree } from '../../commands/verify-tree.js';
import { Keyring, signingKeyFromSeed } from '../../ledger/index.js';
import { machine, memory, numberArg, round } from './report.js';

const leaves = numberArg('leaves', 1_000_000);
const receiptCount = numberArg('receipts', 1000);
const storeLeaves = numberArg('store-leaves', 10_000_000);
const commandsSeconds = numberArg('commands-seconds', 15);
const commandsRounds = numberArg('commands-rounds', 2);
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

// Full tenant verification of the sealed log bench:ledger-store keeps: every event re-hashed and its
// signature checked against the key chain from the pinned key, each stream's chain, and the tenant's tree
// rebuilt and held against its checkpoints. On one thread, then on every core (same report).
let verification: { events: number; perS1: number; perSAll: number; perCpuS: number; workers: number; cpuMsAll: number; treeMs: number } | undefined;
if (store !== undefined) {
  const log = await openPostgresEventLog({ url: databaseUrl, schema: `bench_tree_${storeLeaves}_log` });
  try {
    const key = signingKeyFromSeed(new Uint8Array(32).fill(7), '2020-01-01T00:00:00Z');
    const keyring = new Keyring([], key, [Buffer.from(key.publicKey).toString('base64')]);
    const workers = Math.max(2, availableParallelism());
    await verifyLog(log, keyring, { tenant: 'bench', workers }); // warm-up: pages cached, workers' JIT
    const one = await timed(() => verifyLog(log, keyring, { tenant: 'bench' }));
    const tree = await timed(() => verifyTenantTree(log, keyring, 'bench', 'bench.local'));
    // As `companyos verify --tenant` runs it on a large log: the tree rebuilt here while the workers check signatures.
    const both = await timed(() => Promise.all([verifyLog(log, keyring, { tenant: 'bench', workers }), verifyTenantTree(log, keyring, 'bench', 'bench.local')]));
    const all = { ...both, value: both.value[0] };
    if (both.value[1].failures.length > 0) throw new Error('the bench log did not verify');
    if (one.value.failures.length > 0 || all.value.failures.length > 0 || tree.value.failures.length > 0) throw new Error('the bench log did not verify');
    if (JSON.stringify(one.value) !== JSON.stringify(all.value)) throw new Error('verification on workers reported otherwise than on one thread');
    const events = all.value.eventsChecked;
    // The tenant's verification is both passes: signatures and chains, then the tree.
    const rate = (ms: number) => Math.round(events / (ms / 1000));
    // Per CPU second: what it costs, less distorted by the other work on a shared host than wall time.
    const perCpuS = Math.round(events / (all.cpuMs / 1000));
    verification = { events, perS1: rate(one.wallMs + tree.wallMs), perSAll: rate(all.wallMs), perCpuS, workers, cpuMsAll: round(all.cpuMs), treeMs: round(tree.wallMs) };
    console.log(
      `tenant verification with signatures: ${events.toLocaleString('en')} events, ${verification.perS1.toLocaleString('en')}/s on 1 thread, ` +
        `${verification.perSAll.toLocaleString('en')}/s on ${workers} workers with the tree beside them (${round(all.wallMs)} ms wall; one thread: ${round(one.wallMs)} ms + tree ${round(tree.wallMs)} ms; ${verification.cpuMsAll} ms CPU in this process's threads: ${verification.perCpuS.toLocaleString('en')} events per CPU second); load average ${loadavg()[0]!.toFixed(1)}`,
    );
  } finally {
    await log.close();
  }
}

// Commands with the checkpointer off, then on: the same bench:commands round, the cost in %.
let commands: { off: Record<string, unknown>; on: Record<string, unknown>; costPct: number; cpuCostPct: number; withinNoise: boolean; spread: number } | undefined;
if (withCommands) {
  const args = ['--clients', '16', '--seconds', String(commandsSeconds)];
  // Off and on in turn, `--commands-rounds` times each (a shared host drifts): each side's best round.
  const offs: Record<string, unknown>[] = [];
  const ons: Record<string, unknown>[] = [];
  for (let i = 0; i < commandsRounds; i++) {
    offs.push(await child('commands.ts', args, { COMPANYOS_CHECKPOINT_INTERVAL: '0' }));
    ons.push(await child('commands.ts', args, { COMPANYOS_CHECKPOINT_INTERVAL: '1' }));
  }
  const best = (runs: Record<string, unknown>[]): Record<string, unknown> => ({
    ...runs.reduce((a, b) => (Number(b['commands_per_s']) > Number(a['commands_per_s']) ? b : a)),
    server_cpu_ms_per_command: Math.min(...runs.map((r) => Number(r['server_cpu_ms_per_command']))),
  });
  const off = best(offs);
  const on = best(ons);
  // The rounds' own spread: a difference smaller than it is the host's noise, not the checkpointer's cost.
  const spreadOf = (runs: Record<string, unknown>[]) => Math.max(...runs.map((r) => Number(r['commands_per_s']))) - Math.min(...runs.map((r) => Number(r['commands_per_s'])));
  const spread = Math.max(spreadOf(offs), spreadOf(ons));
  const pct = (a: number, b: number) => round(((a - b) / b) * 100, 1);
  commands = {
    off, on,
    costPct: round(((Number(off['commands_per_s']) - Number(on['commands_per_s'])) / Number(off['commands_per_s'])) * 100, 1),
    cpuCostPct: pct(Number(on['server_cpu_ms_per_command']), Number(off['server_cpu_ms_per_command'])),
    withinNoise: Math.abs(Number(off['commands_per_s']) - Number(on['commands_per_s'])) <= spread,
    spread,
  };
  console.log(
    `checkpointing cost (best of ${commandsRounds} rounds each, in turn): ${String(off['commands_per_s'])} commands/s off, ${String(on['commands_per_s'])} on (${commands.costPct} % fewer); ` +
      `server CPU ${String(off['server_cpu_ms_per_command'])} → ${String(on['server_cpu_ms_per_command'])} ms/command (${commands.cpuCostPct} % more)` +
      `${commands.withinNoise ? `; within the rounds' own spread of ${commands.spread} commands/s: the host's noise, not a measured cost` : ''}; load average ${loadavg()[0]!.toFixed(1)}`,
  );
}

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
      tenant_verification_workers: verification.workers,
    }),
    ...(commands === undefined ? {} : {
      commands_per_s_checkpoints_off: commands.off['commands_per_s'],
      commands_per_s_checkpoints_on: commands.on['commands_per_s'],
      checkpointing_cost_pct: commands.costPct,
      checkpointing_server_cpu_cost_pct: commands.cpuCostPct,
      checkpointing_cost_within_noise: commands.withinNoise,
    }),
    load_average_1m_end: round(loadavg()[0]!, 1),
  }),
);
