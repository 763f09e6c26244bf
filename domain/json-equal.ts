// Structural equality of JSON values, so "nothing changed" does not depend on key order:
// a source that re-sends the same attributes in another order is re-ingesting the same facts.
import type { JsonValue } from '../schemas/json.js';

export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]!));
  }
  const ka = Object.keys(a);
  const ob = b as { readonly [key: string]: JsonValue };
  if (ka.length !== Object.keys(ob).length) return false;
  const oa = a as { readonly [key: string]: JsonValue };
  return ka.every((k) => Object.hasOwn(ob, k) && jsonEqual(oa[k]!, ob[k]!));
}
