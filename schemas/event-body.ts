// Event bodies: what a decider returns and what the log gives back, before/after sealing adds the
// envelope. `{type, schemaVersion, data}` are exactly the sealed event's fields of the same names.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { JsonObject, JsonValue } from './json.js';

/** An event body in its wire form: JSON data, ready for canonicalization and sealing. */
export interface EventBody {
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: JsonObject;
}

/** Drops undefined-valued fields: JSON has no undefined, and canonical JSON must not guess. */
function toJson(value: unknown): JsonValue {
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return value as JsonValue;
}

/** Codec of one event type at one schema version; the data codec should strip unknown fields (t.exact). */
export const eventCodec = <T extends string, V extends number, D extends t.Mixed>(type: T, schemaVersion: V, data: D) =>
  t.readonly(t.exact(t.type({ type: t.literal(type), schemaVersion: t.literal(schemaVersion), data })), type);

/** A member codec; `t.Mixed` because encode is contravariant, so precise members are not subtypes of a common one. */
type EventMember = t.Mixed;

/**
 * A union of event codecs chosen by `type`, so an error names the one member that applies instead of
 * listing every member's complaint. Decodes sealed or recorded events directly: fields other than
 * type, schemaVersion and data are ignored. Encodes to `EventBody`.
 */
export function eventUnion<Ms extends readonly [EventMember, ...EventMember[]]>(
  name: string,
  members: Ms,
): t.Type<t.TypeOf<Ms[number]>, EventBody, unknown> {
  type A = t.TypeOf<Ms[number]>;
  const byType = new Map<string, EventMember>(members.map((m) => [m.name, m]));
  const typeNames = t.keyof(Object.fromEntries(members.map((m) => [m.name, null])), 'EventType');
  return new t.Type<A, EventBody, unknown>(
    name,
    (u): u is A => members.some((m) => m.is(u)),
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, `expected a ${name} object`);
      const type = (u as { type?: unknown }).type;
      const member = typeof type === 'string' ? byType.get(type) : undefined;
      if (member === undefined) return t.failure(type, t.appendContext(c, 'type', typeNames, type));
      const r = member.validate(u, c);
      return isLeft(r) ? r : t.success(r.right as A);
    },
    (a) => {
      const type = (a as { readonly type: string }).type;
      const member = byType.get(type);
      if (member === undefined) throw new TypeError(`${name}: no codec for event type ${type}`);
      return toJson(member.encode(a)) as unknown as EventBody;
    },
  );
}
