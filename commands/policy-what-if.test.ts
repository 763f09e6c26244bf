// What-if over the demo tenant's history: a candidate set without `editor` graph writes flips exactly the
// recorded edits whose only permit was editor-graph-write (the expected set read from the log's sealed
// decisions, not re-decided), a command's events counted as one decision, an admin-editor's edits stay allowed, a viewer's sealed denial flips to allow
// under a set that lets viewers write, a decision sealed without its input is counted as not reproducible,
// and a bounded read resumed from its `next` finds the same flips.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { seedDemoTenant, DEMO_COMMANDS, DEMO_REGION, DEMO_TENANT } from '../bin/demo-tenant.js';
import { fromRecordedEvent } from '../ledger/log-codec.js';
import { tenantStreamPrefix } from '../schemas/streams.js';
import type { SealedEvent } from '../schemas/sealed-event.js';
import { openTestApi, type TestApi } from '../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../test/logs.js';
import type { Principal } from './authorizer.js';
import { eventMeta } from './envelope.js';
import { whatIf, formatWhatIf, type WhatIfReport } from './policy-what-if.js';
import { appendSealed, sealOntoTail } from './stream-writer.js';

const DEFAULT_TEXT = await readFile(fileURLToPath(new URL('./policies/default.cedar', import.meta.url)), 'utf8');
const EDITOR_POLICY = /@id\("editor-graph-write"\)[\s\S]*?;\n/;
const WITHOUT_EDITORS = DEFAULT_TEXT.replace(EDITOR_POLICY, '');
const VIEWERS_NOT_EDITORS = DEFAULT_TEXT.replace(
  EDITOR_POLICY,
  '@id("viewer-graph-write")\n@reason("viewers may change the provenance graph")\npermit (principal, action in CompanyOS::Action::"graph.write", resource)\nwhen { principal.roles.contains("viewer") };\n',
);

interface Ctx {
  memory: TestLog;
  api: TestApi;
}
const test = suite<Ctx>('policy what-if', {} as Ctx);

const person = (id: string, roles: string[]): Principal => ({ id, tenant: DEMO_TENANT, roles, region: DEMO_REGION, authTime: undefined, authn: 'jwt' });
const upsert = (id: string, note: string) => ({
  id,
  type: 'Service',
  region: DEMO_REGION,
  attributes: { note },
  provenance: { sourceSystem: 'test', observedAt: '2026-01-05T10:00:00Z', reason: 'edit', externalId: `${id}:${note}` },
});

