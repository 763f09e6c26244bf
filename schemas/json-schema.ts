// JSON Schema (2020-12, the dialect of OpenAPI 3.1) from the io-ts codecs the server validates with, so
// the published API description cannot drift from what is enforced. io-ts's own combinators are read
// from their structure; a custom t.Type carries no structure, so where it is defined it states its
// schema once with `describedAs`. A codec with neither is an error, never a silent `{}`.
import type * as t from 'io-ts';

export type JsonSchema = { readonly [keyword: string]: unknown };

/** Describes a codec in terms of the codecs it is built from (`of` converts one, with refs and path). */
export type SchemaOf = (codec: t.Decoder<unknown, unknown>, key?: string) => JsonSchema;
export type Description = JsonSchema | ((of: SchemaOf) => JsonSchema);

const descriptions = new WeakMap<object, Description>();

/** Attaches the JSON schema of a custom codec where it is defined; returns the codec. */
export function describedAs<C extends t.Decoder<unknown, unknown>>(codec: C, description: Description): C {
  descriptions.set(codec, description);
  return codec;
}

export interface SchemaOptions {
  /** Codecs published under a name: below the root they become `{ $ref: refs.get(codec) }`. */
  readonly refs?: ReadonlyMap<t.Decoder<unknown, unknown>, string>;
}

/** The structure io-ts's combinators expose (their `_tag` and parts). */
interface Combinator {
  readonly _tag?: string;
  readonly name: string;
  readonly type?: Combinator;
  readonly types?: readonly Combinator[];
  readonly props?: Readonly<Record<string, Combinator>>;
  readonly keys?: Readonly<Record<string, unknown>>;
  readonly value?: unknown;
  readonly domain?: Combinator;
  readonly codomain?: Combinator;
}

const objectOf = (props: Readonly<Record<string, JsonSchema>>, required: readonly string[]): JsonSchema => ({
  type: 'object',
  ...(required.length > 0 ? { required } : {}),
  properties: props,
});

/** An intersection of open objects is one object; anything else stays allOf. */
function intersect(parts: readonly JsonSchema[]): JsonSchema {
  const open = parts.every((p) => p['type'] === 'object' && p['additionalProperties'] === undefined && Object.keys(p).every((k) => ['type', 'required', 'properties'].includes(k)));
  if (!open) return { allOf: parts };
  const required = parts.flatMap((p) => (p['required'] as string[] | undefined) ?? []);
  return objectOf(Object.assign({}, ...parts.map((p) => p['properties'] ?? {})), [...new Set(required)]);
}

/**
 * The JSON schema of `codec`. Throws, naming the codec and where it sits, when a part of it has no
 * description: a new custom codec must say what it accepts before it can be published.
 */
export function jsonSchemaOf(codec: t.Decoder<unknown, unknown>, options: SchemaOptions = {}): JsonSchema {
  const refs = options.refs ?? new Map();
  const convert = (c: Combinator, path: string, root: boolean): JsonSchema => {
    const ref = root ? undefined : refs.get(c as unknown as t.Decoder<unknown, unknown>);
    if (ref !== undefined) return { $ref: ref };
    const of: SchemaOf = (inner, key) => convert(inner as unknown as Combinator, key === undefined ? path : `${path}.${key}`, false);
    const described = descriptions.get(c);
    if (described !== undefined) return typeof described === 'function' ? described(of) : described;
    const props = (ps: Readonly<Record<string, Combinator>>) => Object.fromEntries(Object.entries(ps).map(([k, p]) => [k, convert(p, `${path}.${k}`, false)]));
    switch (c._tag) {
      case 'StringType':
        return { type: 'string' };
      case 'NumberType':
        return { type: 'number' };
      case 'BooleanType':
        return { type: 'boolean' };
      case 'NullType':
        return { type: 'null' };
      case 'UnknownType':
        return {};
      case 'UnknownRecordType':
        return { type: 'object' };
      case 'UnknownArrayType':
        return { type: 'array' };
      case 'LiteralType':
        return { const: c.value };
      case 'KeyofType':
        return { type: 'string', enum: Object.keys(c.keys!) };
      case 'UnionType': {
        const members = c.types!.map((m, i) => convert(m, `${path}|${i}`, false));
        const values = members.map((m) => m['const']);
        // io-ts tries members in order and takes the first that fits: anyOf, or an enum of literals.
        return members.every((m) => 'const' in m && Object.keys(m).length === 1) ? { enum: values } : { anyOf: members };
      }
      case 'IntersectionType':
        return intersect(c.types!.map((m) => convert(m, path, false)));
      case 'ArrayType':
      case 'ReadonlyArrayType':
        return { type: 'array', items: convert(c.type!, `${path}[]`, false) };
      case 'ReadonlyType':
      case 'ExactType':
      case 'StrictType':
        // t.exact strips unknown fields rather than refusing them, so the input stays an open object.
        return convert(c.type!, path, root);
      case 'InterfaceType':
        return objectOf(props(c.props!), Object.keys(c.props!));
      case 'PartialType':
        return objectOf(props(c.props!), []);
      case 'DictionaryType': {
        const keys = convert(c.domain!, `${path}{key}`, false);
        return { type: 'object', ...(keys['type'] === 'string' && Object.keys(keys).length === 1 ? {} : { propertyNames: keys }), additionalProperties: convert(c.codomain!, `${path}{}`, false) };
      }
      case 'RefinementType':
        if (c.name === 'Int') return { ...convert(c.type!, path, false), type: 'integer' };
    }
    throw new Error(`no JSON schema for codec "${c.name}" at ${path}: describe it where it is defined (describedAs in schemas/json-schema.ts)`);
  };
  const root = codec as unknown as Combinator;
  return convert(root, root.name, true);
}
