// A plan as its author writes it: `mcplan.yaml` text parsed and checked against Maestro's rules, and the
// `plan.register` codec that does so while decoding the command, so a bad plan is one 422 naming every
// problem. It lives here rather than beside schemas/yaml-input.ts because it needs the rules
// (plan-rules.ts), and schemas/ does not import the domain; the YAML grammar itself stays in schemas/.
import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { findUnstorable } from '../../schemas/json-input.js';
import { describedAs } from '../../schemas/json-schema.js';
import { PlanRegisterBody, PlanSource, type PlanRegister as PlanRegisterCommand, type PlanSpec } from '../../schemas/plan.js';
import { unstorableText } from '../../schemas/primitives.js';
import { formatValidationErrors } from '../../schemas/validation.js';
import { parseYamlInput } from '../../schemas/yaml-input.js';
import { CheckedPlanSpec } from './plan-rules.js';

/** Parses `mcplan.yaml` (YAML 1.2, so JSON too) and checks it; Left lists every problem, one per line. */
export function parsePlanYaml(source: string): Either<readonly string[], PlanSpec> {
  // The source is sealed into the log as it is, and YAML escapes ("\0", "\ud800") can make unstorable strings.
  const unstorableSource = unstorableText(source);
  if (unstorableSource !== undefined) return left([`source: the text ${unstorableSource}`]);
  const parsed = parseYamlInput(source);
  if (isLeft(parsed)) return parsed;
  const raw = parsed.right;
  const unstorable = findUnstorable(raw);
  if (unstorable !== undefined) return left([unstorable]);
  const decoded = CheckedPlanSpec.decode(raw);
  return isLeft(decoded) ? left(formatValidationErrors(decoded.left)) : right(decoded.right);
}

/** `plan.register`: the body's fields, then its source parsed and checked; the source's problems sit at `source`. */
export type PlanRegister = PlanRegisterCommand;
export const PlanRegister = new t.Type<PlanRegister, t.OutputOf<typeof PlanRegisterBody>, unknown>(
  'PlanRegister',
  (u): u is PlanRegister => PlanRegisterBody.is(u) && CheckedPlanSpec.is((u as { spec?: unknown }).spec),
  (u, c) => {
    const fields = PlanRegisterBody.validate(u, c);
    if (isLeft(fields)) return fields;
    const parsed = parsePlanYaml(fields.right.source);
    if (isLeft(parsed)) {
      const at = t.appendContext(c, 'source', PlanSource, fields.right.source);
      return t.failures(parsed.left.map((message) => ({ value: undefined, context: at, message })));
    }
    return t.success({ ...fields.right, spec: parsed.right });
  },
  (a) => PlanRegisterBody.encode(a),
);
describedAs(PlanRegister, (of) => of(PlanRegisterBody));