test.before(async (ctx) => {
  ctx.memory = await openMemoryLog();
  ctx.api = await openTestApi(ctx.memory.log);
  const { pipeline, keyring } = ctx.api.system;
  await seedDemoTenant(pipeline);
  const run = async (who: Principal, body: unknown, key?: string) => {
    return pipeline.execute('graph.node.upsert', body, who, { requestId: `r-${Math.random()}`, context: {}, ...(key === undefined ? {} : { idempotencyKey: key }) });
  };
  const eve = person('user:eve', ['editor']);
  for (const [i, id] of ['service:search', 'service:cart', 'service:checkout'].entries()) {
    const out = await run(eve, upsert(id, `eve-${i}`), i === 0 ? 'eve-key-0' : undefined);
    assert.is(out._tag, 'Right');
  }
  // A repeat answers with the decision's reference, not what it saw.
  const again = await run(eve, upsert('service:search', 'eve-0'), 'eve-key-0');
  assert.ok(again._tag === 'Right' && again.right.kind === 'replayed');
  if (again._tag === 'Right') assert.equal(Object.keys(again.right.body.decision ?? {}).sort(), ['determiningPolicies', 'id', 'policyVersion']);
  const now = new Date().toISOString();
  // One editor decision that wrote two events (one append): one decision, one flip, on any page boundary.
  const pair = sealOntoTail(
    {
      stream: `${DEMO_TENANT}/pair/one`,
      tail: undefined,
      bodies: [0, 1].map((i) => ({ type: 'pair.recorded', schemaVersion: 1, data: { i } })),
      ids: ['00000000-0000-4000-8000-000000000018', '00000000-0000-4000-8000-000000000019'],
      tenant: DEMO_TENANT,
      region: DEMO_REGION,
      sealedAt: now,
      meta: eventMeta({
        principal: eve,
        request: { requestId: 'pair', context: {} },
        decision: {
          id: 'pair-decision',
          allowed: true,
          policyVersion: 'x'.repeat(64),
          determiningPolicies: ['editor-graph-write'],
          explanation: 'allowed',
          input: { principal: eve, action: 'graph.node.upsert', actionGroups: ['graph.write', 'write'], resource: { type: 'GraphNode', id: 'pair', attributes: { tenant: DEMO_TENANT, region: DEMO_REGION } }, context: {} },
        },
        now,
      }),
    },
    keyring.active,
  );
  await appendSealed(ctx.memory.log, undefined, pair);
  // An admin who is also an editor: admin-all permits too, so no candidate here flips it.
  assert.is((await run(person('user:ann', ['admin', 'editor']), upsert('service:ledger', 'ann')))._tag, 'Right');
  // A viewer's attempt: denied, sealed as access.denied on demo/audit.
  const denied = await run(person('user:vic', ['viewer']), upsert('service:search', 'vic'));
  assert.is(denied._tag, 'Left');
  // A decision sealed before inputs were (no meta.decision.input), by an editor.
  const legacy = sealOntoTail(
    {
      stream: `${DEMO_TENANT}/legacy/one`,
      tail: undefined,
      bodies: [{ type: 'legacy.recorded', schemaVersion: 1, data: {} }],
      ids: ['00000000-0000-4000-8000-000000000017'],
      tenant: DEMO_TENANT,
      region: DEMO_REGION,
      sealedAt: now,
      meta: eventMeta({
        principal: eve,
        request: { requestId: 'legacy', context: {} },
        decision: { id: 'legacy-decision', allowed: true, policyVersion: 'x'.repeat(64), determiningPolicies: ['editor-graph-write'], explanation: 'allowed' },
        now,
      }),
    },
    keyring.active,
  );
  await appendSealed(ctx.memory.log, undefined, legacy);
});
test.after(async (ctx) => {
  await ctx.api.close();
  await ctx.memory.close();
});

/** The demo tenant's sealed events, read straight from the log. */
async function demoEvents(memory: TestLog): Promise<SealedEvent[]> {
  const records = await memory.log.readAll({ filter: { streamPrefixes: [tenantStreamPrefix(DEMO_TENANT)] } });
  return records.map((r) => {
    const e = fromRecordedEvent(r);
    if (e._tag === 'Left') throw new Error(e.left);
    return e.right;
  });
}

test('a decision seals what it saw: the principal, the action and its groups, the resource, the context', async ({ memory }) => {
  const eve = (await demoEvents(memory)).find((e) => e.meta.actor.id === 'user:eve' && e.meta.decision.input !== undefined)!;
  const input = eve.meta.decision.input!;
  assert.equal(input.principal, { id: 'user:eve', tenant: DEMO_TENANT, roles: ['editor'], region: DEMO_REGION });
  assert.is(input.action, 'graph.node.upsert');
  assert.equal(input.actionGroups, ['graph.write', 'write']);
  assert.is(input.resource.type, 'GraphNode');
  assert.is(input.resource.attributes['tenant'], DEMO_TENANT);
  assert.is(input.resource.attributes['region'], DEMO_REGION);
});

