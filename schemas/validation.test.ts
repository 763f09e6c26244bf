// The shared validation helpers on their own: closed objects, completion, and the error lines every
// 400/422 and every CLI message is made of.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as t from 'io-ts';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { closedObject, completed, fieldContext, formatValidationErrors } from './validation.js';

const lines = (codec: t.Decoder<unknown, unknown>, input: unknown): string[] => {
  const r = codec.decode(input);
  return isLeft(r) ? formatValidationErrors(r.left) : [];
};

const Point = closedObject('Point', { x: t.number, y: t.number }, { label: t.string });

test('closedObject: required, optional, unknown', () => {
  const r = Point.decode({ x: 1, y: 2 });
  assert.ok(isRight(r) && !('label' in r.right));
  assert.ok(isRight(Point.decode({ x: 1, y: 2, label: 'a' })));
  assert.equal(lines(Point, { x: 1, z: 3 }), ['z: unknown field', 'y: missing, expected number']);
  assert.equal(lines(Point, [1, 2]), ['(root): expected a Point object, got [1,2]']);
  // A JSON "__proto__" key is an own property like any other, and just as unknown.
  assert.equal(lines(Point, JSON.parse('{"x":1,"y":2,"__proto__":{"admin":true}}')), ['__proto__: unknown field']);
  assert.ok(Point.is({ x: 1, y: 2 }));
  assert.not.ok(Point.is({ x: 1, y: 2, z: 3 }));
  assert.equal(Point.encode({ x: 1, y: 2, label: undefined }), { x: 1, y: 2 });
});

test('completed: defaults and cross-field rules, errors naming the field', () => {
  const Range = completed(closedObject('Range', { from: t.number }, { to: t.number }), (r, c): t.Validation<{ readonly from: number; readonly to: number }> =>
    r.to !== undefined && r.to < r.from
      ? t.failure(r.to, fieldContext(c, 'to', t.number, r.to), `must not be less than from (${r.from})`)
      : t.success({ ...r, to: r.to ?? r.from }),
  );
  const ok = Range.decode({ from: 3 });
  assert.ok(isRight(ok) && ok.right.to === 3);
  assert.equal(lines(t.type({ range: Range }), { range: { from: 3, to: 1 } }), ['range.to: must not be less than from (3)']);
});

test('paths through arrays, intersections, unions and readonly wrappers', () => {
  const C = t.readonly(t.type({ items: t.array(t.intersection([t.type({ a: t.string }), t.partial({ b: t.number })])) }));
  assert.equal(lines(C, { items: [{ a: 'x' }, { a: 1, b: 'y' }] }), ['items[1].a: expected string, got 1', 'items[1].b: expected number, got "y"']);
  const U = t.type({ v: t.union([t.string, t.number]) });
  // One line per member, each naming what that member expected.
  assert.equal(lines(U, { v: true }), ['v: expected string, got true', 'v: expected number, got true']);
  const Same = t.type({ v: t.union([t.literal('a'), t.literal('a')]) });
  assert.equal(lines(Same, { v: 'b' }), ['v: expected "a", got "b"']);
});

test('a message that already names its field is kept as is', () => {
  const Url = new t.Type<string, string, unknown>('url', (u): u is string => typeof u === 'string', (u, c) => t.failure(u, c, 'HOME_URL: not a URL'), t.identity);
  assert.equal(lines(t.partial({ HOME_URL: Url }), { HOME_URL: 'nope' }), ['HOME_URL: not a URL']);
});

test('long values are cut short', () => {
  const [line] = lines(t.type({ n: t.number }), { n: 'x'.repeat(500) });
  assert.ok(line!.length < 120, line);
  assert.ok(line!.endsWith('..."') === false && line!.endsWith('...'), line);
});

test.run();
