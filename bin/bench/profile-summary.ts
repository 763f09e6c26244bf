// Where a server's CPU went, from a V8 .cpuprofile (node --cpu-prof): self time grouped by what it is
// (cedar-wasm, io-ts decode, canonical JSON, sha256, ed25519, pg, hono, JSON, socket I/O, GC, our own
// modules by folder), the top functions, socket I/O by the module that made the round trip, and the
// inclusive time of our modules. Start-up is left out: the window opens at the first sample inside the
// command pipeline. Samples are wall time between ticks, so on a loaded host a preempted thread's wait is
// charged to the frame it stopped in (syscalls above all): read the shares, and scale them to the CPU
// time bench:commands measured with --cpu-ms-per-command X (then each row also shows ≈ CPU µs/command).
// Usage: node --import tsx bin/bench/profile-summary.ts FILE.cpuprofile [--cpu-ms-per-command X] [--top 25]
//   e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench:commands -- --seconds 12
import { readFileSync } from 'node:fs';
import { numberArg } from './report.js';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const file = process.argv[2];
if (file === undefined || file.startsWith('--')) {
  console.error('usage: profile-summary FILE.cpuprofile [--cpu-ms-per-command X] [--top N]');
  process.exit(2);
}
const cpuMsPerCommand = process.argv.includes('--cpu-ms-per-command') ? numberArg('cpu-ms-per-command', 1) : undefined;
const top = numberArg('top', 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

/** The repository-relative path of a frame's script (compiled build or source), or its URL. */
function where(url: string): string {
  return url.replace(/^file:\/\/\/.*?\/(node_modules\/)/, '$1').replace(/^file:\/\/\/.*?\/dist\/[0-9a-f]{16}\//, '').replace(/^file:\/\/\/work\/main\//, '');
}
const OURS = /^(commands|adapters|projections|ledger|domain|schemas|bin)\//;

/** What a frame is; undefined for a native frame with no script (it counts as its caller's). */
function kind(frame: CallFrame): string | undefined {
  const { functionName: name, url } = frame;
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'V8/native (program)';
  const path = where(url);
  if (url.startsWith('wasm://') || path.includes('@cedar-policy/')) return 'cedar-wasm';
  if (path.includes('node_modules/io-ts/') || path.includes('node_modules/fp-ts/')) return 'io-ts decode';
  if (path === 'ledger/canonical-json.js' || path === 'ledger/canonical-json.ts') return 'canonical JSON';
  if (/^ledger\/sha256\./.test(path) || url === 'node:internal/crypto/hash') return 'sha256';
  if (/^ledger\/ed25519\./.test(path) || path.includes('node_modules/tweetnacl/')) return 'ed25519';
  if (url === 'node:internal/crypto/sig' || url === 'node:internal/crypto/keys') return 'ed25519';
  if (url === '' && name === 'runMicrotasks') return 'promise/tick scheduling';
  if (url === 'node:internal/process/task_queues' || url === 'node:internal/timers' || url === 'node:timers') return 'promise/tick scheduling';
  if (url === 'node:events') return 'node events';
  if (/node_modules\/(pg|pg-protocol|pg-pool|pg-types|pg-copy-streams|postgres-[a-z]+)\//.test(path)) return 'pg';
  if (path.includes('node_modules/kysely/')) return 'kysely';
  if (path.includes('node_modules/hono/') || path.includes('node_modules/@hono/')) return 'hono';
  if (path.includes('node_modules/jose/')) return 'jwt (jose)';
  if (url === '' && (name === 'stringify' || name === 'parse')) return 'JSON';
  if (url === '' && /^(writev|writeUtf8String|writeBuffer|writeLatin1String|readv?)$/.test(name)) return 'socket I/O';
  if (url === 'node:net' || url === 'node:internal/stream_base_commons') return 'socket I/O';
  if (/^node:(_http|internal\/http)/.test(url)) return 'node http';
  if (/^node:internal\/streams\//.test(url)) return 'node streams';
  if (url.startsWith('node:')) return 'node other';
  if (url === '') return undefined;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
  if (pkg !== undefined) return `pkg ${pkg}`;
  const folder = OURS.exec(path)?.[1];
  return folder !== undefined ? `ours ${folder}/` : `other ${path}`;
}

// Parents, kinds (a native frame inherits its caller's), and per-sample stacks.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const kindOf = new Map<number, string>();
function kindOfNode(id: number): string {
  const known = kindOf.get(id);
  if (known !== undefined) return known;
  const n = byId.get(id)!;
  const p = parent.get(id);
  const k = kind(n.callFrame) ?? (p !== undefined ? kindOfNode(p) : 'V8/native (program)');
  kindOf.set(id, k);
  return k;
}
function stack(id: number): number[] {
  const ids: number[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) ids.push(at);
  return ids;
}

// The window: from the first sample inside the command pipeline to the end.
const inPipeline = (id: number) => stack(id).some((s) => /^commands\/pipeline\./.test(where(byId.get(s)!.callFrame.url)));
let first = profile.samples.findIndex(inPipeline);
const windowed = first >= 0;
if (!windowed) first = 0;

const selfByKind = new Map<string, number>();
const selfByFunction = new Map<string, number>();
const inclusiveByFile = new Map<string, number>();
/** Socket writes and reads by the nearest of our modules on the stack: who makes the round trips. */
const socketByCaller = new Map<string, number>();
let total = 0;
let idle = 0;
for (let i = first; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  const us = profile.timeDeltas[i + 1] ?? 0;
  const k = kindOfNode(id);
  if (k === 'idle') {
    idle += us;
    continue;
  }
  total += us;
  selfByKind.set(k, (selfByKind.get(k) ?? 0) + us);
  const f = byId.get(id)!.callFrame;
  const fn = `${f.functionName || '(anonymous)'} ${where(f.url) || '(native)'}${f.lineNumber >= 0 ? `:${f.lineNumber + 1}` : ''} [${k}]`;
  selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + us);
  if (k === 'socket I/O') {
    // The session wrapper (database.js) is on most stacks: name the module that called it too.
    const ours = [...new Set(stack(id).map((s) => where(byId.get(s)!.callFrame.url)).filter((p) => OURS.test(p)))];
    const caller = ours.length === 0 ? '(none of ours)' : ours.slice(0, ours[0]!.endsWith('/database.js') ? 2 : 1).join(' ← ');
    socketByCaller.set(caller, (socketByCaller.get(caller) ?? 0) + us);
  }
  const files = new Set(stack(id).map((s) => where(byId.get(s)!.callFrame.url)).filter((p) => OURS.test(p)));
  for (const p of files) inclusiveByFile.set(p, (inclusiveByFile.get(p) ?? 0) + us);
}

const ms = (us: number) => (us / 1000).toFixed(0).padStart(7);
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
const per = (us: number) => (cpuMsPerCommand ? `≈ ${((us / total) * cpuMsPerCommand * 1000).toFixed(0).padStart(5)} CPU µs/command` : '');
const table = (title: string, m: Map<string, number>, n: number) => {
  console.log(title);
  for (const [name, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${ms(us)} ms ${pct(us)} ${per(us)}  ${name}`);
};
console.log(`${file}: ${profile.samples.length - first} samples ${windowed ? 'from the first in the pipeline' : '(no pipeline: the whole profile)'}; busy ${ms(total).trim()} ms, idle ${ms(idle).trim()} ms${cpuMsPerCommand ? `; shares scaled to ${cpuMsPerCommand} ms of server CPU per command` : ''}`);
table('\nself time by kind', selfByKind, 40);
table(`\ntop ${top} functions by self time`, selfByFunction, top);
table(`\nsocket I/O by the nearest of our modules on the stack`, socketByCaller, 12);
table(`\nour modules, inclusive (on the stack)`, inclusiveByFile, top);
