// Ledger benchmark, in memory: the Merkle appender's rate (leaf hash included), proof assembly and
// verification, the pure SHA-256 next to node:crypto's (why ledger/sha256.ts is fast enough), and the offline
// verifier on a 1,000-event receipt bundle (what `companyos verify-receipt` and a browser do). The stored
// tree's figures (inclusion proof p95 at 10M leaves, export) are the checkpointer's to add.
// Usage: npm run bench:ledger -- [--leaves N] [--receipts N]
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { verifyReceipts } from '../../ledger/offline-verifier.js';
import { assembleProof, CompactRange, inclusionProofPlan, leafHash, verifyInclusion, type Hash } from '../../ledger/merkle.js';
import { sha256 } from '../../ledger/sha256.js';
import { receiptFixture } from '../../test/receipt-fixtures.js';
import { machine, memory, numberArg, round } from './report.js';

const leaves = numberArg('leaves', 1_000_000);
const receiptCount = numberArg('receipts', 1000);

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
  }),
);
