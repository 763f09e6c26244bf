// `npm run drill`: an unknown drill is a usage error; `postgres-stop` runs against its own private PostgreSQL
// and serve, passes (detected, recovered, every acknowledged write once), prints its figures as JSON and
// seals the outcome as ops.drill.completed on companyos/ops of the configured system (here an embedded
// store in a temporary directory), where `companyos verify` checks it like any other event.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../schemas/config.js';
import { DrillOutcome, DRILL_EVENT_TYPE } from '../schemas/drill.js';
import { exited } from '../test/child-process.js';
import { openLog } from './open-log.js';

const root = resolve(import.meta.dirname, '..');
let dataDir: string;

/** Runs `node <script> args` with `env` over a clean environment; its exit code and output. */
async function run(script: string, args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, COMPANYOS_DATA_DIR: dataDir };
  for (const name of ['DATABASE_URL', 'EVENTSTORE_URL', 'CLICKHOUSE_URL', 'NATS_URL', 'COMPANYOS_PG_SCHEMA']) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const { code } = await exited(child, timeoutMs);
  return { code, stdout, stderr };
}

const test = suite('npm run drill');
test.before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-drill-test-'));
});
test.after(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

test('an unknown drill: exit 2, one line naming the drills', async () => {
  const r = await run('bin/drill.ts', ['no-such-drill'], 60_000);
  assert.is(r.code, 2);
  assert.is(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /no drill named "no-such-drill"; one of .*postgres-stop/);
});

test('postgres-stop: passed, figures printed, the outcome sealed on companyos/ops and verified', async () => {
  const r = await run('bin/drill.ts', ['postgres-stop', '--seconds', '2', '--json'], 240_000);
  assert.is(r.code, 0, r.stderr);
  const printed = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.is(printed.drill, 'postgres-stop');
  assert.is(printed.result, 'passed', printed.summary);
  assert.ok(printed.acknowledged > 0);
  assert.is(printed.found, printed.acknowledged);
  assert.is(printed.duplicated, 0);
  assert.type(printed.detectMs, 'number');
  assert.type(printed.recoverMs, 'number');
  assert.is(printed.recorded.stream, 'companyos/ops');

  const config = loadConfig({ COMPANYOS_DATA_DIR: dataDir });
  if (isLeft(config)) throw new Error(config.left.join('; '));
  const opened = await openLog(config.right);
  try {
    const events = await opened.log.readStream('companyos/ops');
    assert.is(events.length, 1);
    assert.is(events[0]!.type, DRILL_EVENT_TYPE);
    assert.is(events[0]!.id, printed.recorded.eventId);
    const data = DrillOutcome.decode(events[0]!.data);
    assert.ok(isRight(data));
    const { recorded: _recorded, ...outcome } = printed;
    assert.equal(data.right, outcome);
  } finally {
    await opened.close();
  }
  const verified = await run('bin/companyos.js', ['verify', '--stream', 'companyos/ops', '--json'], 60_000);
  assert.is(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /"ok":true,"eventsChecked":1,/);
});

test.run();
