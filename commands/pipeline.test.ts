// The pipeline deciding on streams it remembers (it wrote their tail): no read when the tail is current;
// when another process moved the stream on, or a decision on the remembered state would refuse, deny or
// do nothing, the stream is read and the command decided again, and no denial is recorded for a stale view.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CedarAuthorizer } from '../adapters/cedar/cedar-authorizer.js';
import { DEFAULT_POLICY_FILE } from '../bin/system.js';
import { commandHandlers } from '../domain/index.js';
import { Keyring, verifyChain } from '../ledger/index.js';
import { testSigningKey } from '../test/test-events.js';
import type { EventLog, ReadStreamOptions } from '../adapters/event-log/index.js';
import { auditStream } from '../schemas/streams.js';
import { openMemoryLog, type TestLog } from '../test/logs.js';
import type { Principal } from './authorizer.js';
import { CommandPipeline, type CommandOutcome } from './pipeline.js';
import { DEFAULT_RETRY } from './stream-writer.js';

const TENANT = 'acme';
const keyring = new Keyring([], testSigningKey());
const editor: Principal = { id: 'user:ed', tenant: TENANT, roles: ['editor'], region: 'us-east', authTime: undefined, authn: 'jwt' };
const operator: Principal = { id: 'user:op', tenant: TENANT, roles: ['plan-author', 'operator'], region: 'us-east', authTime: undefined, authn: 'jwt' };
const executor: Principal = { id: 'service:maestro-executor', tenant: TENANT, roles: ['maestro-executor', 'service'], region: 'us-east', authTime: undefined, authn: 'system' };

const test = suite<{ t: TestLog; reads: string[] }>('command pipeline on remembered streams', {} as { t: TestLog; reads: string[] });
test.before(async (ctx) => {
  ctx.t = await openMemoryLog();
  ctx.reads = [];
});
test.after(async (ctx) => {
  await ctx.t.close();
});

