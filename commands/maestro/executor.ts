// Maestro's executor: a process manager that follows run events in the log, folds each run's stream with
// the run decider's evolve, asks the schedule what to do, performs step attempts and records every outcome
// as sealed events through the command pipeline. State lives only in the log, so a restart resumes.
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Principal } from '../authorizer.js';
import { bodyOf, sealedBodyOf } from '../folded-streams.js';
import type { CommandPipeline } from '../pipeline.js';
import {
  completion,
  evolveRun,
  inFlight,
  initialRunState,
  nextCompensations,
  readySteps,
  retryDelay,
  type InFlight,
  type RunState,
  type Work,
} from '../../domain/index.js';
import type { EventLog } from '../../adapters/event-log/index.js';
import type { SealedEvent } from '../../schemas/sealed-event.js';
import type { JsonObject } from '../../schemas/json.js';
import { durationMs, type ActionSpec, type StepSpec } from '../../schemas/plan.js';
import { startFollower, type Follower, type FollowerTerm } from '../../adapters/read-store/follower.js';
import type { ReadStore } from '../../adapters/read-store/read-store.js';
import { RunEvent } from '../../schemas/run.js';
import { parseStream, streamName } from '../../schemas/streams.js';
import { formatValidationErrors } from '../../schemas/validation.js';
import { systemClock, type Clock } from './clock.js';
import { withTimeout, type Outcome, type Performer } from './performer.js';
import { runGraphCommands } from './run-graph.js';

export const EXECUTOR_LOCK = 'maestro-executor';
export const EXECUTOR_ROLE = 'maestro-executor';
export const EXECUTOR_ID = 'service:maestro-executor';

export interface ExecutorDeps {
  readonly log: EventLog;
  /** Holds the lock that keeps one executor active. */
  readonly store: Pick<ReadStore, 'tryLock'>;
  readonly pipeline: CommandPipeline;
}

export interface ExecutorOptions {
  readonly clock?: Clock;
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /** Performs attempts: the composition root injects the real actions (adapters/maestro/actions.ts), tests their own. */
  readonly perform: Performer;
  /** Record runs in the provenance graph (default true). */
  readonly graph?: boolean;
  /** A standby tries to take the lock this often, in real milliseconds (default 2 s). */
  readonly lockRetryMs?: number;
  /** Hears about failures that are retried or skipped; default: a line on stderr. */
  readonly onError?: (error: unknown) => void;
  /** Each step or compensation start: ms from the append that made it startable (or started it with the fact that made it ready) to its launch. */
  readonly onScheduled?: (latencyMs: number) => void;
}

export type ExecutorState = 'standby' | 'active' | 'stopped';

export interface ExecutorStatus {
  readonly state: ExecutorState;
  /** Runs being driven now. */
  readonly runs: number;
  /** Attempts being performed now. */
  readonly attempts: number;
  /** Run events the executor's commands appended (step started, succeeded, …: each a transition). */
  readonly transitions: number;
  /** Commands that appended them (a step's success and the starts it allows are one). */
  readonly commands: number;
  readonly failures: number;
  readonly lastError: string | undefined;
}

export interface Executor {
  status(): ExecutorStatus;
  /** Resolves once nothing is queued or being recorded (attempts waiting on the clock may remain). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export function startExecutor(deps: ExecutorDeps, options: ExecutorOptions): Executor {
  return new ProcessManager(deps, options);
}

/** The executor serves every tenant: per run, the service principal of the run's tenant and region. */
export const executorPrincipal = (tenant: string, region: string): Principal => ({
  id: EXECUTOR_ID,
  tenant,
  roles: [EXECUTOR_ROLE, 'service'],
  region,
  authTime: undefined,
  authn: 'system',
});

const TERMINAL = new Set(['success', 'failed', 'canceled', 'rolled_back']);
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

type Sent = 'appended' | 'unchanged' | 'refused';
/** A command's fate; an append comes with the events as sealed, for the run's driver to fold. */
type SendResult = { readonly sent: 'appended'; readonly events: readonly SealedEvent[] } | { readonly sent: 'unchanged' | 'refused' };

class ProcessManager implements Executor {
  readonly deps: ExecutorDeps;
  readonly clock: Clock;
  readonly random: () => number;
  readonly perform: Performer;
  readonly graph: boolean;
  readonly onError: (error: unknown) => void;
  readonly onScheduled: ((latencyMs: number) => void) | undefined;
  readonly #drivers = new Map<string, RunDriver>();
  /** Streams of runs that ended and have nothing in flight: later events of theirs are not followed. */
  readonly #finished = new Set<string>();
  readonly #follower: Follower;
  #state: ExecutorState = 'standby';
  #closing = false;
  #busy = 0;
  #idleWaiters: (() => void)[] = [];
  transitions = 0;
  commands = 0;
  failures = 0;
  lastError: string | undefined;
  /** Aborts every attempt when the executor stops or loses its lock. */
  stopAttempts = new AbortController();

