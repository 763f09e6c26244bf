// `npm run drill -- <name>`: one controlled failure against a throwaway stack (private PostgreSQL, embedded
// stores, child processes, all in a temporary directory), then what it showed: time to detect, time to
// recover, writes acknowledged against writes found. The outcome is sealed as `ops.drill.completed` on
// `<tenant>/ops` of the system the environment configures (DATABASE_URL, COMPANYOS_DATA_DIR, …), so the
// evidence sits in its log and audit index. Exit 0 passed, 1 failed (or not recorded), 2 usage.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { loadConfig } from '../schemas/config.js';
import type { DrillOutcome } from '../schemas/drill.js';
import { parseOptions, UsageError } from './cli/usage.js';
import { runClickHouseDown } from './drills/clickhouse-down.js';
import { runKillExecutor } from './drills/kill-executor.js';
import { runKillProjector } from './drills/kill-projector.js';
import { runKillServe } from './drills/kill-serve.js';
import { runNatsRestart } from './drills/nats-restart.js';
import { postgresPartition, postgresStop, runPostgresFault } from './drills/postgres-faults.js';
import { recordDrill } from './drills/record.js';

type Say = (line: string) => void;

/** Every drill: what it does (for --help), and how long its fault lasts by default. */
const DRILLS: Readonly<Record<string, { readonly about: string; readonly seconds: number; run(seconds: number, say: Say): Promise<DrillOutcome> }>> = {
  'postgres-stop': { about: 'the private PostgreSQL crashes (immediate stop) under 8 writers, then starts', seconds: 10, run: (s, say) => runPostgresFault(postgresStop, s, say) },
  'postgres-partition': { about: 'nothing passes between the server and PostgreSQL (TCP proxy) under 8 writers, then it heals', seconds: 10, run: (s, say) => runPostgresFault(postgresPartition, s, say) },
  'clickhouse-down': { about: 'the analytics store refuses connections under 4 writers, then returns', seconds: 10, run: runClickHouseDown },
  'kill-projector': { about: 'companyos project is SIGKILLed under 8 writers, then started again', seconds: 5, run: runKillProjector },
  'kill-executor': { about: "companyos project (Maestro's executor) is SIGKILLed with runs in flight, then started again", seconds: 3, run: runKillExecutor },
  'nats-restart': { about: 'the private nats-server stops (SIGTERM) under relay and ingest load, then starts on its store', seconds: 5, run: runNatsRestart },
  'kill-serve': { about: 'companyos serve is SIGKILLed under 8 writers, then started again', seconds: 5, run: runKillServe },
};

const USAGE = `usage: npm run drill -- <name> [--seconds N] [--tenant T] [--no-record] [--json]
drills:
${Object.entries(DRILLS).map(([name, d]) => `  ${name.padEnd(20)} ${d.about} (${d.seconds} s)`).join('\n')}
The outcome is sealed as ops.drill.completed on <tenant>/ops (default tenant companyos) of the configured system.`;

const Options = t.partial({ seconds: t.string, tenant: t.string, 'no-record': t.boolean, json: t.boolean, help: t.boolean });

const ms = (v: number | null): string => (v === null ? 'never' : `${v.toLocaleString('en-US')} ms`);

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const drill = DRILLS[name];
  if (drill === undefined) throw new UsageError(`no drill named ${JSON.stringify(name)}; one of ${Object.keys(DRILLS).join(', ')}`);
  const options = parseOptions(rest, { seconds: { type: 'string' }, tenant: { type: 'string' }, 'no-record': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean' } }, Options);
  const seconds = options.seconds === undefined ? drill.seconds : Number(options.seconds);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 600) throw new UsageError(`--seconds: ${JSON.stringify(options.seconds)} is not a number of seconds from 1 to 600`);
  const tenant = options.tenant ?? 'companyos';
  // The configuration is checked before the drill, so a bad environment wastes no run.
  const config = options['no-record'] === true ? undefined : loadConfig(process.env);
  if (config !== undefined && isLeft(config)) throw new UsageError(config.left.join('; '));

  const say: Say = (line) => console.error(`drill: ${line}`);
  const outcome = await drill.run(seconds, say);
  let recorded: Awaited<ReturnType<typeof recordDrill>> | undefined;
  let notRecorded: string | undefined;
  if (config !== undefined) {
    try {
      recorded = await recordDrill(config.right, tenant, outcome);
    } catch (error) {
      notRecorded = error instanceof Error ? error.message : String(error);
    }
  }
  if (options.json === true) {
    console.log(JSON.stringify({ ...outcome, recorded: recorded === undefined ? null : { ...recorded, position: String(recorded.position) }, ...(notRecorded === undefined ? {} : { notRecorded }) }));
  } else {
    console.log(`drill ${outcome.drill}: ${outcome.result}`);
    console.log(`  fault         ${(outcome.faultMs / 1000).toFixed(1)} s`);
    console.log(`  detect        ${ms(outcome.detectMs)}`);
    console.log(`  recover       ${ms(outcome.recoverMs)}`);
    console.log(`  acknowledged  ${outcome.acknowledged}, found ${outcome.found} (each once), duplicated ${outcome.duplicated}`);
    console.log(`  ${outcome.summary}`);
    if (recorded !== undefined) console.log(`  recorded      ops.drill.completed ${recorded.eventId} on ${recorded.stream} at position ${recorded.position} (${recorded.log})`);
  }
  if (notRecorded !== undefined) console.error(`drill: the outcome was not recorded: ${notRecorded}`);
  return outcome.result === 'passed' && notRecorded === undefined ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`drill: ${error.message}`);
      process.exit(2);
    }
    console.error(`drill: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
