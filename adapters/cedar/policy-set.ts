// A Cedar policy set as text, looked at without deciding anything: its policies' ids and reasons, and
// its validation against the schema kept in the repo (commands/policies/schema.cedarschema). What a
// validator says is returned as messages a person can act on (the 422 problem of a refused set).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';

export const POLICY_SCHEMA_FILE = fileURLToPath(new URL('../../commands/policies/schema.cedarschema', import.meta.url));

export interface PolicyInSet {
  readonly id: string;
  readonly reason: string;
  readonly effect: 'permit' | 'forbid';
}

/** The policies of a set in order, with their @id (or `policy<i>`, as the authorizer names them); Left: parse errors. */
export function policiesOf(policyText: string): { readonly ok: true; readonly policies: readonly PolicyInSet[] } | { readonly ok: false; readonly errors: readonly string[] } {
  const parts = cedar.policySetTextToParts(policyText);
  if (parts.type === 'failure') return { ok: false, errors: parts.errors.map((e) => e.message) };
  const policies = parts.policies.map((text, i) => {
    const id = /@id\("([^"]+)"\)/.exec(text)?.[1] ?? `policy${i}`;
    const reason = /@reason\("([^"]+)"\)/.exec(text)?.[1] ?? id;
    const effect = /^\s*(?:@\w+\([^)]*\)\s*)*forbid\b/.test(text) ? ('forbid' as const) : ('permit' as const);
    return { id, reason, effect };
  });
  return { ok: true, policies };
}

let schemaText: string | undefined;
/** The repo's Cedar schema (read once). */
export function policySchemaText(): string {
  schemaText ??= readFileSync(POLICY_SCHEMA_FILE, 'utf8');
  return schemaText;
}

/**
 * Problems with a policy set, one line each, empty when it parses, has unique ids and validates (strict
 * mode) against the schema: `<policy id>: <validator message>`.
 */
export function policySetProblems(policyText: string, schema: string = policySchemaText()): readonly string[] {
  const parsed = policiesOf(policyText);
  if (!parsed.ok) return parsed.errors.map((m) => `parse: ${m}`);
  const seen = new Set<string>();
  const problems: string[] = [];
  const staticPolicies: Record<string, string> = {};
  const parts = cedar.policySetTextToParts(policyText);
  if (parts.type === 'failure') return parts.errors.map((e) => `parse: ${e.message}`);
  parsed.policies.forEach((p, i) => {
    if (seen.has(p.id)) problems.push(`${p.id}: duplicate policy id`);
    seen.add(p.id);
    staticPolicies[p.id] = parts.policies[i]!;
  });
  if (problems.length > 0) return problems;
  const answer = cedar.validate({ schema, policies: { staticPolicies }, validationSettings: { mode: 'strict' } });
  if (answer.type === 'failure') return answer.errors.map((e) => `schema: ${e.message}`);
  return answer.validationErrors.map((e) => `${e.policyId}: ${e.error.message}${e.error.help ? ` (${e.error.help})` : ''}`);
}

export interface PolicyChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Same @id, different text (whitespace aside). */
  readonly changed: readonly string[];
}

/** What a new text alters against an old one, by policy id: what an approver reviews. */
export function policyChanges(beforeText: string, afterText: string): PolicyChanges {
  const texts = (text: string): Map<string, string> => {
    const parts = cedar.policySetTextToParts(text);
    if (parts.type === 'failure') return new Map();
    return new Map(parts.policies.map((p, i) => [/@id\("([^"]+)"\)/.exec(p)?.[1] ?? `policy${i}`, p.replace(/\s+/g, ' ').trim()]));
  };
  const before = texts(beforeText);
  const after = texts(afterText);
  return {
    added: [...after.keys()].filter((id) => !before.has(id)),
    removed: [...before.keys()].filter((id) => !after.has(id)),
    changed: [...after.keys()].filter((id) => before.has(id) && before.get(id) !== after.get(id)),
  };
}