test('without editor graph writes: exactly the recorded edits whose only permit was editor-graph-write flip to deny', async ({ memory }) => {
  const events = await demoEvents(memory);
  // Independently of re-deciding: what the log says each allowed decision rested on.
  const expected = new Set(
    events
      .filter((e) => e.type !== 'access.denied' && e.meta.decision.input !== undefined && JSON.stringify(e.meta.decision.determiningPolicies) === '["editor-graph-write"]')
      .map((e) => e.meta.decision.id),
  );
  assert.is(expected.size, 4);
  const byEve = new Set(events.filter((e) => e.meta.actor.id === 'user:eve' && e.meta.decision.input !== undefined).map((e) => e.meta.decision.id));
  assert.equal(expected, byEve);

  const report = await whatIf(memory.log, WITHOUT_EDITORS, { tenant: DEMO_TENANT });
  assert.equal(new Set(report.flips.map((f) => f.decisionId)), expected);
  assert.is(report.flips.length, expected.size);
  for (const f of report.flips) assert.equal([f.was, f.now, f.before, f.after, f.action], ['allow', 'deny', ['editor-graph-write'], [], 'graph.node.upsert']);
  assert.equal(report.byAction, [{ action: 'graph.node.upsert', toDeny: 4, toAllow: 0 }]);
  assert.equal(report.byPolicy, [{ was: 'allow', now: 'deny', before: ['editor-graph-write'], after: [], count: 4 }]);
  assert.is(report.notReproducible, 1);
  // The seed's service commands, eve's 3 and her two-event one, ann's 1, vic's denial: all re-decided; the legacy one is not.
  assert.is(report.reDecided, DEMO_COMMANDS.length + 6);
  assert.is(report.decisions, DEMO_COMMANDS.length + 7);
  assert.is(report.next, undefined);
  const text = formatWhatIf(report).join('\n');
  assert.match(text, /4 would flip/);
  assert.match(text, /1 not reproducible/);
  assert.match(text, /graph\.node\.upsert: 4 allow → deny/);
});

test('a set that lets viewers write instead: the sealed denial flips to allow, the editors to deny', async ({ memory }) => {
  const report = await whatIf(memory.log, VIEWERS_NOT_EDITORS, { tenant: DEMO_TENANT });
  const toAllow = report.flips.filter((f) => f.now === 'allow');
  assert.is(toAllow.length, 1);
  assert.equal([toAllow[0]!.principal, toAllow[0]!.before, toAllow[0]!.after], [{ id: 'user:vic', roles: ['viewer'] }, [], ['viewer-graph-write']]);
  assert.is(report.flips.filter((f) => f.now === 'deny').length, 4);
  assert.equal(report.byAction, [{ action: 'graph.node.upsert', toDeny: 4, toAllow: 1 }]);
});

test('the set in force flips nothing; a range before any decision holds none', async ({ memory }) => {
  const same = await whatIf(memory.log, DEFAULT_TEXT, { tenant: DEMO_TENANT });
  assert.equal(same.flips, []);
  const none = await whatIf(memory.log, WITHOUT_EDITORS, { tenant: DEMO_TENANT, to: '2000-01-01T00:00:00Z' });
  assert.equal([none.decisions, none.flips.length], [0, 0]);
});

test('a bounded read says where to go on; the pages together find the same flips', async ({ memory }) => {
  const whole = await whatIf(memory.log, WITHOUT_EDITORS, { tenant: DEMO_TENANT });
  const flips: string[] = [];
  let after: bigint | undefined;
  let pages = 0;
  let report: WhatIfReport;
  do {
    report = await whatIf(memory.log, WITHOUT_EDITORS, { tenant: DEMO_TENANT, maxEvents: 4, ...(after === undefined ? {} : { after }) });
    flips.push(...report.flips.map((f) => f.decisionId));
    after = report.next === undefined ? undefined : BigInt(report.next);
    pages++;
  } while (after !== undefined);
  assert.ok(pages >= 7, `${pages} pages`);
  assert.equal(flips, whole.flips.map((f) => f.decisionId));
  // Every boundary, including one between the two events of one decision: it is counted once.
  const events = await demoEvents(memory);
  const pairAt = events.findIndex((e) => e.meta.decision.id === 'pair-decision');
  const before = await whatIf(memory.log, WITHOUT_EDITORS, { tenant: DEMO_TENANT, maxEvents: pairAt + 1 });
  assert.is(before.eventsRead, pairAt + 2);
  assert.ok(before.flips.some((f) => f.decisionId === 'pair-decision'));
  const rest = await whatIf(memory.log, WITHOUT_EDITORS, { tenant: DEMO_TENANT, after: BigInt(before.next!) });
  assert.not.ok(rest.flips.some((f) => f.decisionId === 'pair-decision'));
  assert.is(before.flips.length + rest.flips.length, whole.flips.length);
});

test.run();
