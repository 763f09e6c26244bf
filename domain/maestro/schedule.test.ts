// The executor's pure scheduling API: backoff with jitter, and what a restarted executor resumes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { admitted, chain, compStarted, ev, ran, stepStarted } from '../../test/maestro-fixtures.js';
import { evolveRun, initialRunState } from './run-state.js';
import { completion, dependentsOf, inFlight, nextCompensations, readySteps, retryDelay } from './schedule.js';

const retries = { max: 5, base_delay: '1s', max_delay: '10s', jitter: 0 };

test('retryDelay: doubles from base_delay, capped at max_delay', () => {
  assert.equal([1, 2, 3, 4, 5, 6].map((n) => retryDelay(retries, n, 0.5)), [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
});

test('retryDelay: jitter shortens by up to its fraction, never lengthens', () => {
  const jittery = { ...retries, jitter: 0.5 };
  assert.is(retryDelay(jittery, 3, 0), 4_000);
  assert.is(retryDelay(jittery, 3, 0.5), 3_000);
  assert.is(retryDelay(jittery, 3, 0.999), 2_002);
  assert.is(retryDelay({ ...retries, jitter: 1 }, 1, 1), 0);
  assert.is(retryDelay(jittery, 1, 7), 500, 'random is clamped to [0, 1]');
});

test('nothing to schedule for an absent run, or one not running or rolling back', () => {
  assert.equal(readySteps(initialRunState), []);
  assert.equal(nextCompensations(initialRunState), []);
  assert.equal(inFlight(initialRunState), []);
  assert.is(completion(initialRunState), undefined);
  const pending = admitted(chain()).slice(0, 1).reduce(evolveRun, initialRunState);
  assert.equal(readySteps(pending), []);
});

test('inFlight lists actions and compensations a restarted executor must finish, with keys and deadlines', () => {
  const events = [...admitted(chain()), ...ran('a'), ...ran('d'), stepStarted('b'), ev('run.rollback.started', { reason: 'requested', requestedBy: 'x' }), compStarted('d')];
  const state = events.reduce(evolveRun, initialRunState);
  assert.equal(inFlight(state).map((f) => [f.kind, f.stepId, f.attempt, f.idempotencyKey]), [
    ['action', 'b', 1, 'run-1:b:1'],
    ['compensation', 'd', 1, 'run-1:d:compensation:1'],
  ]);
});

test('dependentsOf is transitive, in dependency order', () => {
  const state = admitted(chain()).reduce(evolveRun, initialRunState);
  if (state.status === 'absent') throw new Error('absent');
  assert.equal(dependentsOf(state, 'a'), ['b', 'c', 'd']);
  assert.equal(dependentsOf(state, 'b'), ['c']);
  assert.equal(dependentsOf(state, 'c'), []);
});

test.run();
