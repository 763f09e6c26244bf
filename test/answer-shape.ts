// Whether an example answer (the OpenAPI document's) has the shape of a real one: the same keys at every
// level, the same JSON types, arrays compared by their first items. null in either matches any type (a
// field the example or the real answer happens to leave empty); the values of keys named in `freeForm`
// (a node's attributes) are compared by type only. Returns the differences, one line each.
export function shapeDifferences(example: unknown, actual: unknown, freeForm: readonly string[] = [], path = '$'): string[] {
  if (example === null || actual === null) return [];
  const kind = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v);
  if (kind(example) !== kind(actual)) return [`${path}: example is ${kind(example)}, answer is ${kind(actual)}`];
  if (Array.isArray(example) && Array.isArray(actual)) {
    return example.length === 0 || actual.length === 0 ? [] : shapeDifferences(example[0], actual[0], freeForm, `${path}[0]`);
  }
  if (typeof example !== 'object') return [];
  const e = example as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(e), ...Object.keys(a)])].sort();
  return keys.flatMap((k) =>
    !(k in e) ? [`${path}.${k}: only in the answer`]
    : !(k in a) ? [`${path}.${k}: only in the example`]
    : freeForm.includes(k) ? (kind(e[k]) === kind(a[k]) ? [] : [`${path}.${k}: example is ${kind(e[k])}, answer is ${kind(a[k])}`])
    : shapeDifferences(e[k], a[k], freeForm, `${path}.${k}`),
  );
}
