// The parts of an OpenLineage RunEvent the ingest reads (https://openlineage.io/spec). Producers add
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
