// Which conditions failed, for an admin's `?explain=true`: Cedar's own diagnostics name only the policies
// that applied, so each policy is re-evaluated on the same request in pieces. Its scope alone (a permit
// with no condition) says whether it concerns this principal, action and resource; then each `when` or
// `unless` clause alone, as the one condition of a probe permit, says what that clause evaluated to.
// A clause "failed" when it is why the request is denied: a permit's `when` false or `unless` true, a
// forbid's `when` true or `unless` false. Only for explanations, never for the decision itself.
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { ConditionOutcome, PolicyConditions } from '../../commands/authorizer.js';

export interface ParsedPolicy {
  readonly id: string;
  readonly reason: string;
  readonly json: cedar.PolicyJson;
}

export interface CedarQuery {
  readonly principal: cedar.EntityUid;
  readonly action: cedar.EntityUid;
  readonly resource: cedar.EntityUid;
  readonly context: Record<string, cedar.CedarValueJson>;
  readonly entities: cedar.EntityJson[];
}

export function policyConditions(policies: readonly ParsedPolicy[], query: CedarQuery): PolicyConditions[] {
  const out: PolicyConditions[] = [];
  for (const p of policies) {
    const scope: cedar.PolicyJson = { ...p.json, effect: 'permit', conditions: [], annotations: {} };
    if (probe(query, scope) !== true) continue;
    const conditions: ConditionOutcome[] = p.json.conditions.map((clause) => {
      const value = probe(query, { ...scope, conditions: [{ kind: 'when', body: clause.body }] });
      const met = value === 'error' ? false : clause.kind === 'when' ? value : !value;
      return { kind: clause.kind, condition: textOf(clause), value, failed: p.json.effect === 'permit' ? !met : met };
    });
    const applied = conditions.every((c) => (c.value === 'error' ? false : c.kind === 'when' ? c.value : !c.value));
    out.push({ policy: p.id, effect: p.json.effect, reason: p.reason, applied, conditions });
  }
  return out;
}

/** True when the probe permit applies, false when not, `error` when its evaluation failed. */
function probe(query: CedarQuery, policy: cedar.PolicyJson): boolean | 'error' {
  const answer = cedar.isAuthorized({ ...query, policies: { staticPolicies: { probe: policy } } });
  if (answer.type === 'failure') return 'error';
  if (answer.response.diagnostics.errors.length > 0) return 'error';
  return answer.response.decision === 'allow';
}

/** The clause as Cedar text: the probe printed, its condition cut out. */
function textOf(clause: cedar.Clause): string {
  const printed = cedar.policyToText({
    effect: 'permit', principal: { op: 'All' }, action: { op: 'All' }, resource: { op: 'All' }, conditions: [{ kind: 'when', body: clause.body }],
  });
  if (printed.type === 'failure') return '(unprintable condition)';
  const m = /when\s*\{\s*([\s\S]*?)\s*\};?\s*$/.exec(printed.text);
  return m?.[1] ?? printed.text;
}
