import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pyFloat, pyJson, pyJsonString } from './python.js';

// Expected strings are what Debian's Python 3.11 json.dumps writes for the same floats.
const floats: [number, string][] = [
  [0.1, '0.1'],
  [1e-7, '1e-07'],
  [1e20, '1e+20'],
  [-3.5, '-3.5'],
  [1, '1.0'],
  [100, '100.0'],
  [0, '0.0'],
  [-0, '-0.0'],
  [1e16, '1e+16'],
  [1e15, '1000000000000000.0'],
  [1.2345678901234568e17, '1.2345678901234568e+17'],
  [5e-324, '5e-324'],
  [1.7976931348623157e308, '1.7976931348623157e+308'],
  [0.0001, '0.0001'],
  [0.00012345, '0.00012345'],
  [1e-5, '1e-05'],
  [2.5e-5, '2.5e-05'],
  [-1e-7, '-1e-07'],
  [12345.678, '12345.678'],
  [1 / 3, '0.3333333333333333'],
  [2 ** 53, '9007199254740992.0'],
  [1e22, '1e+22'],
  [Number.NaN, 'NaN'],
  [Number.POSITIVE_INFINITY, 'Infinity'],
];

test('pyFloat writes floats as Python repr does', () => {
  for (const [x, want] of floats) assert.equal(pyFloat(x), want, String(x));
});

test('pyJsonString escapes as json.dumps with and without ensure_ascii', () => {
  const s = 'é\u2028\x7f\x01\t"\\';
  assert.equal(pyJsonString(s), '"\\u00e9\\u2028\\u007f\\u0001\\t\\"\\\\"');
  assert.equal(pyJsonString('\u{1F600}'), '"\\ud83d\\ude00"');
  assert.equal(pyJsonString('é', false), '"é"');
});

test('pyJson uses Python separators and keeps key order', () => {
  assert.equal(
    pyJson({ text: 'a', id: 'x.a', leaf: 0, list: [1, null, true] }),
    '{"text": "a", "id": "x.a", "leaf": 0, "list": [1, null, true]}',
  );
  assert.equal(pyJson([]), '[]');
  assert.equal(pyJson({}), '{}');
  assert.throws(() => pyJson(0.5), /BUG/);
});
