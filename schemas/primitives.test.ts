// The input grammar every codec shares: timestamps (RFC 3339, real calendar dates, the years the stores
// hold), storable text (no NUL, no lone surrogates), int64 text, and JSON input (depth, keys, strings).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import { JsonObjectC } from './json.js';
import { MAX_JSON_DEPTH, findUnstorable, nestingDepth, parseJsonInput } from './json-input.js';
import { NodeId } from './graph.js';
import { AnalyticsTimestamp, FreeText, Timestamp, boundedString, isInt64Text, isStorableText, unstorableText } from './primitives.js';
import { rfc3339Seconds } from './rfc3339.js';
import { formatValidationErrors } from './validation.js';

const timestamps = suite('Timestamp: RFC 3339 date-time, strictly');

timestamps('accepts Z, offsets, fractions of 1-9 digits, and Feb 29 of leap years', () => {
  for (const ok of [
    '2026-01-01T00:00:00Z', '2026-12-31T23:59:59Z', '2026-06-15T12:30:45.1Z', '2026-06-15T12:30:45.123456789Z',
    '2026-06-15T12:30:45+02:00', '2026-06-15T12:30:45-05:30', '2026-06-15T12:30:45-00:00', '2026-06-15T12:30:45+15:59',
    '2024-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '1600-02-29T00:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z',
  ]) assert.ok(Timestamp.is(ok), ok);
});

timestamps('refuses impossible dates and times, whatever Date.parse makes of them', () => {
  for (const bad of [
    '2026-02-30T00:00:00Z', '2026-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2026-04-31T00:00:00Z',
    '2026-00-10T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-00T00:00:00Z', '2026-01-32T00:00:00Z',
    '2026-01-01T24:00:00Z', '2026-01-01T23:60:00Z', '2026-06-30T23:59:60Z',
  ]) {
    assert.not.ok(Timestamp.is(bad), bad);
    assert.is(rfc3339Seconds(bad), undefined, bad);
  }
});

timestamps('refuses years outside 0001-9999 in UTC, after the offset is applied', () => {
  for (const bad of ['0000-01-01T00:00:00Z', '0000-12-31T23:59:59Z', '10000-01-01T00:00:00Z', '+002026-01-01T00:00:00Z',
    '0001-01-01T00:30:00+01:00', '9999-12-31T23:30:00-01:00', '9999-12-31T23:59:59.9999996Z']) {
    assert.not.ok(Timestamp.is(bad), bad);
  }
  assert.ok(Timestamp.is('0001-01-01T01:00:00+01:00'), 'midnight UTC of year 1');
  assert.ok(Timestamp.is('9999-12-31T23:59:59.9999994Z'), 'rounds down to the last microsecond');
});

timestamps('refuses other spellings: lowercase t/z, no zone, offsets past ±15:59, loose forms', () => {
  for (const bad of [
    '2026-01-01t00:00:00Z', '2026-01-01T00:00:00z', '2026-01-01T00:00:00', '2026-01-01 00:00:00Z', '2026-01-01',
    '2026-01-01T00:00:00+16:00', '2026-01-01T00:00:00+23:59', '2026-01-01T00:00:00+05:60', '2026-01-01T00:00:00+0500',
    '2026-01-01T00:00:00.Z', '2026-01-01T00:00:00.1234567890Z', '2026-1-01T00:00:00Z', ' 2026-01-01T00:00:00Z', 'yesterday', '',
  ]) assert.not.ok(Timestamp.is(bad), bad);
  assert.not.ok(Timestamp.is(20260101));
});

timestamps('the instant is exact: offsets and the epoch agree with Date for ordinary years', () => {
  for (const s of ['2026-03-01T00:00:00Z', '2026-06-15T12:30:45+02:00', '1969-12-31T23:59:59Z', '2024-02-29T13:00:00-11:00']) {
    assert.is(rfc3339Seconds(s), Math.floor(Date.parse(s) / 1000), s);
  }
  assert.is(rfc3339Seconds('0001-01-01T00:00:00Z'), -62135596800);
});

timestamps('analytics timestamps are the years ClickHouse DateTime64 holds: 1900-2299', () => {
  assert.ok(AnalyticsTimestamp.is('1900-01-01T00:00:00Z'));
  assert.ok(AnalyticsTimestamp.is('2299-12-31T23:59:59.999Z'));
  for (const bad of ['1899-12-31T23:59:59Z', '2300-01-01T00:00:00Z', '1900-01-01T00:30:00+01:00', '0500-01-01T00:00:00Z']) {
    assert.not.ok(AnalyticsTimestamp.is(bad), bad);
  }
});

timestamps('a refused timestamp names the field and the grammar', () => {
  const bad = Timestamp.decode('2026-02-30T00:00:00Z');
  assert.ok(isLeft(bad));
  assert.equal(formatValidationErrors(bad.left), ['(root): expected Timestamp (RFC 3339 with zone), got "2026-02-30T00:00:00Z"']);
});

timestamps.run();

const text = suite('storable text: no NUL, no lone surrogates');

