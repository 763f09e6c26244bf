// Which failures skip an event (deterministic) and which are retried (transient).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isDeterministicFailure } from './failure-kind.js';
import { UnreadableEventError } from './projection.js';

const test = suite('projection failure kinds');
const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test('the event is at fault: data exceptions, integrity constraints, the projection finding it unreadable, ClickHouse parse errors', () => {
  for (const code of ['22008', '22003', '22P02', '22P05', '23502', '23505', '23514']) assert.ok(isDeterministicFailure(withCode(code)), code);
  assert.ok(isDeterministicFailure(new UnreadableEventError(1n, 'e', 'bad')));
  assert.ok(isDeterministicFailure(new RangeError('Invalid time value')));
  assert.ok(isDeterministicFailure(withCode('41', 'Cannot read DateTime')), 'ClickHouse over HTTP');
  assert.ok(isDeterministicFailure(withCode('CHDB_INSERT', 'Code: 41. DB::Exception: Cannot read DateTime: unexpected date')), 'chDB');
});

test('the moment is at fault: connections, serialization, deadlocks, missing tables, anything unknown', () => {
  for (const code of ['08006', '08001', '40001', '40P01', '57P01', '53300', '25P02', '42P01', 'ECONNREFUSED', 'ECONNRESET']) {
    assert.not.ok(isDeterministicFailure(withCode(code)), code);
  }
  assert.not.ok(isDeterministicFailure(withCode('210', 'Connection refused')), 'ClickHouse NETWORK_ERROR');
  assert.not.ok(isDeterministicFailure(withCode('CHDB_QUERY', 'Code: 159. DB::Exception: Timeout exceeded')));
  assert.not.ok(isDeterministicFailure(new Error('killed mid-batch')));
  assert.not.ok(isDeterministicFailure(new TypeError('fetch failed')));
  assert.not.ok(isDeterministicFailure('a string'));
});

test.run();
