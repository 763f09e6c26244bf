import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import { policyActions } from '../../commands/policy-actions.js';
import { commandHandlers, evolveRun, initialRunState } from '../../domain/index.js';
import { COMMAND_EXAMPLES } from '../http/openapi-examples.js';
import { admitted, canary } from '../../test/maestro-fixtures.js';
import { policiesOf, policyChanges, policySchemaText, policySetProblems } from './policy-set.js';

const DEFAULT = fileURLToPath(new URL('../../commands/policies/default.cedar', import.meta.url));
const policySet = suite('policy set and schema');

policySet('the default policy set validates against the schema in the repo', async () => {
  assert.equal(policySetProblems(await readFile(DEFAULT, 'utf8')), []);
});

policySet('every policy of the default set has an @id and a @reason', async () => {
  const parsed = policiesOf(await readFile(DEFAULT, 'utf8'));
  assert.ok(parsed.ok);
  if (!parsed.ok) return;
  assert.ok(parsed.policies.length >= 18);
  for (const p of parsed.policies) {
    assert.not.match(p.id, /^policy\d+$/, `a policy without @id: ${p.id}`);
    assert.is.not(p.reason, p.id, `${p.id} has no @reason`);
  }
  assert.equal(parsed.policies.filter((p) => p.effect === 'forbid').map((p) => p.id).slice(0, 2), ['tenant-isolation', 'write-region-match']);
});

policySet('the validator names an unknown attribute, an unknown action, a parse error and a repeated id', () => {
  const typo = policySetProblems('@id("x")\npermit (principal, action, resource) when { principal.rolez.contains("a") };');
  assert.is(typo.length, 1);
  assert.match(typo[0]!, /^x: .*attribute `rolez` on entity type `CompanyOS::Principal` not found/);
  const action = policySetProblems('@id("y") permit (principal, action == CompanyOS::Action::"graph.nodes.upsert", resource);');
  assert.match(action[0]!, /^y: .*unrecognized action `CompanyOS::Action::"graph\.nodes\.upsert"`/);
  assert.match(policySetProblems('@id("z") permit (principal, action, resource) when { principal.roles.contains(1 };')[0]!, /^parse: /);
  assert.equal(policySetProblems('@id("d") permit (principal, action, resource);\n@id("d") forbid (principal, action, resource);'), ['d: duplicate policy id']);
});

policySet('the schema declares every action of the code, in its groups, on its resource types', () => {
  const json = cedar.schemaToJson(policySchemaText());
  assert.is(json.type, 'success');
  if (json.type !== 'success') return;
  const declared = (json.json as Record<string, { actions: Record<string, { memberOf?: { id: string }[]; appliesTo?: { resourceTypes?: string[] } }> }>)['CompanyOS']!.actions;
  for (const a of policyActions()) {
    const d = declared[a.action];
    assert.ok(d !== undefined, `the schema does not declare ${a.action}`);
    assert.equal(d!.memberOf?.map((m) => m.id), [a.groups[0]], `${a.action}: groups`);
    assert.equal([...(d!.appliesTo?.resourceTypes ?? [])].sort(), [...a.resourceTypes].sort(), `${a.action}: resource types`);
    // Each group's parent is the next group, as the authorizer builds the hierarchy.
    for (const [i, g] of a.groups.entries()) assert.equal(declared[g]?.memberOf?.map((m) => m.id) ?? [], a.groups.slice(i + 1, i + 2), `group ${g}`);
  }
});

policySet('policyChanges names the policies a new text adds, removes and changes', async () => {
  const text = await readFile(DEFAULT, 'utf8');
  const next = text
    .replace(/@id\("editor-graph-write"\)[\s\S]*?;\n/, '')
    .replace('principal.roles.contains("service") };', 'principal.roles.contains("service") && principal has region };')
    .concat('\n@id("viewer-nothing")\nforbid (principal, action in CompanyOS::Action::"write", resource) when { principal.roles.contains("viewer") };\n');
  assert.equal(policyChanges(text, next), { added: ['viewer-nothing'], removed: ['editor-graph-write'], changed: ['service-graph-ingest'] });
  assert.equal(policyChanges(text, text.replaceAll('\n', '\n\n')), { added: [], removed: [], changed: [] });
});

policySet('the entities the pipeline gives Cedar conform to the schema: every command resource, a run step, the principal', () => {
  const schema = policySchemaText();
  const conforms = (type: string, attrs: Record<string, unknown>, what: string) => {
    const answer = cedar.checkParseEntities({ entities: [{ uid: { type: `CompanyOS::${type}`, id: 'x' }, attrs: attrs as Record<string, cedar.CedarValueJson>, parents: [] }], schema });
    assert.is(answer.type, 'success', `${what}: ${answer.type === 'failure' ? answer.errors.map((e) => e.message).join('; ') : ''}`);
  };
  for (const [type, handler] of commandHandlers) {
    const decoded = handler.codec.decode(COMMAND_EXAMPLES[type]);
    assert.ok(!isLeft(decoded), type);
    if (isLeft(decoded)) continue;
    conforms(handler.resourceType, { ...handler.resourceAttributes(decoded.right, handler.initialState), tenant: 'acme' }, type);
  }
  // A run past admission, asked about a step: the step's approval facts.
  const run = admitted(canary()).reduce(evolveRun, initialRunState);
  const approve = commandHandlers.get('run.step.approve')!;
  const steps = Object.keys((run as { steps?: Record<string, unknown> }).steps ?? {});
  assert.ok(steps.length > 0);
  for (const stepId of steps) {
    const attrs = approve.resourceAttributes({ runId: 'run-1', region: 'us-east', stepId }, run);
    assert.ok('step' in attrs, stepId);
    conforms('Run', { ...attrs, tenant: 'acme' }, `run.step.approve ${stepId}`);
  }
  conforms('Principal', { id: 'user:alice', tenant: 'acme', roles: ['admin'], region: 'eu-west', authTime: 1_700_000_000 }, 'principal');
  conforms('Principal', { id: 'user:alice', tenant: 'acme', roles: [] }, 'principal without region');
});

policySet.run();
