// A process with embedded chDB open that suffers a fatal error ends, killed by the signal, instead of hanging
// in ClickHouse's fatal-signal handler (which sleeps up to 300 s: issue 15). Each case runs in a child
// process that opens the real adapter, runs a query, then fails; the kill-after is generous (60 s), far
// below the 300 s the hang lasted, so a regression fails here rather than passes slowly.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { wasmLazyDeoptScript } from '../../../test/wasm-lazy-deopt.js';
import { caughtFatalSignals, FATAL_SIGNALS, restoreFatalSignalDefaults } from './fatal-signals.js';

const root = resolve(import.meta.dirname, '../../..');
const test = suite('fatal signals with embedded chDB');

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `fault` in a child that has opened chDB; ends it with SIGKILL if it is still there after 60 s. */
async function crashWithChdb(fault: string, nodeArgs: readonly string[] = []): Promise<Ended> {
  const path = await mkdtemp(join(tmpdir(), 'fatal-chdb-'));
  const database = pathToFileURL(join(root, 'adapters/analytics-store/clickhouse/database.ts')).href;
  const signals = pathToFileURL(join(root, 'adapters/analytics-store/clickhouse/fatal-signals.ts')).href;
  const script = `
    const { openClickHouse } = await import(${JSON.stringify(database)});
    const { caughtFatalSignals } = await import(${JSON.stringify(signals)});
    const store = await openClickHouse({ path: ${JSON.stringify(path)}, database: 'fatal' });
    const [row] = await store.query('SELECT count() AS n FROM numbers(1000)');
    console.log(JSON.stringify({ row, caught: caughtFatalSignals() }));
    ${fault}`;
  try {
    return await new Promise<Ended>((done, fail) => {
      const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
        killSignal: 'SIGKILL',
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', fail);
      child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
    });
  } finally {
    await rm(path, { recursive: true, force: true });
  }
}

/** The child's report before the fault: the query ran, and chDB's handlers are gone. */
function assertOpenedWithoutHandlers(ended: Ended): void {
  const first = ended.stdout.split('\n').find((line) => line.startsWith('{'));
  assert.ok(first, `the child never reported (stderr: ${ended.stderr.slice(0, 500)})`);
  const report = JSON.parse(first) as { row: { n: string }; caught: string[] };
  assert.equal(report.row, { n: '1000' });
  assert.equal(report.caught, [], 'fatal signals still caught after chDB opened');
}

test('a V8 fatal error (heap out of memory) ends the process with SIGABRT and says why', async () => {
  const ended = await crashWithChdb('const hoard = []; for (;;) hoard.push(new Array(1e5).fill({ n: hoard.length }));', [
    '--max-old-space-size=96',
  ]);
  assertOpenedWithoutHandlers(ended);
  assert.is(ended.signal, 'SIGABRT', `ended by ${ended.signal ?? `exit ${ended.code}`}, not SIGABRT (SIGKILL: it hung)`);
  assert.match(ended.stderr, /^FATAL ERROR: .*JavaScript heap out of memory$/m);
});

test("V8's own abort (issue 15's \"unreachable code\") ends the process with SIGTRAP and says why", async () => {
  // test/wasm-lazy-deopt.ts without adapters/cedar/js-wasm-calls.ts: the fatal error bench:graph hit.
  const ended = await crashWithChdb(wasmLazyDeoptScript(), ['--allow-natives-syntax']);
  assertOpenedWithoutHandlers(ended);
  assert.is(ended.signal, 'SIGTRAP', `ended by ${ended.signal ?? `exit ${ended.code}`}, not SIGTRAP (SIGKILL: it hung)`);
  assert.match(ended.stderr, /^# unreachable code$/m);
});

test('a native crash (SIGSEGV) ends the process with SIGSEGV', async () => {
  const ended = await crashWithChdb("process.kill(process.pid, 'SIGSEGV'); await new Promise((r) => setTimeout(r, 120_000));");
  assertOpenedWithoutHandlers(ended);
  assert.is(ended.signal, 'SIGSEGV', `ended by ${ended.signal ?? `exit ${ended.code}`}, not SIGSEGV (SIGKILL: it hung)`);
});

test('an abort ends the process with SIGABRT', async () => {
  const ended = await crashWithChdb('process.abort();');
  assertOpenedWithoutHandlers(ended);
  assert.is(ended.signal, 'SIGABRT', `ended by ${ended.signal ?? `exit ${ended.code}`}, not SIGABRT (SIGKILL: it hung)`);
});

test('a signal a listener of this process watches is left alone; the others go back to the default', () => {
  const listener = (): void => {};
  process.on('SIGTRAP', listener);
  try {
    assert.equal(restoreFatalSignalDefaults(['SIGTRAP', 'SIGSYS']), ['SIGTRAP']);
    assert.ok(caughtFatalSignals().includes('SIGTRAP'));
    assert.not.ok(caughtFatalSignals().includes('SIGSYS'));
  } finally {
    process.off('SIGTRAP', listener);
  }
  assert.not.ok(caughtFatalSignals().includes('SIGTRAP'));
  assert.ok(FATAL_SIGNALS.includes('SIGABRT') && FATAL_SIGNALS.includes('SIGSEGV'));
});

test.run();
