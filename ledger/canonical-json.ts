// RFC 8785 JSON Canonicalization Scheme (JCS): the one byte form of a JSON value that event hashes
// are computed over, so any verifier in any language reproduces the same hash.
import type { JsonValue } from '../schemas/json.js';

// In a `u` regex a surrogate range only matches unpaired halves (pairs are read as one code point).
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
// Without `u`, any surrogate matches, paired or not: anything needing escaping or a closer look.
const NEEDS_CARE = /[\u0000-\u001f"\\\uD800-\uDFFF]/;

/** The JCS form of `value`. Object properties whose value is `undefined` are omitted, as JSON.stringify does. */
export function canonicalize(value: JsonValue): string {
  return canonicalizeUnknown(value);
}

/** UTF-8 bytes of the JCS form: what gets hashed. */
export function canonicalBytes(value: JsonValue): Uint8Array {
  return Buffer.from(canonicalizeUnknown(value), 'utf8');
}

/**
 * Same as `canonicalize`, for values typed loosely (such as io-ts types with optional fields, which
 * TypeScript will not accept as JsonValue). Throws on anything that is not JSON, naming where. `omit`: keys
 * of the top-level object left out, as if they were not there (an event's seal, which its hash does not
 * cover: written around, not copied away).
 */
export function canonicalizeUnknown(value: unknown, omit?: ReadonlySet<string>): string {
  try {
    return omit !== undefined && typeof value === 'object' && value !== null && !Array.isArray(value) ? writeObject(value, omit) : write(value);
  } catch (err) {
    if (err instanceof NotJson) throw new TypeError(`canonical JSON: ${err.problem} at $${err.path.reverse().join('')}`);
    throw err;
  }
}

/** Carries the path up as the stack unwinds, so the hot path never builds path strings. */
class NotJson extends Error {
  readonly path: string[] = [];
  constructor(readonly problem: string) {
    super(problem);
  }
}

function write(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return writeString(value);
    case 'number':
      // ES Number-to-String is exactly the JCS number form; -0 prints as 0 as JCS requires.
      if (!Number.isFinite(value)) throw new NotJson('non-finite number');
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const item: unknown = value[i];
          try {
            // JSON.stringify would turn these into null, which would hash a value nobody wrote.
            if (item === undefined) throw new NotJson('undefined array element');
            out += write(item);
          } catch (err) {
            if (err instanceof NotJson) err.path.push(`[${i}]`);
            throw err;
          }
        }
        return out + ']';
      }
      return writeObject(value, undefined);
    }
    default:
      throw new NotJson(`${typeof value} is not a JSON value`);
  }
}

function writeObject(value: object, omit: ReadonlySet<string> | undefined): string {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    // Dates, Maps, class instances: their JSON form depends on toJSON and would not round-trip.
    throw new NotJson('not a plain object');
  }
  const obj = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units, which is the order JCS prescribes.
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = obj[key];
    if (v === undefined || omit?.has(key) === true) continue;
    if (!first) out += ',';
    first = false;
    try {
      out += writeString(key);
      out += ':';
      out += write(v);
    } catch (err) {
      if (err instanceof NotJson) err.path.push(`.${key}`);
      throw err;
    }
  }
  return out + '}';
}

function writeString(s: string): string {
  // Fast path: most strings (keys, ids, timestamps) need no escaping and contain no surrogates at all.
  if (!NEEDS_CARE.test(s)) return '"' + s + '"';
  // JCS input must be I-JSON; a lone surrogate has no UTF-8 form, and other JCS implementations
  // would reject or replace it, producing a different hash. Refuse rather than seal ambiguity.
  if (LONE_SURROGATE.test(s)) throw new NotJson('lone surrogate in string');
  // With well-formed input, JSON.stringify's escaping (\b \t \n \f \r \" \\, other C0 as \u00xx,
  // everything else literal) is exactly JCS's.
  return JSON.stringify(s);
}
