// Turns io-ts validation errors into one short line naming the failing field path (e.g. meta.actor.id),
// for operators reading verification reports and config errors.
import type * as t from 'io-ts';

interface Wrapper {
  readonly _tag?: string;
  readonly type?: unknown;
}

/** `<path> (expected <type>)` (or the codec's own message) for the first error; `<root>` stands for the value itself. */
export function describeFirstError(errors: t.Errors, root: string): string {
  const first = errors[0];
  if (first === undefined) return `${root} (invalid)`;
  const ctx = first.context;
  const parts: string[] = [];
  for (let i = 1; i < ctx.length; i++) {
    // Intersection and union members appear in the context as '0', '1', ...: they are not fields.
    if (isCombinator(ctx[i - 1]!.type)) continue;
    parts.push(ctx[i]!.key);
  }
  const path = parts.length === 0 ? root : parts.reduce((p, k) => (/^\d+$/.test(k) ? `${p}[${k}]` : p === '' ? k : `${p}.${k}`), '');
  if (first.message !== undefined) return `${path} (${first.message})`;
  return `${path} (expected ${ctx[ctx.length - 1]?.type.name ?? 'a valid value'})`;
}

function isCombinator(type: unknown): boolean {
  let current = type as Wrapper | undefined;
  // readonly/exact/refinement wrappers validate with their parent's context; look through them.
  while (current?._tag === 'ReadonlyType' || current?._tag === 'ExactType' || current?._tag === 'RefinementType') {
    current = current.type as Wrapper | undefined;
  }
  return current?._tag === 'IntersectionType' || current?._tag === 'UnionType';
}
