import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Series } from '../storage/series.js';
import { consolidate, renderDatapoints } from './consolidate.js';

const nan = Number.NaN;

test('consolidate averages buckets and honours xFilesFactor over the full bucket size', () => {
  const v = Float64Array.from([1, 2, nan, 4, nan, nan, 7]);
  assert.deepEqual([...consolidate(v, 3, 'average', 0)], [1.5, 4, 7]);
  assert.deepEqual([...consolidate(v, 3, 'sum', 0.5)], [3, nan, nan]);
  assert.deepEqual([...consolidate(v, 3, 'max', 0)], [2, 4, 7]);
  assert.deepEqual([...consolidate(v, 3, 'avg_zero', 0)], [1, 4 / 3, 7]);
});

test('maxDataPoints nudges the start and drops one value fewer than the nudge spans (upstream)', () => {
  const s: Series = {
    name: 'x',
    tags: { name: 'x' },
    start: 1005,
    end: 1105,
    step: 5,
    values: Float64Array.from({ length: 20 }, (_, i) => i),
    pathExpression: 'x',
    xFilesFactor: 0,
  };
  // 20 points, maxDataPoints 6: 4 values per point, 20 s per point; nudge = 20 + 0 - 1005 % 20 (5) = 15
  // -> start 1020, 3 values spanned, 2 dropped; buckets [2..5] [6..9] [10..13] [14..17] [18,19].
  const [d] = renderDatapoints([s], 6);
  assert.deepEqual([...d.values], [3.5, 7.5, 11.5, 15.5, 18.5]);
  assert.deepEqual([d.start, d.stride], [1020, 20]);
  const [one] = renderDatapoints([s], 1);
  assert.deepEqual([...one.values], [9.5]);
  assert.deepEqual([one.start, one.values.length], [1005, 1]);
});
