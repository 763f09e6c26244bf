// Decider specifications of the metering segment chain and of the pricing catalog and guardrails.
import { suite } from 'uvu';
import { DeciderSpecification } from '../../test/decider-spec.js';
import { meteringDecider, type SegmentNeighbours } from './batch.js';
import { catalogDecider } from '../pricing/catalog.js';
import { budgetDecider } from '../pricing/guardrails.js';
import type { MeteringRecord } from '../../schemas/metering.js';
import type { DecideContext } from '../command-handler.js';

const rec = (eventId: string, quantity = '1'): MeteringRecord => ({ eventId, service: 'api', team: 't', meter: 'compute', quantity, unit: 'h', ts: '2026-03-01T00:00:00Z' });
const batch = (segment: number, records: MeteringRecord[], duplicates: string[] = []) =>
  ({ type: 'metering.batch.recorded', schemaVersion: 1, data: { segment, records, duplicates } }) as const;
const ctx = (previous: readonly MeteringRecord[] | undefined): DecideContext<SegmentNeighbours> => ({
  now: '2026-03-02T00:00:00Z',
  related: { previous: previous === undefined ? meteringDecider.initialState : meteringDecider.evolve(meteringDecider.initialState, batch(0, [...previous])) },
});

const metering = suite('metering segments');
const spec = DeciderSpecification.for(meteringDecider);

metering('segment 0: accepts, dropping repeats within the batch', () => {
  spec.given([]).when({ region: 'us-east', segment: 0, indexedThrough: -1, records: [rec('a'), rec('b'), rec('a', '2')] }, ctx(undefined))
    .then([batch(0, [rec('a'), rec('b')], ['a'])]);
});
metering("ids of segment n-1 are duplicates; nothing new → nothing written", () => {
  spec.given([]).when({ region: 'us-east', segment: 1, indexedThrough: -1, records: [rec('a'), rec('c')] }, ctx([rec('a')]))
    .then([batch(1, [rec('c')], ['a'])]);
  spec.given([]).when({ region: 'us-east', segment: 1, indexedThrough: 0, records: [rec('a')] }, ctx([rec('a')])).thenNothing();
});
metering('a written segment is taken; a missing predecessor is a gap; the index must reach n-2', () => {
  spec.given([batch(3, [rec('x')])]).when({ region: 'us-east', segment: 3, indexedThrough: 2, records: [rec('y')] }, ctx([rec('w')])).thenFails('conflict', 'segment 3 is already written');
  spec.given([]).when({ region: 'us-east', segment: 3, indexedThrough: 1, records: [rec('y')] }, ctx(undefined)).thenFails('not-found', 'segment 2 does not exist');
  spec.given([]).when({ region: 'us-east', segment: 5, indexedThrough: 2, records: [rec('y')] }, ctx([rec('w')])).thenFails('validation', 'indexedThrough');
  spec.given([]).when({ region: 'us-east', segment: 5, indexedThrough: 5, records: [rec('y')] }, ctx([rec('w')])).thenFails('validation', 'indexedThrough');
});
metering.run();

const pricing = suite('pricing catalog');
const cat = DeciderSpecification.for(catalogDecider, { now: '2026-03-01T00:00:00Z', related: {} });
const price = (unitPrice: string, effectiveFrom = '2026-03-01T00:00:00Z') =>
  ({ type: 'pricing.price.set', data: { region: 'us-east', meter: 'compute', unit: 'h', currency: 'USD', unitPrice, effectiveFrom } }) as const;
const changed = (unitPrice: string, version: number, effectiveFrom = '2026-03-01T00:00:00Z') =>
  ({ type: 'pricing.price.changed', schemaVersion: 1, data: { meter: 'compute', unit: 'h', currency: 'USD', unitPrice, effectiveFrom, version } }) as const;

pricing('prices are versioned per meter and unit; an equal price at the same instant writes nothing', () => {
  cat.given([]).when(price('0.04')).then([changed('0.04', 1)]);
  cat.given([changed('0.04', 1)]).when(price('0.040')).thenNothing();
  cat.given([changed('0.04', 1)]).when(price('0.04', '2026-03-01T01:00:00+01:00')).thenNothing();
  cat.given([changed('0.04', 1)]).when(price('0.05', '2026-03-15T00:00:00Z')).then([changed('0.05', 2, '2026-03-15T00:00:00Z')]);
  cat.given([changed('0.04', 1), changed('0.05', 2, '2026-03-15T00:00:00Z')]).when(price('0.045', '2026-03-15T00:00:00Z')).then([changed('0.045', 3, '2026-03-15T00:00:00Z')]);
});
pricing('tag rules and shared pools: a new version only when something changed', () => {
  const rules = { type: 'pricing.tag-rule.set', data: { region: 'us-east', lowercaseKeys: true, aliases: { env: 'environment' } } } as const;
  const rulesChanged = { type: 'pricing.tag-rules.changed', schemaVersion: 1, data: { lowercaseKeys: true, aliases: { env: 'environment' }, version: 1 } } as const;
  cat.given([]).when(rules).then([rulesChanged]);
  cat.given([rulesChanged]).when(rules).thenNothing();
  const pool = { region: 'us-east', pool: 'platform', period: '2026-03', amount: '100', currency: 'USD', meter: 'compute' };
  const poolChanged = { type: 'pricing.shared-cost.changed', schemaVersion: 1, data: { pool: 'platform', period: '2026-03', amount: '100', currency: 'USD', meter: 'compute', version: 1 } } as const;
  cat.given([]).when({ type: 'pricing.shared-cost.set', data: pool }).then([poolChanged]);
  cat.given([poolChanged]).when({ type: 'pricing.shared-cost.set', data: { ...pool, amount: '100.00' } }).thenNothing();
});
pricing.run();

const budget = suite('budgets');
const bud = DeciderSpecification.for(budgetDecider, { now: '2026-03-01T00:00:00Z', related: {} });
budget('each threshold is crossed once per period', () => {
  const cmd = { type: 'finops.budget.threshold.record', data: { region: 'us-east', period: '2026-03', threshold: 75, spent: '80', budget: '100', currency: 'USD' } } as const;
  const ev = { type: 'finops.budget.threshold.crossed', schemaVersion: 1, data: { period: '2026-03', threshold: 75, spent: '80', budget: '100', currency: 'USD' } } as const;
  bud.given([]).when(cmd).then([ev]);
  bud.given([ev]).when({ ...cmd, data: { ...cmd.data, spent: '85' } }).thenNothing();
  bud.given([ev]).when({ ...cmd, data: { ...cmd.data, period: '2026-04' } }).then([{ ...ev, data: { ...ev.data, period: '2026-04' } }]);
});
budget.run();
