// The example payloads are what the server accepts: every command type has a summary, every route body
// decodes with its route's codec, and a plan made of every plan block registers (201) on a server whose
// actions file offers the script block's action.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRight, type Either } from 'fp-ts/lib/Either.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeteringIngestBody } from '../../schemas/metering.js';
import { openTestApi } from '../../test/api-harness.js';
import { openMemoryLog } from '../../test/logs.js';
import { COMMAND_EXAMPLES, COMMAND_SUMMARIES, PLAN_STEP_EXAMPLES, ROUTE_EXAMPLES } from './openapi-examples.js';
import { ApproveRequest, CancelRequest, RunStartRequest } from './routes/runs.js';

test('every command type with an example has a one-line summary, and no other', () => {
  assert.equal(Object.keys(COMMAND_SUMMARIES).sort(), Object.keys(COMMAND_EXAMPLES).sort());
  for (const [type, line] of Object.entries(COMMAND_SUMMARIES)) assert.ok(line.length > 0 && !line.includes('\n'), type);
});

test('every route body decodes with the codec its route validates with', () => {
  const codecs: Readonly<Record<keyof typeof ROUTE_EXAMPLES, { decode(u: unknown): Either<unknown, unknown> }>> = {
    'POST /v1/runs': RunStartRequest,
    'POST /v1/runs/{id}/steps/{step}/approve': ApproveRequest,
    'POST /v1/runs/{id}/cancel': CancelRequest,
    'POST /v1/metering/events': MeteringIngestBody,
  };
  assert.equal(Object.keys(ROUTE_EXAMPLES).sort(), Object.keys(codecs).sort());
  for (const [route, codec] of Object.entries(codecs)) assert.ok(isRight(codec.decode(ROUTE_EXAMPLES[route as keyof typeof ROUTE_EXAMPLES])), route);
});

test('a plan of every plan block registers, covering every action type', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'companyos-examples-'));
  const memory = await openMemoryLog();
  try {
    await writeFile(join(dir, 'actions.yaml'), `actions:
  check-health:
    program: /bin/true
    args: [--service, "{service}", --budget, "{error_budget}", --window, "{window}"]
    params:
      service: { type: string, pattern: "[a-z][a-z0-9-]*" }
      error_budget: { type: string, maxLength: 8 }
      window: { type: enum, values: [5m, 10m] }
`);
    const api = await openTestApi(memory.log, { COMPANYOS_ACTIONS_FILE: join(dir, 'actions.yaml') });
    try {
      const token = await api.token({ subject: 'user:alice', tenant: 'acme', roles: ['plan-author'], region: 'us-east' });
      const source = `name: reference\nsteps:\n${PLAN_STEP_EXAMPLES.map((b) => b.yaml.replace(/^/gm, '  ')).join('\n')}\n`;
      const registered = await api.call('POST', '/v1/plans', { token, rawBody: source, headers: { 'content-type': 'application/yaml' } });
      assert.is(registered.status, 201, JSON.stringify(registered.body));
      assert.is(registered.body.steps, PLAN_STEP_EXAMPLES.length);
      const types = new Set(PLAN_STEP_EXAMPLES.map((b) => /action_type: (\w+)/.exec(b.yaml)?.[1]));
      assert.equal([...types].sort(), ['http', 'manual', 'script', 'wait']);
    } finally {
      await api.close();
    }
  } finally {
    await memory.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
