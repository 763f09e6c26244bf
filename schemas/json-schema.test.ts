// io-ts codecs to JSON Schema: io-ts's combinators by structure, the project's combinators and custom
// codecs by what they registered, references for named codecs, and a loud refusal for anything else.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as t from 'io-ts';
import { commandHandlers } from '../domain/index.js';
import { describedAs, jsonSchemaOf } from './json-schema.js';
import { boundedString, integerIn, patternString, Region, Timestamp } from './primitives.js';
import { closedObject, completed } from './validation.js';

test("io-ts's own combinators", () => {
  assert.equal(jsonSchemaOf(t.string), { type: 'string' });
  assert.equal(jsonSchemaOf(t.number), { type: 'number' });
  assert.equal(jsonSchemaOf(t.boolean), { type: 'boolean' });
  assert.equal(jsonSchemaOf(t.null), { type: 'null' });
  assert.equal(jsonSchemaOf(t.Int), { type: 'integer' });
  assert.equal(jsonSchemaOf(t.literal('x')), { const: 'x' });
  assert.equal(jsonSchemaOf(t.keyof({ a: null, b: null })), { type: 'string', enum: ['a', 'b'] });
  assert.equal(jsonSchemaOf(t.union([t.literal(75), t.literal(90)])), { enum: [75, 90] });
  assert.equal(jsonSchemaOf(t.union([t.string, t.number])), { anyOf: [{ type: 'string' }, { type: 'number' }] });
  assert.equal(jsonSchemaOf(t.readonlyArray(t.string)), { type: 'array', items: { type: 'string' } });
  assert.equal(jsonSchemaOf(t.readonly(t.array(t.boolean))), { type: 'array', items: { type: 'boolean' } });
  assert.equal(jsonSchemaOf(t.record(t.string, t.number)), { type: 'object', additionalProperties: { type: 'number' } });
  assert.equal(jsonSchemaOf(t.record(patternString('key', /^[a-z]+$/), t.string)), {
    type: 'object', propertyNames: { type: 'string', pattern: '^[a-z]+$' }, additionalProperties: { type: 'string' },
  });
});

test('t.type and t.partial intersect into one open object; t.exact stays open (it strips, not refuses)', () => {
  const codec = t.exact(t.intersection([t.type({ a: t.string }), t.partial({ b: t.number })]));
  assert.equal(jsonSchemaOf(codec), { type: 'object', required: ['a'], properties: { a: { type: 'string' }, b: { type: 'number' } } });
  const closed = t.intersection([closedObject('A', { a: t.string }), closedObject('B', { b: t.string })]);
  assert.equal(Object.keys(jsonSchemaOf(closed)), ['allOf']);
});

test('closedObject: closed, its required list; completed: its inner codec', () => {
  const Point = closedObject('Point', { x: t.number }, { label: t.string });
  const expected = { type: 'object', required: ['x'], properties: { x: { type: 'number' }, label: { type: 'string' } }, additionalProperties: false };
  assert.equal(jsonSchemaOf(Point), expected);
  assert.equal(jsonSchemaOf(completed(Point, (p) => t.success(p))), expected);
  assert.equal(jsonSchemaOf(closedObject('Empty', {})), { type: 'object', properties: {}, additionalProperties: false });
});

test('primitives carry their limits', () => {
  assert.equal(jsonSchemaOf(Region), { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,31}$' });
  assert.equal(jsonSchemaOf(boundedString(256)), { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f]{1,256}$' });
  assert.equal(jsonSchemaOf(integerIn('limit', 1, 1000)), { type: 'integer', minimum: 1, maximum: 1000 });
  assert.is(jsonSchemaOf(Timestamp)['format'], 'date-time');
});

test('named codecs become references below the root, and stay whole at the root', () => {
  const Body = closedObject('Body', { region: Region });
  const refs = new Map([[Region, '#/components/schemas/Region']]);
  assert.equal(jsonSchemaOf(Body, { refs })['properties'], { region: { $ref: '#/components/schemas/Region' } });
  assert.equal(jsonSchemaOf(Region, { refs }), { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,31}$' });
});

test('a custom codec describes itself once, in terms of its parts if it likes', () => {
  const Even = describedAs(t.refinement(t.number, (n) => n % 2 === 0, 'Even'), { type: 'integer', multipleOf: 2 });
  const Pair = new t.Type<unknown>('Pair', (u): u is unknown => u !== undefined, (u) => t.success(u), t.identity);
  describedAs(Pair, (of) => ({ type: 'array', prefixItems: [of(Even), of(Even)], items: false }));
  assert.equal(jsonSchemaOf(Pair), { type: 'array', prefixItems: [{ type: 'integer', multipleOf: 2 }, { type: 'integer', multipleOf: 2 }], items: false });
});

test('a codec nobody described is refused, naming it and where it sits', () => {
  const Secret = new t.Type<string>('Secret', (u): u is string => typeof u === 'string', (u, c) => (typeof u === 'string' ? t.success(u) : t.failure(u, c)), t.identity);
  const Body = closedObject('Body', { nested: closedObject('Nested', { secret: Secret }) });
  assert.throws(() => jsonSchemaOf(Body), (e: Error) => e.message.includes('"Secret"') && e.message.includes('Body.nested.secret'));
  // A refinement's predicate is invisible: its base type alone would promise too much.
  assert.throws(() => jsonSchemaOf(t.refinement(t.number, (n) => n > 0, 'Positive')), /"Positive"/);
  assert.throws(() => jsonSchemaOf(t.undefined), /"undefined"/);
});

test('every command body codec of the domain registry can be described', () => {
  for (const [type, handler] of commandHandlers) {
    const schema = jsonSchemaOf(handler.codec);
    assert.is(schema['type'], 'object', type);
    assert.is(schema['additionalProperties'], false, `${type}: unknown fields are refused, and the schema says so`);
  }
});

test.run();
