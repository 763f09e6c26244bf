// The error ladder at the edge: a known error is answered as its catalogued problem; an unknown one is
// reported with the request id and answered as a 500 problem carrying that id and no stack trace.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Hono } from 'hono';
import { failure, Refusal } from '../../commands/failure.js';
import { LogUnavailableError } from '../event-log/index.js';
import { answerError } from './answer-error.js';
import type { AppEnv } from './env.js';
import { requestId } from './middleware/request-id.js';

type ProblemBody = Record<string, unknown>;

const appThrowing = (error: unknown, reported: [unknown, string | undefined][] = []) =>
  new Hono<AppEnv>()
    .use('*', requestId())
    .get('/boom', () => {
      throw error;
    })
    .onError(answerError((e, id) => reported.push([e, id])));

test('an unknown error: reported with the request id, answered 500 with that id and no stack trace', async () => {
  const reported: [unknown, string | undefined][] = [];
  const secret = new Error('connection string postgres://user:hunter2@db');
  const res = await appThrowing(secret, reported).request('/boom', { headers: { 'x-request-id': 'req-42' } });
  assert.is(res.status, 500);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const text = await res.text();
  const body = JSON.parse(text);
  assert.is(body.code, 'internal');
  assert.is(body.status, 500);
  assert.is(body.requestId, 'req-42');
  assert.is(res.headers.get('x-request-id'), 'req-42');
  assert.not.match(text, /hunter2|at .*\.ts|stack/);
  assert.equal(reported, [[secret, 'req-42']]);
});

test('a made-up request id is in both the answer and the report', async () => {
  const reported: [unknown, string | undefined][] = [];
  const res = await appThrowing(new TypeError('x is undefined'), reported).request('/boom');
  const body = (await res.json()) as ProblemBody;
  assert.type(body.requestId, 'string');
  assert.is(reported[0]?.[1], body.requestId);
});

test('known errors are answered as their catalogued problem and not reported', async () => {
  const reported: [unknown, string | undefined][] = [];
  const down = await appThrowing(new LogUnavailableError('down'), reported).request('/boom');
  assert.is(down.status, 503);
  assert.is(down.headers.get('retry-after'), '1');
  assert.is(((await down.json()) as ProblemBody).code, 'log-unavailable');
  const refused = await appThrowing(new Refusal(failure('forbidden', 'not yours')), reported).request('/boom');
  assert.is(refused.status, 403);
  const body = (await refused.json()) as ProblemBody;
  assert.equal([body.code, body.detail], ['forbidden', 'not yours']);
  assert.is(reported.length, 0);
});

test.run();
