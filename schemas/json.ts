// JSON values as they travel through the log: what canonicalization, hashing and storage accept.
import * as t from 'io-ts';

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
  if (u === null || typeof u === 'boolean' || typeof u === 'string') return true;
  if (typeof u === 'number') return Number.isFinite(u);
  if (Array.isArray(u)) return u.every((x) => isJsonValue(x, depth + 1));
  if (typeof u === 'object') {
    const proto = Object.getPrototypeOf(u);
    if (proto !== Object.prototype && proto !== null) return false;
    return Object.values(u as object).every((x) => isJsonValue(x, depth + 1));
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
