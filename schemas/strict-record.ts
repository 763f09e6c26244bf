// A record codec that reports every key its key codec refuses (io-ts's t.record silently drops such keys
// when the key type is a refinement, so a misspelt parameter name would vanish instead of being named).
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';

const isPlainObject = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === 'object' && u !== null && !Array.isArray(u);

export function strictRecord<V, O>(name: string, key: t.Decoder<unknown, string> & { readonly name: string }, value: t.Type<V, O, unknown>): t.Type<Readonly<Record<string, V>>, Readonly<Record<string, O>>, unknown> {
  return new t.Type<Readonly<Record<string, V>>, Readonly<Record<string, O>>, unknown>(
    name,
    (u): u is Readonly<Record<string, V>> => isPlainObject(u) && Object.entries(u).every(([k, v]) => !isLeft(key.decode(k)) && value.is(v)),
    (u, c) => {
      if (!isPlainObject(u)) return t.failure(u, c, `expected ${name}`);
      const errors: t.ValidationError[] = [];
      const out: Record<string, V> = {};
      for (const [k, v] of Object.entries(u)) {
        const at = t.appendContext(c, k, value, v);
        if (isLeft(key.decode(k))) {
          errors.push({ value: undefined, context: at, message: `expected the name to be ${key.name}` });
          continue;
        }
        const r = value.validate(v, at);
        if (isLeft(r)) errors.push(...r.left);
        else out[k] = r.right;
      }
      return errors.length > 0 ? t.failures(errors) : t.success(out);
    },
    (a) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, value.encode(v)])),
  );
}
