// `companyos faults`: the events projections skipped because they cannot apply them (projection_faults).
// `faults [--all] [--json]` lists the unacknowledged ones (--all: acknowledged too), with their errors;
// `faults ack --projection P [--position N]` acknowledges one (or all of P): the event stays skipped, but no
// longer holds /readyz back. A rebuild (`project --rebuild`, or a new projection version) forgets them all and
// records again those that still fail.
import * as t from 'io-ts';
import { acknowledgeFaults, listFaults, type StoredProjectionFault } from '../../projections/index.js';
import type { Config } from '../../schemas/config.js';
import { patternString } from '../../schemas/primitives.js';
import { openLog } from '../open-log.js';
import { openReadStore } from '../read-store.js';
import { ExitCode, parseOptions, UsageError } from './usage.js';

const USAGE = 'usage: companyos faults [--all] [--json] | companyos faults ack --projection P [--position N]';
const Position = patternString('a log position (a non-negative integer)', /^(0|[1-9][0-9]{0,19})$/);
const ProjectionName = patternString('a projection name (e.g. graph, runs, audit, costs)', /^[a-z][a-z0-9_-]{0,62}$/);
const ListOptions = t.partial({ all: t.boolean, json: t.boolean });
const AckOptions = t.intersection([t.type({ projection: ProjectionName }), t.partial({ position: Position })]);

const line = (f: StoredProjectionFault): string =>
  [
    `${f.projection} position ${f.position} event ${f.eventId} (${f.eventType}, tenant ${f.tenant ?? 'unknown'})`,
    `recorded ${f.recordedAt.toISOString()}`,
    ...(f.acknowledgedAt === undefined ? [] : [`acknowledged ${f.acknowledgedAt.toISOString()}`]),
    `error: ${f.error}`,
  ].join('; ');

const json = (f: StoredProjectionFault) => ({
  ...f,
  position: f.position.toString(),
  recordedAt: f.recordedAt.toISOString(),
  acknowledgedAt: f.acknowledgedAt?.toISOString() ?? null,
  tenant: f.tenant ?? null,
});

export async function faultsCommand(config: Config, argv: readonly string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== undefined && sub !== 'ack' && !sub.startsWith('--')) throw new UsageError(USAGE);
  const acking = sub === 'ack';
  const list = acking ? undefined : parseOptions(argv, { all: { type: 'boolean' }, json: { type: 'boolean' } }, ListOptions);
  const ack = acking ? parseOptions(rest, { projection: { type: 'string' }, position: { type: 'string' } }, AckOptions) : undefined;
  const opened = await openLog(config);
  try {
    const read = await openReadStore(config, opened.log);
    const { store } = read;
    try {
      if (ack !== undefined) {
        const position = ack.position === undefined ? undefined : BigInt(ack.position);
        const count = await store.withSession((s) => acknowledgeFaults(s, store.schema, ack.projection, position));
        if (count === 0) {
          console.error(`companyos: no unacknowledged fault of projection ${ack.projection}${position === undefined ? '' : ` at position ${position}`}`);
          throw new ExitCode(1);
        }
        console.log(`companyos: acknowledged ${count} fault${count === 1 ? '' : 's'} of projection ${ack.projection}`);
        return;
      }
      const faults = await store.withSession((s) => listFaults(s, store.schema, { all: list?.all === true }));
      if (list?.json === true) console.log(JSON.stringify(faults.map(json)));
      else if (faults.length === 0) console.log(`companyos: no ${list?.all === true ? '' : 'unacknowledged '}projection faults`);
      else for (const f of faults) console.log(line(f));
    } finally {
      await read.close();
    }
  } finally {
    await opened.close();
  }
}
