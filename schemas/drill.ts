// The sealed outcome of a drill (`npm run drill -- <name>`): one fault run against a throwaway stack, how long
// the system took to show it (detect) and to work again (recover), and what the writers were told against
// what the log holds. Appended as `ops.drill.completed` on `<tenant>/ops`, so the evidence sits in the log
// and the audit index like every other fact.
import * as t from 'io-ts';
import { eventCodec } from './event-body.js';

export const DRILL_EVENT_TYPE = 'ops.drill.completed';

const Count = new t.Type<number, number, unknown>(
  'Count (a non-negative integer)',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/** Milliseconds, or null where the drill had nothing to measure (a fault the system never noticed). */
const Millis = t.union([Count, t.null]);

export const DrillOutcome = t.readonly(
  t.exact(
    t.type({
      /** The drill's name, e.g. postgres-partition. */
      drill: t.string,
      /** passed: the system detected the fault, recovered, and the log holds every acknowledged write once. */
      result: t.keyof({ passed: null, failed: null }),
      startedAt: t.string,
      endedAt: t.string,
      /** How long the fault lasted, as the drill applied it. */
      faultMs: Count,
      /** From the fault to the first sign of it (a 503 answer, a process gone). */
      detectMs: Millis,
      /** From the end of the fault to the system working again (a write or a read answered, projections at the head). */
      recoverMs: Millis,
      /** Writes the load generator was told succeeded. */
      acknowledged: Count,
      /** Of those, how many the store holds exactly once. */
      found: Count,
      /** Writes the store holds more than once (each a finding). */
      duplicated: Count,
      /** One line: what was done and what was seen. */
      summary: t.string,
    }),
  ),
  'DrillOutcome',
);
export type DrillOutcome = t.TypeOf<typeof DrillOutcome>;

export const DrillCompletedEvent = eventCodec(DRILL_EVENT_TYPE, 1, DrillOutcome);
export type DrillCompletedEvent = t.TypeOf<typeof DrillCompletedEvent>;