text('NUL and lone surrogates (high or low, at either end) are refused; surrogate pairs are text', () => {
  for (const bad of ['a\u0000b', '\u0000', 'x\uD800', '\uD800x', 'x\uDBFFy', '\uDC00', 'x\uDFFF', '\uDC00\uD800', '😀'.slice(0, 1), '😀'.slice(1)]) {
    assert.not.ok(isStorableText(bad), JSON.stringify(bad));
    assert.ok(unstorableText(bad) !== undefined);
  }
  for (const ok of ['', 'plain', 'tab\tand\nnewline', '😀', 'a😀b😀', '\uD83D\uDE00', 'ünïcödé', '\u007f', '\uFFFF']) {
    assert.ok(isStorableText(ok), JSON.stringify(ok));
  }
  assert.match(unstorableText('a\u0000')!, /U\+0000/);
  assert.match(unstorableText('a\uDC01')!, /lone surrogate U\+DC01/);
});

text('every pattern codec refuses them, whatever its pattern admits, and says why', () => {
  const name = boundedString(64, 'name');
  assert.ok(name.is('ds:😀'));
  assert.not.ok(name.is('ds:\uD800'));
  assert.not.ok(NodeId.is('node\uDFFF'));
  const r = name.decode('x\uD800');
  assert.ok(isLeft(r));
  assert.match(formatValidationErrors(r.left)[0]!, /lone surrogate U\+D800/);
});

text('FreeText takes newlines and control characters, but not NUL or lone surrogates', () => {
  assert.ok(FreeText.is('fix: a bug\n\nSigned-off-by: someone\r\n'));
  assert.ok(FreeText.is(''));
  assert.not.ok(FreeText.is('commit\u0000message'));
  assert.not.ok(FreeText.is('\uD800'));
  assert.not.ok(FreeText.is(5));
});

text('JSON objects refuse unstorable keys and values, and __proto__ as a key, at any depth', () => {
  assert.ok(JsonObjectC.is({ '😀': ['x😀'], constructor: 1, prototype: { toString: 'x' } }));
  assert.not.ok(JsonObjectC.is({ 'a\u0000': 1 }));
  assert.not.ok(JsonObjectC.is({ a: { b: ['\uDC00'] } }));
  assert.not.ok(JsonObjectC.is(JSON.parse('{"a":{"__proto__":{"polluted":true}}}')));
  assert.is(({} as Record<string, unknown>)['polluted'], undefined);
});

text.run();

const int64 = suite('int64 text');

int64('0..2^63-1 as decimal text, nothing else', () => {
  for (const ok of ['0', '1', '9223372036854775807', '0000000000000000001']) assert.ok(isInt64Text(ok), ok);
  for (const bad of ['9223372036854775808', '9999999999999999999', '18446744073709551616', '-1', '1e3', '', ' 1', '12345678901234567890']) {
    assert.not.ok(isInt64Text(bad), bad);
  }
});

int64.run();

const json = suite('JSON input: depth, syntax, then keys and strings');

json('depth is measured on the text, outside strings, and stops early', () => {
  assert.is(nestingDepth('[]'), 1);
  assert.is(nestingDepth('{"a":[{"b":[]}]}'), 4);
  assert.is(nestingDepth('{"a":"[[[[{{{{\\"[["}'), 1);
  assert.is(nestingDepth('[[[[[[', 3), 4);
});

json('a 10,000-deep array or object is refused before parsing; the limit itself is accepted', () => {
  for (const deep of ['['.repeat(10_000) + ']'.repeat(10_000), '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)]) {
    const r = parseJsonInput(deep);
    assert.equal(r.ok ? 'ok' : r.reason, 'too-deep');
  }
  assert.ok(parseJsonInput('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)).ok);
  const over = parseJsonInput('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1));
  assert.equal(over.ok ? 'ok' : over.reason, 'too-deep');
});

json('malformed, unstorable, and fine', () => {
  const malformed = parseJsonInput('{"a":');
  assert.equal(malformed.ok ? 'ok' : malformed.reason, 'malformed');
  const cases: [string, RegExp][] = [
    ['{"attributes":{"a\\u0000b":1}}', /^attributes\."a\\u0000b": the key contains U\+0000/],
    ['{"records":[{"tags":{"k":"v\\u0000"}}]}', /^records\[0\]\.tags\.k: the string contains U\+0000/],
    ['["ok","\\ud800"]', /^\[1\]: the string contains a lone surrogate U\+D800/],
    ['{"a":"\\udc00\\ud800"}', /^a: the string contains a lone surrogate U\+DC00/],
    ['{"a":{"__proto__":{"x":1}}}', /^a\.__proto__: "__proto__" is not accepted as a key/],
    ['"\\u0000"', /^\(root\): the string contains U\+0000/],
    ['{"run_number":1e400}', /^run_number: the number is beyond the range/],
    ['[-1e999]', /^\[0\]: the number is beyond the range/],
  ];
  for (const [input, detail] of cases) {
    const r = parseJsonInput(input);
    assert.ok(!r.ok && r.reason === 'unstorable', input);
    assert.match(r.ok ? '' : r.detail, detail);
  }
  const fine = parseJsonInput('{"emoji":"\\ud83d\\ude00","constructor":{"prototype":"x"},"nul-looking":"\\\\u0000"}');
  assert.ok(fine.ok);
  // Compared as text: uvu's deep equality reads `constructor` as the objects' class.
  assert.is(JSON.stringify(fine.ok && fine.value), JSON.stringify({ emoji: '😀', constructor: { prototype: 'x' }, 'nul-looking': '\\u0000' }));
});

json('the unstorable walk is iterative: a deep value built in memory does not overflow', () => {
  let deep: unknown = 'x\u0000';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.match(findUnstorable(deep)!, /U\+0000/);
});

json.run();
