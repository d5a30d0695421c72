import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregate } from './aggregate.js';
import type { AggregationMethod } from './format.js';

const N = null;
// [method, slots (null = no point), expected]; expectations are what whisper.aggregate returns
// for knownValues / neighborValues built from these slots under CPython 3.11.
const CASES: Array<[AggregationMethod, Array<number | null>, number]> = [
  ['average', [1, 2, 3, 4], 2.5],
  ['average', [1, N, 3, N], 2],
  ['average', [0.1, 0.2, 0.3], (0 + 0.1 + 0.2 + 0.3) / 3],
  ['sum', [1, N, 3, N], 4],
  ['sum', [0.1, 0.2, 0.3], 0.6000000000000001], // plain left-to-right float sum, not fsum
  ['sum', [-0, -0], 0],
  ['last', [1, 2, N], 2],
  ['last', [N, 7, N, N], 7],
  ['max', [3, -9, 5, N], 5],
  ['min', [3, -9, 5, N], -9],
  ['max', [Number.NaN, 1, 2], Number.NaN], // Python's max keeps a leading NaN: 1 > nan is False
  ['max', [1, Number.NaN, 2], 2],
  ['min', [Number.NaN, 1], Number.NaN],
  ['avg_zero', [1, N, 3, N], 1], // (1 + 0 + 3 + 0) / 4
  ['avg_zero', [N, N, 6], 2],
  ['avg_zero', [0, -0, 3], 1],
  ['avg_zero', [Number.NaN, N, 2], Number.NaN],
  ['absmax', [3, -9, 5], -9],
  ['absmax', [-5, 5], -5], // ties keep the first
  ['absmin', [3, -1, 1, 5], -1],
  ['absmin', [N, -2, N, 4], -2],
];

for (const [method, slots, expected] of CASES) {
  test(`aggregate ${method} of [${slots.join(', ')}] is ${expected}`, () => {
    const values = Float64Array.from(slots, (v) => v ?? 0);
    const known = Uint8Array.from(slots, (v) => (v === null ? 0 : 1));
    assert.equal(aggregate(method, values, known, slots.length), expected);
  });
}

test('aggregate without a known value is a bug, not a number', () => {
  assert.throws(() => aggregate('max', new Float64Array(2), new Uint8Array(2), 2), /BUG/);
});
