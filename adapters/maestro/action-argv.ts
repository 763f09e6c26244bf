// A registered action's argument vector for one attempt: no shell ever reads it, each placeholder is a
// whole argument, and the parameters were checked (domain/maestro/action-params.ts) before it is built.
import { IDEMPOTENCY_PLACEHOLDER, placeholderOf, type ActionDefinition } from '../../schemas/actions.js';
import type { ParamValues } from '../../schemas/plan.js';

/** The program's arguments: the template with each placeholder replaced by its (checked) value. */
export function actionArgv(action: ActionDefinition, params: ParamValues, idempotencyKey: string): readonly string[] {
  return action.args.map((arg) => {
    const name = placeholderOf(arg);
    if (name === undefined) return arg;
    if (name === IDEMPOTENCY_PLACEHOLDER) return idempotencyKey;
    const value = Object.hasOwn(params, name) ? params[name] : action.params[name]!.default;
    return String(value);
  });
}
