// The log's read parameters: a page's revision and limit within their bounds, verify's one parameter.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import { LedgerVerifyQuery, StreamPageQuery } from './ledger-queries.js';
import { formatValidationErrors } from './validation.js';

const errorsOf = (codec: typeof StreamPageQuery | typeof LedgerVerifyQuery, query: Record<string, string>): readonly string[] => {
  const r = codec.decode(query);
  return isLeft(r) ? formatValidationErrors(r.left) : [];
};

test('a stream page: fromRevision up to int64, limit 1-1000', () => {
  assert.equal(StreamPageQuery.decode({ fromRevision: '9223372036854775807', limit: '1000' }), { _tag: 'Right', right: { fromRevision: 9223372036854775807n, limit: 1000 } });
  assert.equal(errorsOf(StreamPageQuery, { fromRevision: '9223372036854775808', limit: '0' }), [
    'fromRevision: expected fromRevision (a revision number), got "9223372036854775808"',
    'limit: expected limit (integer 1-1000), got "0"',
  ]);
  assert.equal(errorsOf(StreamPageQuery, { limit: '5000', from: '1' }), ['from: unknown field', 'limit: expected limit (integer 1-1000), got "5000"']);
});

test('verify takes a stream or nothing, and no other parameter', () => {
  assert.equal(LedgerVerifyQuery.decode({}), { _tag: 'Right', right: {} });
  assert.equal(LedgerVerifyQuery.decode({ stream: 'acme/audit' }), { _tag: 'Right', right: { stream: 'acme/audit' } });
  assert.equal(errorsOf(LedgerVerifyQuery, { stream: 'acme/audit', tenant: 'globex' }), ['tenant: unknown field']);
});

test.run();
