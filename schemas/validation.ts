// Validation building blocks shared by every schema: closed objects (unknown fields are errors, not
// silently dropped), post-decode defaults and cross-field checks, and one readable line per error
// (`path: message`) for the HTTP problems and the CLI.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { describedAs } from './json-schema.js';

/** Collapses an intersection into one object type so editors show plain shapes. */
type Simplify<T> = { readonly [K in keyof T]: T[K] };

export type ClosedOf<R extends t.Props, O extends t.Props> = Simplify<
  { [K in keyof R]: t.TypeOf<R[K]> } & { [K in keyof O]?: t.TypeOf<O[K]> }
>;
export type ClosedOutputOf<R extends t.Props, O extends t.Props> = Simplify<
  { [K in keyof R]: t.OutputOf<R[K]> } & { [K in keyof O]?: t.OutputOf<O[K]> }
>;

const isPlainObject = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

const own = (o: object, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? (o as Record<string, unknown>)[k] : undefined);

/**
 * An object codec with `required` and `optional` fields that rejects any other field, naming it.
 * Rejecting (rather than stripping, as t.exact does) tells a client about a misspelt field instead of
 * ignoring what it meant to say. Every error is reported, not just the first. Optional fields that are
 * absent or undefined are left out of the result, so decoded values never hold `undefined`.
 */
export function closedObject<R extends t.Props, O extends t.Props = {}>(
  name: string,
  required: R,
  optional?: O,
): t.Type<ClosedOf<R, O>, ClosedOutputOf<R, O>, unknown> {
  const opt: t.Props = optional ?? {};
  const known = new Set([...Object.keys(required), ...Object.keys(opt)]);
  // Computed once: decoding runs per record of 10,000-record batches.
  const all = [...Object.entries(required).map(([k, c]) => [k, c, true] as const), ...Object.entries(opt).map(([k, c]) => [k, c, false] as const)];
  const encoders = [...Object.entries(required), ...Object.entries(opt)];

  const type = new t.Type<ClosedOf<R, O>, ClosedOutputOf<R, O>, unknown>(
    name,
    (u): u is ClosedOf<R, O> =>
      isPlainObject(u) && Object.keys(u).every((k) => known.has(k)) && all.every(([k, c, req]) => (!req && own(u, k) === undefined) || c.is(own(u, k))),
    (u, c) => {
      if (!isPlainObject(u)) return t.failure(u, c, `expected a ${name} object`);
      const errors: t.ValidationError[] = [];
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(u)) {
        if (!known.has(k)) errors.push({ value: own(u, k), context: t.appendContext(c, k, t.never, own(u, k)), message: 'unknown field' });
      }
      for (const [k, codec, req] of all) {
        const v = own(u, k);
        if (!req && v === undefined) continue;
        const r = codec.validate(v, t.appendContext(c, k, codec, v));
        if (isLeft(r)) errors.push(...r.left);
        else out[k] = r.right;
      }
      return errors.length > 0 ? t.failures(errors) : t.success(out as ClosedOf<R, O>);
    },
    (a) => {
      const out: Record<string, unknown> = {};
      for (const [k, codec] of encoders) {
        const v = (a as Record<string, unknown>)[k];
        if (v !== undefined) out[k] = codec.encode(v);
      }
      return out as ClosedOutputOf<R, O>;
    },
  );
  return describedAs(type, (of) => ({
    type: 'object',
    ...(Object.keys(required).length > 0 ? { required: Object.keys(required) } : {}),
    properties: Object.fromEntries(encoders.map(([k, codec]) => [k, of(codec, k)])),
    additionalProperties: false,
  }));
}

/**
 * A codec that decodes with `codec`, then completes or checks the value with `complete`: defaults for
 * omitted fields, rules across fields. The completed value is still a valid input, so encoding is
 * `codec`'s. Errors from `complete` should use `fieldContext` so they name the field.
 */
export function completed<A, O, B extends A>(
  codec: t.Type<A, O, unknown>,
  complete: (a: A, c: t.Context) => t.Validation<B>,
  name: string = codec.name,
): t.Type<B, O, unknown> {
  // The completed value is a valid input, so the input's schema is `codec`'s.
  return describedAs(new t.Type<B, O, unknown>(
    name,
    (u): u is B => codec.is(u) && !isLeft(complete(u, [])),
    (u, c) => {
      const r = codec.validate(u, c);
      return isLeft(r) ? r : complete(r.right, c);
    },
    (b) => codec.encode(b),
  ), (of) => of(codec));
}

/** The context of field `key` below `c`, for errors raised after decoding. */
export const fieldContext = (c: t.Context, key: string, decoder: t.Decoder<unknown, unknown>, value: unknown): t.Context =>
  t.appendContext(c, key, decoder, value);

interface Wrapper {
  readonly _tag?: string;
  readonly type?: unknown;
  readonly keys?: Record<string, unknown>;
  readonly value?: unknown;
}

/** Unions and intersections put their member index ('0', '1') into the context; it is not a field. */
function isCombinator(type: unknown): boolean {
  let current = type as Wrapper | undefined;
  // readonly/exact/refinement wrappers validate with their parent's context; look through them.
  while (current?._tag === 'ReadonlyType' || current?._tag === 'ExactType' || current?._tag === 'RefinementType') {
    current = current.type as Wrapper | undefined;
  }
  return current?._tag === 'IntersectionType' || current?._tag === 'UnionType';
}

function pathOf(context: t.Context): string {
  let path = '';
  for (let i = 1; i < context.length; i++) {
    if (isCombinator(context[i - 1]!.type)) continue;
    const key = context[i]!.key;
    path = /^\d+$/.test(key) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
  }
  return path === '' ? '(root)' : path;
}

/** What a codec accepts, in words: enumerations list their members. */
function describe(type: unknown): string {
  const w = type as Wrapper & { name?: string };
  if (w._tag === 'KeyofType' && w.keys !== undefined) {
    const keys = Object.keys(w.keys);
    const list = keys.length <= 30 ? keys.join(', ') : `${keys.slice(0, 30).join(', ')}, …`;
    return /^[A-Za-z]\w*$/.test(w.name ?? '') ? `${w.name} (one of ${list})` : `one of ${list}`;
  }
  if (w._tag === 'LiteralType') return JSON.stringify(w.value);
  return w.name ?? 'a valid value';
}

/** A short rendering of the offending value, so a huge body cannot flood an error message. */
function show(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * One line per error: `path: message`, e.g.
 * `provenance.observedAt: expected Timestamp (RFC 3339 with zone), got "yesterday"`,
 * `provenance.sourceSystem: missing, expected ...`, `provenance.colour: unknown field`.
 * Duplicates (a union reports one error per member) are dropped; order is kept.
 */
export function formatValidationErrors(errors: t.Errors): string[] {
  const lines = new Set<string>();
  for (const e of errors) {
    const path = pathOf(e.context);
    const leaf = e.context[e.context.length - 1]?.type;
    let message: string;
    if (e.message !== undefined) {
      // Codecs elsewhere may already name the field in their message; do not say it twice.
      if (e.message.startsWith(`${path}:`)) {
        lines.add(e.message);
        continue;
      }
      message = e.message.startsWith('expected') && e.value !== undefined ? `${e.message}, got ${show(e.value)}` : e.message;
    } else if (e.value === undefined) {
      message = `missing, expected ${describe(leaf)}`;
    } else {
      message = `expected ${describe(leaf)}, got ${show(e.value)}`;
    }
    lines.add(`${path}: ${message}`);
  }
  return [...lines];
}
