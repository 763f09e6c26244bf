// JSON as it arrives from outside (HTTP bodies, NATS payloads): parsed only when it nests at most
// MAX_JSON_DEPTH levels, and accepted only when every key and string is text the stores can hold and
// every number is finite.
// The depth is measured on the text before parsing, without recursion, so no later recursive walk
// (validation, canonicalization, error rendering) can overflow the stack on a 10,000-deep array.
import { unstorableText } from './primitives.js';

/** Deepest nesting of arrays and objects a body may have; free-form values (JsonValueC) allow 64 below that. */
export const MAX_JSON_DEPTH = 128;

/** Keys refused in every object: assigning `__proto__` replaces an object's prototype instead of adding a field. */
const REFUSED_KEY = '__proto__';

export type JsonInput =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: 'malformed' | 'too-deep' | 'unstorable'; readonly detail: string };

/** The deepest nesting of `[` and `{` outside strings, scanning stops as soon as it exceeds `limit`. */
export function nestingDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return deepest;
}

/**
 * Where in `value` a key, string or number cannot be stored (`__proto__` keys, NUL, lone surrogates,
 * numbers that overflowed to Infinity), as `path: why`, or undefined. Iterative, so safe at any depth.
 */
export function findUnstorable(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const why = unstorableText(v);
      if (why !== undefined) return `${path || '(root)'}: the string ${why}`;
    } else if (typeof v === 'number') {
      // JSON.parse reads 1e400 as Infinity, which JSON.stringify would then write as null.
      if (!Number.isFinite(v)) return `${path || '(root)'}: the number is beyond the range of a 64-bit float`;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
    } else if (typeof v === 'object' && v !== null) {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
        const at = path === '' ? name : `${path}.${name}`;
        if (key === REFUSED_KEY) return `${at}: "__proto__" is not accepted as a key`;
        const why = unstorableText(key);
        if (why !== undefined) return `${at}: the key ${why}`;
        stack.push([(v as Record<string, unknown>)[key], at]);
      }
    }
  }
  return undefined;
}

/** Parses JSON from outside: depth first, then syntax, then every key and string. */
export function parseJsonInput(text: string): JsonInput {
  if (nestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    return { ok: false, reason: 'too-deep', detail: `the JSON nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: 'malformed', detail: `the body is not valid JSON: ${(error as Error).message}` };
  }
  const unstorable = findUnstorable(value);
  return unstorable === undefined ? { ok: true, value } : { ok: false, reason: 'unstorable', detail: unstorable };
}
