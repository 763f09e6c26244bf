// The budget read's arithmetic: a month as [from, to) cut at now, and the share of the budget spent, exact
// (decimal strings, rounded half-even to 2 decimals), with no share for a zero budget.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { periodRange, shareOf } from './finops-budget.js';

test('a past month is the whole month; the current one ends now; a month not begun is empty', () => {
  const now = new Date('2026-03-03T06:00:00Z');
  assert.equal(periodRange('2026-02', now), { from: '2026-02-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' });
  assert.equal(periodRange('2026-03', now), { from: '2026-03-01T00:00:00.000Z', to: '2026-03-03T06:00:00.000Z' });
  assert.equal(periodRange('2026-12', now), { from: '2026-12-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' });
  assert.equal(periodRange('2025-12', now), { from: '2025-12-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' }, 'across a year');
});

test('share: spent / budget in percent, exact and rounded half-even; null for a zero budget', () => {
  assert.is(shareOf('15', '20'), '75');
  assert.is(shareOf('46.2', '50'), '92.4');
  assert.is(shareOf('1', '3'), '33.33');
  assert.is(shareOf('2', '3'), '66.67');
  assert.is(shareOf('0.00015', '1'), '0.02', '0.015 %: a tie, to the even 0.02');
  assert.is(shareOf('0.00025', '1'), '0.02', '0.025 %: a tie, to the even 0.02');
  assert.is(shareOf('0.000135', '1'), '0.01', '0.0135 %: below the half');
  assert.is(shareOf('25', '20'), '125', 'over the budget');
  assert.is(shareOf('0', '20'), '0');
  assert.is(shareOf('5', '0'), null);
  assert.is(shareOf('123456789012.345678', '0.000001'), '12345678901234567800');
});

test.run();
