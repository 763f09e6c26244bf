// The costs query (GET /v1/finops/costs): dates and times to one instant, dimensions named when unknown,
// the range ordered and bounded; every problem of a parameter at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import { CostsQuery } from './finops.js';
import { formatValidationErrors } from './validation.js';

const errorsOf = (query: Record<string, string>): readonly string[] => {
  const r = CostsQuery.decode(query);
  return isLeft(r) ? formatValidationErrors(r.left) : [];
};

test('a date is its midnight in UTC, a time keeps its instant; groupBy is optional', () => {
  assert.equal(CostsQuery.decode({ from: '2026-03-01', to: '2026-03-02T01:00:00+01:00' }), {
    _tag: 'Right',
    right: { from: '2026-03-01T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z' },
  });
  const grouped = CostsQuery.decode({ from: '2026-03-01', to: '2026-04-01', groupBy: 'service, tag:env,hour' });
  assert.equal(!isLeft(grouped) && grouped.right.groupBy, ['service', 'tag:env', 'hour']);
});

test('unknown and repeated dimensions, bad and missing times: each named', () => {
  assert.equal(errorsOf({ groupBy: 'service,colour,size,service', from: 'yesterday' }), [
    'from: expected an RFC 3339 time or a date (YYYY-MM-DD, UTC) in years 1900-2299, got "yesterday"',
    'to: missing, expected an RFC 3339 time or a date (YYYY-MM-DD, UTC) in years 1900-2299',
    'groupBy: unknown dimension "colour", expected service, team, meter, day, hour or tag:<key>',
    'groupBy: unknown dimension "size", expected service, team, meter, day, hour or tag:<key>',
    'groupBy: a dimension is repeated',
  ]);
  assert.equal(errorsOf({ from: '2026-01-01', to: '2026-01-02', colour: 'red' }), ['colour: unknown field']);
});

test('the range: to after from, at most 366 days', () => {
  assert.equal(errorsOf({ from: '2026-03-01', to: '2026-03-01' }), ['to: must be later than from']);
  assert.equal(errorsOf({ from: '2026-01-01', to: '2027-01-03' }), ['to: the range may cover at most 366 days']);
  assert.equal(errorsOf({ from: '2026-01-01', to: '2027-01-02' }), []);
});

test.run();
