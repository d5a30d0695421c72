import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeWithCache } from './merge-cache.js';

const nan = Number.NaN;

test('cached points replace values at their step-aligned slots', () => {
  const values = Float64Array.from([1, 2, 3, nan]);
  // step 10 from 100: slots 100, 110, 120, 130; 95 is before start, 140 past the end.
  mergeWithCache({ timestamps: [95, 112, 131, 140], values: [9, 8, 7, 6] }, 100, 10, values, 'average', 10);
  assert.deepEqual([...values], [1, 8, 3, 7]);
});

test('a repeated timestamp keeps the last value received, as carbon`s cache does', () => {
  const values = Float64Array.from([nan, nan]);
  mergeWithCache({ timestamps: [100, 100, 101], values: [1, 2, 5] }, 100, 1, values, 'sum', 1);
  assert.deepEqual([...values], [2, 5]);
});

test('reading a coarser archive: last per raw step, then the aggregation method per step', () => {
  // rawStep 10, fetched step 60: 100 and 105 share raw slot 100 (105 wins); then slot 60 holds
  // raw slots 100 and 110 -> sum 5 + 4 = 9; slot 120 holds raw slot 170 -> 3.
  const cached = { timestamps: [100, 105, 110, 170], values: [1, 5, 4, 3] };
  assert.deepEqual([...mergeWithCache(cached, 60, 60, Float64Array.from([nan, nan]), 'sum', 10)], [9, 3]);
  assert.deepEqual(
    [...mergeWithCache(cached, 60, 60, Float64Array.from([nan, nan]), 'average', 10)],
    [4.5, 3],
  );
  assert.deepEqual([...mergeWithCache(cached, 60, 60, Float64Array.from([nan, nan]), 'max', 10)], [5, 3]);
  assert.deepEqual([...mergeWithCache(cached, 60, 60, Float64Array.from([nan, nan]), 'last', 10)], [4, 3]);
});
