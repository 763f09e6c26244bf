// The parts of OpenLineage events the ingest reads (https://openlineage.io/spec, 2-0-x): RunEvent, and the
// static lineage events DatasetEvent and JobEvent. Producers add
// facets and fields freely, so extra fields are allowed and ignored; the fields used are checked by name.
import * as t from 'io-ts';
import { FreeText, Timestamp, patternString } from './primitives.js';

const Text = (name: string, max: number) => patternString(`${name} (1-${max} characters, no control characters)`, new RegExp(`^[^\\u0000-\\u001f\\u007f]{1,${max}}$`, 'u'));

/** The spec's run states; START and one of COMPLETE/FAIL/ABORT are expected per run. */
export const RunEventType = t.keyof({ START: null, RUNNING: null, COMPLETE: null, FAIL: null, ABORT: null, OTHER: null }, 'eventType');
export type RunEventType = t.TypeOf<typeof RunEventType>;

/** The spec makes runId a UUID; its case is not significant. */
export const RunId = patternString('RunId (UUID)', /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/);

/** A dataset is named by (namespace, name), e.g. ("postgres://db:5432", "shop.public.orders"). */
export const LineageDataset = t.type({ namespace: Text('namespace', 1024), name: Text('name', 1024) }, 'Dataset');
export type LineageDataset = t.TypeOf<typeof LineageDataset>;

export const RunEvent = t.intersection(
  [
    t.type({
      eventType: RunEventType,
      eventTime: Timestamp,
      producer: Text('producer URI', 1024),
      run: t.type({ runId: RunId }, 'Run'),
      job: t.type({ namespace: Text('namespace', 1024), name: Text('name', 1024) }, 'Job'),
    }),
    t.partial({ inputs: t.readonlyArray(LineageDataset), outputs: t.readonlyArray(LineageDataset), schemaURL: FreeText }),
  ],
  'RunEvent',
);
export type RunEvent = t.TypeOf<typeof RunEvent>;

const Job = t.type({ namespace: Text('namespace', 1024), name: Text('name', 1024) }, 'Job');

/** Static lineage: a dataset's existence (its facets are not read), at eventTime. */
export const DatasetEvent = t.intersection(
  [t.type({ eventTime: Timestamp, producer: Text('producer URI', 1024), dataset: LineageDataset }), t.partial({ schemaURL: FreeText })],
  'DatasetEvent',
);
export type DatasetEvent = t.TypeOf<typeof DatasetEvent>;

/** Static lineage: a job's declared inputs and outputs, without a run. */
export const JobEvent = t.intersection(
  [
    t.type({ eventTime: Timestamp, producer: Text('producer URI', 1024), job: Job }),
    t.partial({ inputs: t.readonlyArray(LineageDataset), outputs: t.readonlyArray(LineageDataset), schemaURL: FreeText }),
  ],
  'JobEvent',
);
export type JobEvent = t.TypeOf<typeof JobEvent>;

export type LineageEvent = RunEvent | DatasetEvent | JobEvent;

/** The codec an event's shape asks for: the spec tells the three apart by `run` (RunEvent), then `dataset`, then `job`. */
const codecOf = (u: unknown): t.Type<LineageEvent, unknown, unknown> | undefined => {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return undefined;
  if ('run' in u || 'eventType' in u) return RunEvent as t.Type<LineageEvent, unknown, unknown>;
  if ('dataset' in u) return DatasetEvent as t.Type<LineageEvent, unknown, unknown>;
  if ('job' in u) return JobEvent as t.Type<LineageEvent, unknown, unknown>;
  return undefined;
};

/** Any of the three OpenLineage events, decoded by the codec its shape names (errors are that codec's). */
export const LineageEvent = new t.Type<LineageEvent, unknown, unknown>(
  'LineageEvent',
  (u): u is LineageEvent => codecOf(u)?.is(u) ?? false,
  (u, c) => {
    const codec = codecOf(u);
    if (codec === undefined) return t.failure(u, c, 'expected a RunEvent, DatasetEvent or JobEvent (an object with run, dataset or job)');
    // The chosen codec stands in this place of the context, so error paths read as if it had been named here.
    const last = c[c.length - 1];
    return codec.validate(u, last === undefined ? c : [...c.slice(0, -1), { ...last, type: codec }]);
  },
  t.identity,
);
