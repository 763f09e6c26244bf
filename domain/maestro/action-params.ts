// A plan's parameters against the action the operator registered: checked when the plan is registered
// (plan.ts) and again before the action runs, since the catalogue may have changed since.
import { paramValueProblems, type ActionDefinition } from '../../schemas/actions.js';
import type { ParamValues } from '../../schemas/plan.js';

/** Every problem of `params` for `action`, one `params.<name>: message` line each (unknown, missing, bad). */
export function paramProblems(action: ActionDefinition, params: ParamValues): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(params)) if (!Object.hasOwn(action.params, name)) problems.push(`params.${name}: the action has no such parameter`);
  for (const [name, spec] of Object.entries(action.params)) {
    const value = Object.hasOwn(params, name) ? params[name] : spec.default;
    if (value === undefined) problems.push(`params.${name}: missing`);
    else problems.push(...paramValueProblems(name, spec, value).map((p) => `params.${name}: ${p}`));
  }
  return problems;
}
