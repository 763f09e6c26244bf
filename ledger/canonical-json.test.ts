// RFC 8785 conformance against the JCS vectors carried in test/vectors, plus the edge rules the ledger relies on.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { JsonValue } from '../schemas/json.js';
import { canonicalBytes, canonicalize } from './index.js';
import { canonicalizeUnknown } from './canonical-json.js';

const projectRoot = resolve(import.meta.dirname, '..');
const vectors = resolve(projectRoot, 'test/vectors/jcs');

const test = suite('ledger/canonical-json');

test('JCS vectors are present', () => {
  assert.ok(existsSync(join(vectors, 'input')), `JCS vectors missing: expected ${vectors}/input (see test/vectors/README.md)`);
  assert.ok(readdirSync(join(vectors, 'input')).length > 0, `no JCS vectors in ${vectors}/input`);
});

const inputs = existsSync(join(vectors, 'input')) ? readdirSync(join(vectors, 'input')).filter((f) => f.endsWith('.json')) : [];
for (const name of inputs) {
  test(`JCS vector ${name}`, () => {
    const input = JSON.parse(readFileSync(join(vectors, 'input', name), 'utf8')) as JsonValue;
    const expected = readFileSync(join(vectors, 'output', name));
    const actual = canonicalBytes(input);
    assert.is(Buffer.from(actual).toString('hex'), expected.toString('hex'), name);
    assert.is(canonicalize(input), expected.toString('utf8'));
  });
}

test('sorts keys by UTF-16 code units, not code points or locale', () => {
  // U+FB33 (one unit, 0xFB33) sorts after U+1F602 (surrogates 0xD83D...) in UTF-16 order.
  assert.is(canonicalize({ '\ufb33': 1, '\u{1f602}': 2, a: 3 }), '{"a":3,"\u{1f602}":2,"\ufb33":1}');
});

test('omits undefined properties', () => {
  const value = { b: 1, a: undefined } as unknown as JsonValue;
  assert.is(canonicalize(value), '{"b":1}');
});

test('numbers use the ES form', () => {
  assert.is(canonicalize([-0, 1e21, 1e-7, 0.1 + 0.2, 100]), '[0,1e+21,1e-7,0.30000000000000004,100]');
});

test('throws on non-finite numbers', () => {
  assert.throws(() => canonicalize({ x: NaN }), /non-finite number at \$\.x/);
  assert.throws(() => canonicalize([Infinity]), /non-finite number at \$\[0\]$/);
  assert.throws(() => canonicalize({ a: [1, { b: -Infinity }] }), /non-finite number at \$\.a\[1\]\.b$/);
});

test('throws on non-JSON values', () => {
  assert.throws(() => canonicalize({ d: new Date(0) } as unknown as JsonValue), /not a plain object/);
  assert.throws(() => canonicalize([undefined] as unknown as JsonValue), /undefined array element/);
  assert.throws(() => canonicalize({ n: 1n } as unknown as JsonValue), /bigint/);
});

test('throws on lone surrogates, accepts pairs', () => {
  assert.throws(() => canonicalize('a\ud800'), /lone surrogate/);
  assert.throws(() => canonicalize({ '\udc00': 1 }), /lone surrogate/);
  assert.is(canonicalize('\ud83d\ude02'), '"\u{1f602}"');
});

test('escapes controls minimally', () => {
  assert.is(canonicalize('\u0000\b\t\n\f\r\u001f"\\/\u007f'), '"\\u0000\\b\\t\\n\\f\\r\\u001f\\"\\\\/\u007f"');
});

test('omit leaves out top-level keys only, as if absent, and checks nothing under them', () => {
  const value = { b: 1, hash: 'h', a: { hash: 'nested', keyId: 2 }, keyId: new Date(0) };
  const omit = new Set(['hash', 'keyId']);
  assert.is(canonicalizeUnknown(value, omit), '{"a":{"hash":"nested","keyId":2},"b":1}');
  assert.is(canonicalizeUnknown(value, omit), canonicalize({ b: 1, a: { hash: 'nested', keyId: 2 } }));
  assert.is(canonicalizeUnknown({ hash: 1 }, omit), '{}');
  assert.is(canonicalizeUnknown([{ hash: 1 }], omit), '[{"hash":1}]', 'not an object at the top: nothing omitted');
  assert.throws(() => canonicalizeUnknown({ hash: 1, c: [undefined] }, omit), /undefined array element at \$\.c\[0\]$/);
});

test.run();