  constructor(deps: ExecutorDeps, options: ExecutorOptions) {
    this.deps = deps;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.perform = options.perform;
    this.graph = options.graph ?? true;
    this.onError = options.onError ?? ((e) => console.error(`companyos: maestro executor: ${message(e)}`));
    this.onScheduled = options.onScheduled;
    this.#follower = startFollower(
      deps.store,
      {
        lockName: EXECUTOR_LOCK,
        lockRetryMs: options.lockRetryMs ?? 2000,
        // A failed term is retried after half a second, every time (no growth: a run's attempts wait on it).
        retryDelayMs: 500,
        maxRetryDelayMs: 500,
        onFailure: (error) => this.fail(error),
        onStandby: () => (this.#state = 'standby'),
      },
      (term) => this.#term(term),
    );
  }

  status(): ExecutorStatus {
    let attempts = 0;
    for (const d of this.#drivers.values()) attempts += d.active.size;
    return { state: this.#state, runs: this.#drivers.size, attempts, transitions: this.transitions, commands: this.commands, failures: this.failures, lastError: this.lastError };
  }

  async settled(): Promise<void> {
    // A few turns of the event loop first: work that was just handed on may not have registered yet.
    for (let quiet = 0; quiet < 3; ) {
      await new Promise<void>((r) => setImmediate(r));
      if (this.#busy > 0) {
        quiet = 0;
        await new Promise<void>((r) => this.#idleWaiters.push(r));
      } else quiet++;
    }
  }

  /** Counts work in progress for `settled`. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.#busy++;
    try {
      return await work();
    } finally {
      if (--this.#busy === 0) for (const w of this.#idleWaiters.splice(0)) w();
    }
  }

  fail(error: unknown): void {
    this.failures++;
    this.lastError = message(error);
    this.onError(error);
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#follower.close();
    this.#state = 'stopped';
  }

  /** One active period: follow the log until the lock is lost or the executor closes. */
  async #term(term: FollowerTerm): Promise<void> {
    try {
      this.#state = 'active';
      this.stopAttempts = new AbortController();
      // Every attempt in flight listens on it: thousands is expected, not a leak.
      setMaxListeners(0, this.stopAttempts.signal);
      await this.#follow(term);
    } finally {
      // Whatever we were doing, a successor resumes from the log with the same idempotency keys.
      this.stopAttempts.abort(new Error('executor stopped'));
      await Promise.allSettled([...this.#drivers.values()].map((d) => d.drained()));
      this.#drivers.clear();
      this.#finished.clear();
    }
  }

  /** Catch-up then live over every run event, from the start of the log: the log is the only state. */
  async #follow(term: FollowerTerm): Promise<void> {
    const subscription = this.deps.log.subscribe({ filter: { eventTypePrefixes: ['run.'] } });
    // At once if close() came while the lock was being taken.
    term.onStop(() => void subscription.close());
    try {
      for await (const record of subscription) {
        if (this.#closing) break;
        if (this.#finished.has(record.stream)) continue;
        this.driver(record.stream)?.heard(record.revision);
      }
    } finally {
      await subscription.close();
    }
  }

  driver(stream: string): RunDriver | undefined {
    const existing = this.#drivers.get(stream);
    if (existing !== undefined) return existing;
    const parsed = parseStream(stream);
    if (parsed === undefined || parsed.category !== 'maestro.run' || parsed.id === undefined) return undefined;
    const driver = new RunDriver(this, stream, parsed.tenant, parsed.id);
    this.#drivers.set(stream, driver);
    return driver;
  }

  forget(driver: RunDriver): void {
    this.#drivers.delete(driver.stream);
    this.#finished.add(driver.stream);
  }

  /** Sends one command as the run's executor principal; refusals (the run moved on) are not errors. */
  async send(tenant: string, region: string, type: string, payload: JsonObject, idempotencyKey: string): Promise<SendResult> {
    const outcome = await this.deps.pipeline.execute(type, payload, executorPrincipal(tenant, region), {
      requestId: randomUUID(),
      correlationId: typeof payload['runId'] === 'string' ? payload['runId'] : idempotencyKey,
      idempotencyKey,
      context: { time: new Date(this.clock.now()).toISOString() },
    });
    if (isLeft(outcome)) {
      const f = outcome.left;
      // 409: the state moved under us (we reconcile again); 422: this key was recorded with another payload.
      if (f.status !== 409 && f.status !== 422) this.fail(new Error(`${type} (${idempotencyKey}) refused: ${f.status} ${f.detail ?? f.title}`));
      return { sent: 'refused' };
    }
    if (outcome.right.kind === 'appended') {
      this.commands++;
      this.transitions += outcome.right.body.events.length;
      return { sent: 'appended', events: outcome.right.sealed };
    }
    return { sent: 'unchanged' };
  }
}

/** One run: its folded state, the attempts this process performs for it, and a queue that serializes its commands. */
class RunDriver {
  readonly active = new Map<string, Promise<void>>();
  readonly #pm: ProcessManager;
  readonly stream: string;
  readonly tenant: string;
  readonly runId: string;
  #state: RunState = initialRunState;
  /** The revision after the last event folded into #state. */
  #nextRevision = 0n;
  /** The revision after the last event the subscription announced: more than #nextRevision means read. */
  #heard = 0n;
  /** A command was refused: the stream moved in a way not yet heard of, so read it. */
  #mustRead = false;
  #results = new Map<string, JsonObject>();
  #queue: Promise<void> = Promise.resolve();
  #queued = false;
  #wake: { readonly at: number; readonly cancel: AbortController } | undefined;
  /** When each startable attempt became startable (for schedule latency). */
  #readySince = new Map<string, number>();
  #lastAppendAt: number;
  #graphed = new Set<string>();

  constructor(pm: ProcessManager, stream: string, tenant: string, runId: string) {
    this.#pm = pm;
    this.stream = stream;
    this.tenant = tenant;
    this.runId = runId;
    this.#lastAppendAt = pm.clock.now();
  }

  /** The subscription saw `revision` of this run's stream: reconcile, unless it is already folded (our own append). */
  heard(revision: bigint): void {
    if (revision < this.#nextRevision) return;
    if (revision >= this.#heard) this.#heard = revision + 1n;
    this.poke();
  }

  /** Schedules a reconcile (coalesced: many pokes while one is queued make one). */
  poke(): void {
    if (this.#queued) return;
    this.#queued = true;
    this.#exclusive(async () => {
      this.#queued = false;
      await this.#reconcile();
    });
  }

  drained(): Promise<void> {
    return Promise.allSettled([this.#queue, ...this.active.values()]).then(() => undefined);
  }

  /** Runs `work` after everything queued for this run, so its commands never race each other. */
  #exclusive(work: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(() => this.#pm.track(work)).catch((e: unknown) => this.#pm.fail(e));
    this.#queue = next;
    return next;
  }

  async #refresh(): Promise<void> {
    const records = await this.#pm.deps.log.readStream(this.stream, { fromRevision: this.#nextRevision });
    this.#mustRead = false;
    for (const r of records) this.#fold(r.revision, bodyOf(r));
  }

  #fold(revision: bigint, body: unknown): void {
    const decoded = RunEvent.decode(body);
    if (isLeft(decoded)) throw new Error(`${this.stream}@${revision} cannot be read: ${formatValidationErrors(decoded.left).join('; ')}`);
    const e = decoded.right;
    if (e.type === 'run.step.succeeded' && e.data.result !== undefined) this.#results.set(e.data.stepId, e.data.result);
    this.#state = evolveRun(this.#state, e);
    this.#nextRevision = revision + 1n;
  }

  /** Our own append, folded at once (it follows what we folded, or we read): the next start need not wait for the subscription. */
  #absorb(events: readonly SealedEvent[]): void {
    if (events[0] === undefined || BigInt(events[0].revision) !== this.#nextRevision) {
      this.#mustRead = true;
      return;
    }
    for (const e of events) this.#fold(BigInt(e.revision), sealedBodyOf(e));
  }

  async #send(type: string, payload: JsonObject, key: string): Promise<Sent> {
    const s = this.#state;
    if (s.status === 'absent') return 'refused';
    const result = await this.#pm.send(this.tenant, s.region, type, { runId: s.runId, region: s.region, ...payload }, key);
    if (result.sent === 'appended') {
      this.#lastAppendAt = this.#pm.clock.now();
      this.#absorb(result.events);
    }
    if (result.sent === 'refused') this.#mustRead = true;
    if (result.sent !== 'unchanged') this.poke();
    return result.sent;
  }

  async #reconcile(): Promise<void> {
    if (this.#pm.stopAttempts.signal.aborted) return;
    if (this.#mustRead || this.#heard > this.#nextRevision) await this.#refresh();
    const s = this.#state;
    if (s.status === 'absent') return;
    if (TERMINAL.has(s.status)) {
      if (this.active.size > 0) return;
      await this.#recordInGraph(s.status);
      this.#pm.forget(this);
      this.#wake?.cancel.abort();
      return;
    }
    const now = this.#pm.clock.now();
    switch (s.status) {
      case 'pending':
        await this.#send('run.evaluate', {}, `${s.runId}:evaluate`);
        return;
      case 'evaluating_policies':
        // Gates (error budget, change freeze) would be evaluated here; Cedar already allowed run.start.
        await this.#send('run.admit', { gates: [], startReady: true }, `${s.runId}:admit`);
        return;
      case 'waiting_manual':
        return;
      case 'running':
      case 'rolling_back': {
        await this.#recordInGraph('running');
        // Attempts the log shows started and this process is not performing: started together with the
        // fact that made them ready (startReady), or left by a predecessor that stopped.
        for (const f of inFlight(s)) {
          if (this.active.has(f.idempotencyKey)) continue;
          this.#pm.onScheduled?.(Math.max(0, now - this.#lastAppendAt));
          await this.#resume(f, now);
        }
        const kind = s.status === 'running' ? 'action' : 'compensation';
        const work = kind === 'action' ? readySteps(s) : nextCompensations(s);
        let wakeAt: number | undefined;
        for (const w of work) if (!this.#readySince.has(w.idempotencyKey)) this.#readySince.set(w.idempotencyKey, this.#lastAppendAt);
        for (const w of work) {
          if (this.active.has(w.idempotencyKey)) continue;
          const notBefore = w.notBefore === undefined ? undefined : Date.parse(w.notBefore);
          if (notBefore !== undefined && notBefore > now) {
            wakeAt = wakeAt === undefined ? notBefore : Math.min(wakeAt, notBefore);
            continue;
          }
          await this.#start(kind, w, notBefore);
        }
        if (wakeAt !== undefined) this.#wakeAt(wakeAt);
        if (this.active.size === 0 && completion(this.#state) !== undefined) await this.#send('run.complete', {}, `${s.runId}:complete:${s.status}`);
        return;
      }
    }
  }

  /** Reconcile again at `at` (a retry's backoff); an earlier wake-up already set is kept. */
  #wakeAt(at: number): void {
    if (this.#wake !== undefined && this.#wake.at <= at && !this.#wake.cancel.signal.aborted) return;
    this.#wake?.cancel.abort();
    const cancel = new AbortController();
    this.#wake = { at, cancel };
    this.#pm.clock.sleep(at - this.#pm.clock.now(), cancel.signal).then(
      () => {
        if (this.#wake?.cancel === cancel) this.#wake = undefined;
        this.poke();
      },
      () => undefined,
    );
  }

  async #start(kind: 'action' | 'compensation', w: Work, notBefore: number | undefined): Promise<void> {
    const type = kind === 'action' ? 'run.step.start' : 'run.compensation.start';
    const sent = await this.#send(type, { stepId: w.stepId, attempt: w.attempt }, `${w.idempotencyKey}:start`);
    if (sent !== 'appended') return;
    const since = Math.max(this.#readySince.get(w.idempotencyKey) ?? this.#lastAppendAt, notBefore ?? 0);
    this.#readySince.delete(w.idempotencyKey);
    this.#pm.onScheduled?.(Math.max(0, this.#lastAppendAt - since));
    const { action, timeout } = actionOf(kind, w.step);
    this.#launch(kind, w.stepId, w.attempt, w.idempotencyKey, action, durationMs(timeout)!, w.step);
  }

  /** After a restart: an attempt that started and has no result is performed again with the SAME key, or timed out. */
  async #resume(f: InFlight, now: number): Promise<void> {
    const remaining = Date.parse(f.deadline) - now;
    const { action } = actionOf(f.kind, f.step);
    if (remaining <= 0) {
      this.active.set(f.idempotencyKey, Promise.resolve());
      try {
        await this.#record(f.kind, f.stepId, f.attempt, f.idempotencyKey, f.step, { ok: false, cause: 'timeout', error: `the executor stopped during the attempt and its deadline ${f.deadline} passed` });
      } finally {
        this.active.delete(f.idempotencyKey);
      }
      return;
    }
    this.#launch(f.kind, f.stepId, f.attempt, f.idempotencyKey, action, remaining, f.step);
  }

  #launch(kind: 'action' | 'compensation', stepId: string, attempt: number, key: string, action: ActionSpec, timeoutMs: number, step: StepSpec): void {
    const pm = this.#pm;
    const performed = (async () => {
      const outcome = await withTimeout(pm.clock, timeoutMs, (signal) => pm.perform({ action, idempotencyKey: key, signal }), pm.stopAttempts.signal);
      if (pm.stopAttempts.signal.aborted) return; // stopping: the successor resumes this attempt from the log
      await this.#exclusive(() => this.#record(kind, stepId, attempt, key, step, outcome));
    })().finally(() => {
      this.active.delete(key);
      this.poke();
    });
    this.active.set(key, performed);
  }

  async #record(kind: 'action' | 'compensation', stepId: string, attempt: number, key: string, step: StepSpec, outcome: Outcome): Promise<void> {
    const prefix = kind === 'action' ? 'run.step.attempt' : 'run.compensation';
    if (outcome.ok) {
      // Forward, the steps this success makes ready start in the same append: one decision per step of a chain.
      await this.#send(`${prefix}.succeed`, { stepId, attempt, result: outcome.result, ...(kind === 'action' ? { startReady: true } : {}) }, `${key}:succeed`);
      return;
    }
    await this.#refresh();
    const s = this.#state;
    const current = s.status === 'absent' ? undefined : s.steps[stepId];
    const attemptsLeft =
      current?.status === 'running' ? current.attemptsLeft : current?.status === 'compensating' ? current.compensation.attemptsLeft : 0;
    const retries = actionOf(kind, step).retries;
    const retryAt: JsonObject = attemptsLeft > 0 ? { retryAt: new Date(this.#pm.clock.now() + retryDelay(retries, attempt, this.#pm.random())).toISOString() } : {};
    await this.#send(`${prefix}.fail`, { stepId, attempt, cause: outcome.cause, error: outcome.error, ...retryAt }, `${key}:fail`);
  }

  /** The run in the graph: once when it starts running, once when it ends. */
  async #recordInGraph(status: string): Promise<void> {
    const s = this.#state;
    if (!this.#pm.graph || s.status === 'absent' || this.#graphed.has(status)) return;
    this.#graphed.add(status);
    const commands = runGraphCommands(
      { runId: s.runId, region: s.region, requester: s.requester, plan: s.plan, status, results: this.#results },
      new Date(this.#pm.clock.now()).toISOString(),
    );
    for (const c of commands) {
      if (c.onlyIfAbsent !== undefined && (await this.#nodeExists(c.onlyIfAbsent))) continue;
      // A key already used (422: recorded at an earlier pass with another observedAt) means it is recorded.
      await this.#pm.send(this.tenant, s.region, c.type, c.body, c.idempotencyKey);
    }
  }

  async #nodeExists(id: string): Promise<boolean> {
    return (await this.#pm.deps.log.readStream(streamName(this.tenant, 'graph.node', id), { maxCount: 1 })).length > 0;
  }
}

/** The action an attempt performs: the step's own, or its compensation's. */
function actionOf(kind: 'action' | 'compensation', step: StepSpec): { readonly action: ActionSpec; readonly timeout: string; readonly retries: StepSpec['retries'] } {
  if (kind === 'action') return { action: step, timeout: step.timeout, retries: step.retries };
  const c = step.compensation!;
  return { action: c, timeout: c.timeout, retries: c.retries };
}
