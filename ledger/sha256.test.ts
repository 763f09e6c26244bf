// The pure SHA-256 against node:crypto across every padding boundary, and the strict byte spellings.
import { createHash } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBase64, fromHex, toBase64, toHex } from './bytes.js';
import { sha256, sha256Tagged } from './sha256.js';

const test = suite('ledger/sha256');

test('equals node:crypto for every length 0..300 (one, two and more blocks)', () => {
  for (let n = 0; n <= 300; n++) {
    const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
    assert.is(toHex(sha256(data)), createHash('sha256').update(data).digest('hex'), `length ${n}`);
  }
});

test('sha256Tagged equals SHA-256 of the concatenated parts, short and long, one part or two', () => {
  for (const [n, m] of [[0, 0], [32, 0], [32, 32], [31, 31], [55, 0], [54, 1], [63, 64], [100, 27], [200, 90]] as const) {
    const a = new Uint8Array(n).map((_, i) => (i * 13 + 1) & 0xff);
    const b = new Uint8Array(m).map((_, i) => (i * 7 + 3) & 0xff);
    const whole = new Uint8Array([9, ...a, ...b]);
    assert.is(toHex(sha256Tagged(9, a, b)), createHash('sha256').update(whole).digest('hex'), `lengths ${n} + ${m}`);
    assert.is(toHex(sha256Tagged(9, whole.subarray(1))), toHex(sha256(whole)), `length ${n + m}, one part`);
  }
});

test('base64 round-trips and refuses every other spelling of the same bytes', () => {
  for (let n = 0; n < 40; n++) {
    const data = new Uint8Array(n).map((_, i) => (i * 97 + 7) & 0xff);
    const text = toBase64(data);
    assert.is(text, Buffer.from(data).toString('base64'));
    assert.equal(fromBase64(text), data);
  }
  assert.is(fromBase64('AB=='), undefined, 'non-zero bits under the padding');
  assert.is(fromBase64('AA'), undefined, 'missing padding');
  assert.is(fromBase64('AA=A'), undefined, 'padding inside');
  assert.is(fromBase64('_-8='), undefined, 'URL alphabet');
  assert.is(fromBase64('AA==\n'), undefined, 'trailing newline');
  assert.is(fromHex('0A'), undefined, 'uppercase hex');
  assert.equal(fromHex('0a'), new Uint8Array([10]));
});

test.run();
