// `companyos replay`: rebuilds every PostgreSQL read model from the log into a fresh schema and prints one
// digest per read model. `--check` replays to each live read model's checkpoint and exits 1 on any
// difference; `--to-position P` gives the state as of P. The fresh schema is dropped afterwards.
import { randomBytes } from 'node:crypto';
import * as t from 'io-ts';
import { dropSchema, migrate } from '../../adapters/read-store/postgres/database.js';
import { READ_MODELS, projectUntil, readModelDigest, readModelMigrations } from '../../projections/index.js';
import type { Config } from '../../schemas/config.js';
import { patternString } from '../../schemas/primitives.js';
import { openLog } from '../open-log.js';
import { openReadStore } from '../read-store.js';
import { ExitCode, parseOptions, UsageError } from './usage.js';

// Events per transaction: a replay is a rebuild, where larger batches pay fewer round trips and commits
// (bench:graph measures the graph's rebuild with the same size).
const REPLAY_BATCH = 5000;

const Position = patternString('a log position (a non-negative integer)', /^(0|[1-9][0-9]{0,19})$/);
const Options = t.partial({ 'to-position': Position, check: t.boolean, json: t.boolean });

interface ReadModelReport {
  readonly name: string;
  readonly digest: string;
  readonly rows: number;
  /** Position the replay reached (null: the log holds nothing up to there). */
  readonly position: string | null;
  /** With --check: the live read model's digest, and whether it matches. */
  readonly live?: { readonly digest: string; readonly position: string | null; readonly matches: boolean };
}

/** The longest a replay waits for one PostgreSQL statement. */
const REPLAY_QUERY_TIMEOUT_MS = 3_600_000;

export async function replayCommand(config: Config, argv: readonly string[]): Promise<void> {
  const o = parseOptions(argv, { 'to-position': { type: 'string' }, check: { type: 'boolean' }, json: { type: 'boolean' } }, Options);
  if (o.check === true && o['to-position'] !== undefined) {
    throw new UsageError('--check replays to the live read models\' own positions; it cannot be combined with --to-position');
  }
  // A rebuild's last statements (deriving current rows, building indexes) can run for minutes on a large log:
  // a batch job, so it waits up to an hour for a statement rather than the server's bound.
  const batch = { ...config, pgQueryTimeoutMs: Math.max(config.pgQueryTimeoutMs, REPLAY_QUERY_TIMEOUT_MS) };
  const opened = await openLog(batch);
  try {
    const read = await openReadStore(batch, opened.log);
    const store = read.store;
    const schema = `replay_${randomBytes(6).toString('hex')}`;
    try {
      await migrate(store, readModelMigrations, schema);
      const head = await opened.log.headPosition();
      const reports: ReadModelReport[] = [];
      for (const projection of READ_MODELS) {
        // With --check, the live digest first: its checkpoint (same snapshot) is where the replay stops.
        const live = o.check === true ? await readModelDigest(store, store.schema, projection) : undefined;
        const until = o['to-position'] !== undefined ? BigInt(o['to-position']) : live !== undefined ? live.checkpoint : head;
        const progress = replayProgress(projection.name, until);
        const reached = until === undefined ? undefined : await projectUntil({ log: opened.log, store }, projection, { schema, until, maxBatch: REPLAY_BATCH, onBatch: progress.batch });
        progress.done();
        const replayed = await readModelDigest(store, schema, projection);
        const report: ReadModelReport = { name: projection.name, digest: replayed.digest, rows: replayed.rows, position: reached?.toString() ?? null };
        reports.push(
          live === undefined
            ? report
            : { ...report, live: { digest: live.digest, position: live.checkpoint?.toString() ?? null, matches: live.digest === replayed.digest } },
        );
      }
      print(reports, o.json === true, opened.description);
      if (reports.some((r) => r.live !== undefined && !r.live.matches)) throw new ExitCode(1);
    } finally {
      await dropSchema(store, schema).catch(() => {});
      await read.close();
    }
  } finally {
    await opened.close();
  }
}

/**
 * Progress of one read model's rebuild on stderr (stdout stays the report, --json included): at most a line a
 * second while it runs, and one at the end, with the position reached, the head it goes to and the rate.
 */
function replayProgress(name: string, head: bigint | undefined): { readonly batch: (through: bigint, events: number) => void; readonly done: () => void } {
  const started = performance.now();
  let printed = started;
  let events = 0;
  let at: bigint | undefined;
  const line = () => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(events / seconds) : events;
    console.error(`replay: ${name} at position ${at ?? 'start'} of ${head ?? 'an empty log'}, ${events} events applied in ${seconds.toFixed(1)} s (${rate} events/s)`);
  };
  return {
    batch: (through, count) => {
      at = through;
      events += count;
      if (performance.now() - printed >= 1000) {
        printed = performance.now();
        line();
      }
    },
    done: line,
  };
}

function print(reports: readonly ReadModelReport[], json: boolean, log: string): void {
  if (json) {
    console.log(JSON.stringify({ log, readModels: reports }));
    return;
  }
  for (const r of reports) {
    const at = `at ${r.position ?? 'start'}`;
    if (r.live === undefined) console.log(`${r.name}  ${r.digest}  ${r.rows} rows  ${at}`);
    else console.log(`${r.name}  ${r.live.matches ? 'matches' : 'DIFFERS'}  replay ${r.digest}  live ${r.live.digest}  ${r.rows} rows  ${at}`);
  }
}
