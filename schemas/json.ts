// JSON values as they travel through the log: what canonicalization, hashing and storage accept.
import * as t from 'io-ts';
import { isStorableText } from './primitives.js';
import { describedAs } from './json-schema.js';

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

export type JsonObject = { readonly [key: string]: JsonValue };

const isJsonValue = (u: unknown, depth = 0): u is JsonValue => {
  if (depth > 64) return false;
  if (u === null || typeof u === 'boolean') return true;
  if (typeof u === 'string') return isStorableText(u);
  if (typeof u === 'number') return Number.isFinite(u);
  if (Array.isArray(u)) return u.every((x) => isJsonValue(x, depth + 1));
  if (typeof u === 'object') {
    const proto = Object.getPrototypeOf(u);
    if (proto !== Object.prototype && proto !== null) return false;
    // Keys must be storable too; `__proto__` would replace the prototype of any copy made by assignment.
    return Object.entries(u as object).every(([k, x]) => k !== '__proto__' && isStorableText(k) && isJsonValue(x, depth + 1));
  }
  return false;
};

/** Any finite JSON value, at most 64 levels deep. */
export const JsonValueC = new t.Type<JsonValue, JsonValue, unknown>(
  'JsonValue',
  (u): u is JsonValue => isJsonValue(u),
  (u, c) => (isJsonValue(u) ? t.success(u) : t.failure(u, c, 'expected a JSON value')),
  t.identity,
);
describedAs(JsonValueC, { description: 'any JSON value (numbers finite), at most 64 levels deep' });

/** A JSON object (not an array, not null). */
export const JsonObjectC = new t.Type<JsonObject, JsonObject, unknown>(
  'JsonObject',
  (u): u is JsonObject => typeof u === 'object' && u !== null && !Array.isArray(u) && isJsonValue(u),
  (u, c) =>
    typeof u === 'object' && u !== null && !Array.isArray(u) && isJsonValue(u)
      ? t.success(u as JsonObject)
      : t.failure(u, c, 'expected a JSON object'),
  t.identity,
);
describedAs(JsonObjectC, { type: 'object', description: 'a JSON object, at most 64 levels deep' });
