// Reads the operator's actions file (COMPANYOS_ACTIONS_FILE) from its text: YAML 1.2 (so JSON too),
// decoded by the codec in schemas/actions.ts; the checks against this machine are action-catalogue.ts.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { parseYamlInput } from '../../schemas/yaml-input.js';
import { ActionsFile, type ActionCatalogue } from '../../schemas/actions.js';
import { formatValidationErrors } from '../../schemas/validation.js';

/** Parses an actions file (YAML 1.2, so JSON too); Left lists every problem, one `path: message` per line. */
export function parseActionsFile(source: string): Either<readonly string[], ActionCatalogue> {
  const raw = parseYamlInput(source);
  if (isLeft(raw)) return raw;
  const decoded = ActionsFile.decode(raw.right);
  if (isLeft(decoded)) return left(formatValidationErrors(decoded.left));
  return right(new Map(Object.entries(decoded.right.actions)));
}
