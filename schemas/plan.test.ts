// The plan's shape (schemas/plan.ts): durations as authors write them, and a decoded spec survives the
// JSON round trip the log's events make.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import { PlanSpec, durationMs } from './plan.js';
import { formatValidationErrors } from './validation.js';
import { canary } from '../test/maestro-fixtures.js';

test('durations: units ms s m h d, compounds, positive, at most 30 days', () => {
  assert.is(durationMs('250ms'), 250);
  assert.is(durationMs('30s'), 30_000);
  assert.is(durationMs('5m'), 300_000);
  assert.is(durationMs('1h30m'), 5_400_000);
  assert.is(durationMs('30d'), 30 * 86_400_000);
  for (const bad of ['', '0s', '31d', '5', '5 m', '-1s', '1.5s', 's']) assert.is(durationMs(bad), undefined, bad);
});

test('a decoded spec encodes to JSON that decodes to the same spec (what events carry)', () => {
  const spec = canary();
  const json = JSON.parse(JSON.stringify(PlanSpec.encode(spec)));
  const again = PlanSpec.decode(json);
  if (isLeft(again)) assert.unreachable(formatValidationErrors(again.left).join('; '));
  else assert.equal(again.right, spec);
});

test.run();
