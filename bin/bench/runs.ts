// bench:runs — Maestro's executor under load: 1,000 concurrent runs of a 10-step chain of 1 ms waits, on
// PostgreSQL (DATABASE_URL, default the local test server; a fresh schema, dropped after). Commands go
// through the real pipeline (Cedar, sealing, append). steps_per_s counts step transitions (a step's
// run.step.* events: started, succeeded, …) per second, as read back from the log; schedule latency is
// from the append that made a step startable (or started it) to its action's launch.
// Usage: npm run bench:runs [-- --runs 1000 --steps 10]
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CedarAuthorizer } from '../../adapters/cedar/cedar-authorizer.js';
import { startExecutor } from '../../commands/maestro/executor.js';
import { systemClock } from '../../commands/maestro/clock.js';
import { actionPerformer } from '../../adapters/maestro/actions.js';
import { dropSchema, openPostgres } from '../../adapters/read-store/postgres/database.js';
import { PostgresEventLog } from '../../adapters/event-log/postgres/index.js';
import type { Principal } from '../../commands/authorizer.js';
import { CommandPipeline } from '../../commands/pipeline.js';
import { DEFAULT_RETRY } from '../../commands/stream-writer.js';
import { commandHandlers } from '../../domain/index.js';
import { Keyring } from '../../ledger/index.js';
import { testSigningKey } from '../../test/test-events.js';
import { DEFAULT_POLICY_FILE } from '../system.js';
import { latencySummary, machine, memory, numberArg, round } from './report.js';

const runs = numberArg('runs', 1000);
const steps = numberArg('steps', 10);
const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bench_runs_${randomBytes(4).toString('hex')}`;
const operator: Principal = { id: 'user:bench', tenant: 'bench', roles: ['plan-author', 'operator'], region: 'us-east', authTime: undefined, authn: 'jwt' };
// Per run, the run events the executor appends: evaluation started, admitted, started + succeeded per step, completed.
const TRANSITIONS_PER_RUN = 3 + 2 * steps;

const database = await openPostgres({ url: databaseUrl, schema, poolSize: 20 });
const log = await PostgresEventLog.open(database);
const pipeline = new CommandPipeline({
  log,
  keyring: new Keyring([], testSigningKey()),
  authorizer: new CedarAuthorizer(await readFile(DEFAULT_POLICY_FILE, 'utf8')),
  clock: () => new Date(),
  newId: randomUUID,
  auditRetry: { attempts: 20, baseDelayMs: 2 },
  handlers: Object.fromEntries(commandHandlers),
  retry: DEFAULT_RETRY,
});
const latencies: number[] = [];
try {
  const plan = `name: noop\nsteps:\n${Array.from({ length: steps }, (_, i) => `  - id: s${i}\n${i > 0 ? `    needs: [s${i - 1}]\n` : ''}    action_type: wait\n    wait: { duration: 1ms }`).join('\n')}\n`;
  const info = () => ({ requestId: randomUUID(), context: {} });
  const registered = await pipeline.execute('plan.register', { region: 'us-east', source: plan }, operator, info());
  if (registered._tag === 'Left') throw new Error(registered.left.detail);
  // Graph records are off: the bench measures scheduling and step transitions.
  const executor = startExecutor({ log, store: database, pipeline }, { graph: false, perform: actionPerformer({ clock: systemClock }), onScheduled: (ms) => latencies.push(ms) });
  const t0 = performance.now();
  let next = 0;
  const starter = async () => {
    while (next < runs) {
      const i = next++;
      const r = await pipeline.execute('run.start', { runId: `bench-${i}`, region: 'us-east', plan: 'noop' }, operator, info());
      if (r._tag === 'Left') throw new Error(r.left.detail);
    }
  };
  await Promise.all(Array.from({ length: 32 }, starter));
  const startedMs = performance.now() - t0;
  const goal = runs * TRANSITIONS_PER_RUN;
  while (executor.status().transitions < goal) {
    if (performance.now() - t0 > 600_000) throw new Error(`not done after 10 minutes: ${executor.status().transitions} of ${goal} transitions`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - t0) / 1000;
  const status = executor.status();
  await executor.close();
  const stepsDone = runs * steps;
  let stepTransitions = 0;
  for (let after: bigint | undefined; ; ) {
    const page = await log.readAll({ ...(after === undefined ? {} : { after }), maxCount: 5000, filter: { eventTypePrefixes: ['run.step.'] } });
    if (page.length === 0) break;
    stepTransitions += page.length;
    after = page[page.length - 1]!.position;
  }
  const lat = latencySummary(latencies);
  console.log(`machine: ${machine()}`);
  console.log(`log: PostgreSQL (schema ${schema}), pool 20; executor in process; ${runs} runs × ${steps} steps (chain of 1 ms waits)`);
  console.log(`starting the runs took ${round(startedMs / 1000)} s (32 clients); all runs done after ${round(seconds)} s`);
  console.log(`steps: ${stepsDone} completed in ${round(seconds)} s = ${round(stepsDone / seconds)} steps/s; step transitions (run.step.* events in the log): ${stepTransitions} = ${round(stepTransitions / seconds)}/s`);
  console.log(`run events appended by the executor (step transitions plus evaluation, admission, completion): ${status.transitions} = ${round(status.transitions / seconds)}/s by ${status.commands} commands`);
  console.log(`schedule latency (the append that made a step startable or started it → its action launched, ms): p50 ${lat.p50}, p95 ${lat.p95}, p99 ${lat.p99}, max ${lat.max} over ${latencies.length} starts; failures ${status.failures}`);
  console.log(`memory: ${memory()}`);
  console.log(JSON.stringify({ bench: 'runs', runs, steps_per_s: round(stepTransitions / seconds), steps_completed_per_s: round(stepsDone / seconds), run_events_per_s: round(status.transitions / seconds), schedule_p99_ms: lat.p99 }));
} finally {
  await log.close();
  await dropSchema(database, schema).catch(() => undefined);
  await database.close();
}
