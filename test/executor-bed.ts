// Test bed for the executor: the real write side (pipeline, Cedar, sealing) on an in-memory PGlite log,
// every clock the fake one, people as principals, and a loop that moves fake time while the executor idles.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Principal } from '../commands/authorizer.js';
import { bodyOf } from '../commands/folded-streams.js';
import { foldRun, runStream, type RunState } from '../domain/index.js';
import { openSystem, type System } from '../bin/system.js';
import { TEST_SEED } from './test-events.js';
import { loadConfig } from '../schemas/config.js';
import type { JsonObject } from '../schemas/json.js';
import type { RecordedEvent } from '../adapters/event-log/index.js';
import { openMemoryLog, type TestLog } from './logs.js';
import type { Outcome, Performer } from '../commands/maestro/performer.js';
import { FakeClock } from '../commands/maestro/clock.js';
import { startExecutor, type Executor, type ExecutorOptions } from '../commands/maestro/executor.js';

export const T0 = '2026-01-01T00:00:00.000Z';
export const TENANT = 'acme';
export const REGION = 'us-east';

export const person = (id: string, roles: readonly string[]): Principal => ({ id, tenant: TENANT, roles, region: REGION, authTime: undefined, authn: 'jwt' });
export const ALICE = person('user:alice', ['plan-author', 'operator']);
export const BOB = person('user:bob', ['operator', 'release-manager']);
export const CAROL = person('user:carol', ['operator', 'release-manager']);

/** Attempts the scripted performer saw: key and fake time. */
export interface Call {
  readonly key: string;
  readonly stepId: string;
  readonly compensation: boolean;
  readonly attempt: number;
  readonly at: number;
}

/** What a step does on an attempt: succeed, fail, hang until aborted, or take `ms` of fake time. */
export type Behaviour = 'ok' | 'fail' | 'hang' | { readonly takesMs: number; readonly then?: 'ok' | 'fail' };

export interface ExecutorBed {
  readonly system: System;
  readonly clock: FakeClock;
  readonly calls: Call[];
  /** `script(stepId, attempt)` decides each attempt (compensations: stepId `undo:<id>`). */
  start(script: (stepId: string, attempt: number) => Behaviour, options?: Partial<ExecutorOptions>): Executor;
  register(yaml: string): Promise<void>;
  run(runId: string, plan: string, as?: Principal): Promise<void>;
  command(type: string, body: JsonObject, as: Principal): Promise<{ readonly status: number; readonly detail?: string }>;
  state(runId: string): Promise<RunState>;
  events(runId: string): Promise<readonly RecordedEvent[]>;
  /** Moves fake time from timer to timer while the executor is settled, until `done` holds. */
  drive(done: () => Promise<boolean>, limit?: number): Promise<void>;
  /** Stops the executor and forgets the calls (the log and the clock go on): the next test starts clean. */
  reset(): Promise<void>;
  close(): Promise<void>;
}


export async function openExecutorBed(): Promise<ExecutorBed> {
  const clock = new FakeClock(T0);
  const memory: TestLog = await openMemoryLog();
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-maestro-'));
  const config = loadConfig({ COMPANYOS_DATA_DIR: dataDir, COMPANYOS_SIGNING_KEY: Buffer.from(TEST_SEED).toString('base64'), COMPANYOS_JWT_SECRET: 'test-secret-of-at-least-32-bytes!!' });
  if (isLeft(config)) throw new Error(config.left.join('; '));
  const system = await openSystem(config.right, { log: memory.log, clock: () => new Date(clock.now()) });
  const calls: Call[] = [];
  let executor: Executor | undefined;

  const command: ExecutorBed['command'] = async (type, body, as) => {
    const r = await system.pipeline.execute(type, body, as, { requestId: `test-${calls.length}`, context: {} });
    return isLeft(r) ? { status: r.left.status, ...(r.left.detail === undefined ? {} : { detail: r.left.detail }) } : { status: r.right.kind === 'appended' ? 201 : 200 };
  };
  const must = async (type: string, body: JsonObject, as: Principal) => {
    const r = await command(type, body, as);
    if (r.status >= 300) throw new Error(`${type} answered ${r.status}: ${r.detail}`);
  };
  const events = (runId: string) => memory.log.readStream(runStream(TENANT, runId));

  return {
    system,
    clock,
    calls,
    start(script, options = {}) {
      const perform: Performer = async ({ idempotencyKey, signal }) => {
        const parts = idempotencyKey.split(':');
        const compensation = parts[2] === 'compensation';
        const stepId = parts[1]!;
        const attempt = Number(parts.at(-1));
        calls.push({ key: idempotencyKey, stepId, compensation, attempt, at: clock.now() });
        const behaviour = script(compensation ? `undo:${stepId}` : stepId, attempt);
        const outcome = (b: 'ok' | 'fail'): Outcome => (b === 'ok' ? { ok: true, result: { by: 'test' } } : { ok: false, cause: 'error', error: `${stepId} failed (attempt ${attempt})` });
        if (behaviour === 'hang') {
          await clock.sleep(1e12, signal);
          return outcome('ok');
        }
        if (typeof behaviour === 'object') {
          await clock.sleep(behaviour.takesMs, signal);
          return outcome(behaviour.then ?? 'ok');
        }
        return outcome(behaviour);
      };
      executor = startExecutor({ log: memory.log, store: memory.log.database, pipeline: system.pipeline }, { clock, random: () => 0.5, perform, onError: () => {}, ...options });
      return executor;
    },
    register: (yaml) => must('plan.register', { region: REGION, source: yaml }, ALICE),
    run: (runId, plan, as = ALICE) => must('run.start', { runId, region: REGION, plan }, as),
    command,
    async state(runId) {
      const folded = foldRun((await events(runId)).map(bodyOf));
      if (isLeft(folded)) throw new Error(folded.left.join('; '));
      return folded.right;
    },
    events,
    async drive(done, limit = 400) {
      for (let i = 0; i < limit; i++) {
        await executor?.settled();
        if (await done()) return;
        const next = clock.nextTimer();
        // Nothing due on the clock: the executor waits for the log (a subscription delivery), in real time.
        if (next === undefined) await new Promise((r) => setTimeout(r, 10));
        else clock.advance(Math.max(0, next - clock.now()));
      }
      throw new Error(`drive: the condition did not hold after ${limit} rounds (fake time ${new Date(clock.now()).toISOString()})`);
    },
    async reset() {
      await executor?.close();
      executor = undefined;
      calls.length = 0;
    },
    async close() {
      await executor?.close();
      await system.close();
      await memory.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
