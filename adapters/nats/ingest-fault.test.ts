// Permanent or transient, from what a failure is: refusals by status and code, thrown errors by class,
// code and SQLSTATE along their cause chain; and the disposition each gets on its first delivery.
import { left } from 'fp-ts/lib/Either.js';
import { NatsError } from 'nats';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { failure } from '../../commands/failure.js';
import type { CommandPipeline } from '../../commands/pipeline.js';
import { RevisionConflictError } from '../../commands/stream-writer.js';
import { LogUnavailableError, WrongExpectedRevisionError } from '../event-log/index.js';
import { refusalFault, thrownFault } from './ingest-fault.js';
import { executeDelivery, parseDelivery } from './ingest-message.js';
import { TEST_INGEST_POLICY, nodeUpsert, testDelivery } from '../../test/nats-support.js';

const test = suite('nats ingest faults');

const withCode = (message: string, code: string, cause?: unknown) => Object.assign(new Error(message, cause === undefined ? {} : { cause }), { code });

test('refusals: only a revision conflict and a 503 may pass later; a domain conflict, denial or bad input never will', () => {
  assert.is(refusalFault(409, 'revision-conflict'), 'transient');
  assert.is(refusalFault(503, 'metering-index-behind'), 'transient');
  for (const [status, code] of [[409, 'conflict'], [400, 'validation'], [403, 'forbidden'], [404, 'unknown-command'], [413, 'payload-too-large'], [422, 'idempotency-key-reused']] as const) {
    assert.is(refusalFault(status, code), 'permanent', `${status} ${code}`);
  }
});

test("thrown: a refused value is permanent (the log's NUL, canonical JSON's lone surrogate, a stack overflow, a data-exception SQLSTATE, ESDB's append size)", () => {
  const permanent = [
    new TypeError('append: event x contains U+0000, which PostgreSQL jsonb cannot store'),
    new TypeError('canonical JSON: lone surrogate in string at $.payload.id'),
    new RangeError('Maximum call stack size exceeded'),
    new SyntaxError('Unexpected token'),
    withCode('unsupported Unicode escape sequence', '22P05'),
    withCode('date/time field value out of range', '22008'),
    withCode('total size of jsonb array elements exceeds the maximum', '54000'),
    Object.assign(new Error('Maximum Append Size of 1048576 Exceeded.'), { type: 'maximum-append-size-exceeded' }),
  ];
  for (const e of permanent) assert.is(thrownFault(e), 'permanent', e.message);
});

test('thrown: an outage anywhere along the cause chain is transient, as is anything not known to be the input', () => {
  const transient = [
    new LogUnavailableError('event log unavailable: connect ECONNREFUSED'),
    new RevisionConflictError('acme/graph/x', 5),
    new WrongExpectedRevisionError('acme/graph/x', 3n, 4n),
    new TypeError('fetch failed', { cause: withCode('connect ECONNREFUSED 127.0.0.1:8123', 'ECONNREFUSED') }),
    Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }),
    withCode('terminating connection due to administrator command', '57P01'),
    withCode('could not serialize access', '40001'),
    withCode('too many connections', '53300'),
    new NatsError('TIMEOUT', 'TIMEOUT'),
    new Error('something nobody classified'),
    'a thrown string',
  ];
  for (const e of transient) assert.is(thrownFault(e), 'transient', String(e));
  const cyclic = new Error('cyclic') as Error & { cause?: unknown };
  cyclic.cause = cyclic;
  assert.is(thrownFault(cyclic), 'transient');
});

test('dispositions on the first delivery: a domain conflict and a refused value are dead-lettered at once, an outage retried', async () => {
  const d = testDelivery('ingest.acme.graph_node_upsert', nodeUpsert('svc:a'));
  const run = (answer: () => unknown) => executeDelivery({ pipeline: { execute: async () => answer() } as unknown as CommandPipeline }, parseDelivery(d, TEST_INGEST_POLICY), d, TEST_INGEST_POLICY);
  assert.equal(await run(() => left(failure('conflict', 'run already finished'))), { kind: 'dead-letter', status: 409, code: 'conflict', reason: 'run already finished' });
  assert.equal(await run(() => { throw new TypeError('append: event e contains U+0000, which PostgreSQL jsonb cannot store'); }), {
    kind: 'dead-letter',
    status: 400,
    code: 'refused-input',
    reason: 'TypeError: append: event e contains U+0000, which PostgreSQL jsonb cannot store',
  });
  assert.is((await run(() => { throw new LogUnavailableError('down'); })).kind, 'retry');
  assert.is((await run(() => left(failure('revision-conflict', 'busy')))).kind, 'retry');
});

test.run();