/** A pipeline of its own (another process, as far as the others know) whose stream reads are counted. */
async function pipelineOn(log: EventLog, reads: string[], policyText?: string): Promise<CommandPipeline> {
  const counted = new Proxy(log, {
    get(target, name) {
      if (name === 'readStream') return (stream: string, options?: ReadStreamOptions) => (reads.push(stream), target.readStream(stream, options));
      const value: unknown = Reflect.get(target, name);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return new CommandPipeline({
    log: counted,
    keyring,
    authorizer: new CedarAuthorizer(policyText ?? (await readFile(DEFAULT_POLICY_FILE, 'utf8'))),
    clock: () => new Date(),
    newId: randomUUID,
    auditRetry: DEFAULT_RETRY,
    handlers: Object.fromEntries(commandHandlers),
    retry: DEFAULT_RETRY,
  });
}

const node = (id: string, version: number) => ({
  id,
  type: 'Service',
  region: 'us-east',
  attributes: { version },
  provenance: { sourceSystem: 'test', observedAt: `2026-01-01T00:00:0${version}Z` },
});

async function send(p: CommandPipeline, type: string, body: object, as: Principal, idempotencyKey?: string): Promise<CommandOutcome> {
  const r = await p.execute(type, body, as, { requestId: randomUUID(), context: {}, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
  if (r._tag === 'Left') throw new Error(`${type}: ${r.left.status} ${r.left.detail ?? r.left.title}`);
  return r.right;
}

test('the stream this pipeline wrote last is decided on without a read', async ({ t, reads }) => {
  const p = await pipelineOn(t.log, reads);
  await send(p, 'graph.node.upsert', node('svc:quiet', 1), editor);
  reads.length = 0;
  const second = await send(p, 'graph.node.upsert', node('svc:quiet', 2), editor);
  assert.is(second.kind, 'appended');
  assert.equal(reads, [], 'no read of the stream');
  assert.equal(verifyChain(await t.log.readStream(second.body.stream), keyring).failures, []);
});

test('another process moved the stream on: the stale append fails, the stream is read, and the chain stays linear', async ({ t, reads }) => {
  const mine = await pipelineOn(t.log, reads);
  const theirs = await pipelineOn(t.log, []);
  await send(mine, 'graph.node.upsert', node('svc:shared', 1), editor);
  await send(theirs, 'graph.node.upsert', node('svc:shared', 2), editor);
  reads.length = 0;
  const third = await send(mine, 'graph.node.upsert', node('svc:shared', 3), editor);
  assert.is(third.kind, 'appended');
  assert.is(third.body.revision, 2);
  assert.equal(reads, [third.body.stream], 'read once, after the stale append failed');
  const events = await t.log.readStream(third.body.stream);
  assert.is(events.length, 3);
  assert.equal(verifyChain(events, keyring).failures, []);
});

test('an idempotency key used by another process is answered with its result, not written twice', async ({ t, reads }) => {
  const mine = await pipelineOn(t.log, reads);
  const theirs = await pipelineOn(t.log, []);
  await send(mine, 'graph.node.upsert', node('svc:keyed', 1), editor);
  const first = await send(theirs, 'graph.node.upsert', node('svc:keyed', 2), editor, 'k-1');
  const repeat = await send(mine, 'graph.node.upsert', node('svc:keyed', 2), editor, 'k-1');
  assert.is(repeat.kind, 'replayed');
  assert.equal(repeat.body.events, first.body.events);
  assert.is(repeat.body.position, first.body.position);
  // And a key this pipeline recorded itself is answered from memory.
  const own = await send(mine, 'graph.node.upsert', node('svc:keyed', 3), editor, 'k-2');
  reads.length = 0;
  const ownRepeat = await send(mine, 'graph.node.upsert', node('svc:keyed', 3), editor, 'k-2');
  assert.equal([ownRepeat.kind, ownRepeat.body.events, ownRepeat.body.position, reads], ['replayed', own.body.events, own.body.position, []]);
  assert.is((await t.log.readStream(first.body.stream)).length, 3);
});

test('nothing to do on the remembered state is confirmed by a read before it is answered', async ({ t, reads }) => {
  const p = await pipelineOn(t.log, reads);
  await send(p, 'graph.node.upsert', node('svc:same', 1), editor);
  reads.length = 0;
  const again = await send(p, 'graph.node.upsert', node('svc:same', 1), editor);
  assert.is(again.kind, 'unchanged');
  assert.is(reads.length, 1);
});

// A policy under which a run may be canceled only while it is running: the remembered state (pending)
// would deny what the stream's current state (running) permits.
const CANCEL_WHILE_RUNNING = `
permit (principal, action, resource) when { principal.roles.contains("operator") && action != CompanyOS::Action::"run.cancel" };
permit (principal, action, resource) when { principal.roles.contains("maestro-executor") };
permit (principal, action == CompanyOS::Action::"run.cancel", resource) when { principal.roles.contains("operator") && resource.status == "running" };
`;
const PLAN = 'name: tiny\nsteps:\n  - id: a\n    action_type: manual\n    manual: { instructions: wait }\n';

test('a denial on the remembered state is decided again on the read state, and only a real denial is recorded', async ({ t, reads }) => {
  const mine = await pipelineOn(t.log, reads, CANCEL_WHILE_RUNNING);
  const executorSide = await pipelineOn(t.log, [], CANCEL_WHILE_RUNNING);
  await send(mine, 'plan.register', { region: 'us-east', source: PLAN }, operator);
  await send(mine, 'run.start', { runId: 'r-1', region: 'us-east', plan: 'tiny' }, operator); // remembered: pending
  await send(executorSide, 'run.evaluate', { runId: 'r-1', region: 'us-east' }, executor);
  await send(executorSide, 'run.admit', { runId: 'r-1', region: 'us-east', gates: [] }, executor); // now running
  const canceled = await send(mine, 'run.cancel', { runId: 'r-1', region: 'us-east', reason: 'test' }, operator);
  assert.is(canceled.kind, 'appended');
  assert.equal(canceled.body.events.map((e) => e.type).includes('run.canceled'), true);
  assert.is((await t.log.readStream(auditStream(TENANT))).length, 0, 'no denial recorded for the stale view');

  // A run that really is pending: denied, and the denial recorded once.
  await send(mine, 'run.start', { runId: 'r-2', region: 'us-east', plan: 'tiny' }, operator);
  const denied = await mine.execute('run.cancel', { runId: 'r-2', region: 'us-east', reason: 'test' }, operator, { requestId: randomUUID(), context: {} });
  assert.is(denied._tag === 'Left' ? denied.left.status : 0, 403);
  const audit = await t.log.readStream(auditStream(TENANT));
  assert.equal(audit.map((e) => e.type), ['access.denied']);
});

test.run();
