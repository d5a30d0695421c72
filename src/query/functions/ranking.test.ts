import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Series } from '../../storage/series.js';
import { getPercentile, py2Less, pyHead, sortByKey } from './ranking.js';

const N = Number.NaN;

function series(name: string, values: number[]): Series {
  return {
    name,
    tags: { name },
    start: 0,
    end: values.length,
    step: 1,
    values: Float64Array.from(values),
    pathExpression: name,
    xFilesFactor: 0,
  };
}

test('getPercentile: NIST nearest rank, interpolation, None skipped', () => {
  // [points, n, interpolate, want] — wants worked out by hand from _getPercentile's rank rule.
  const cases: [number[], number, boolean, number][] = [
    [[1, 2, 3, 4], 50, false, 3], // rank 2.5 -> 3
    [[4, 1, 3, 2], 50, false, 3], // sorted first
    [[1, 2, 3, 4], 50, true, 2.5], // 2 + 0.5 * (3 - 2)
    [[1, 2, 3, 4], 10, false, 1], // rank 0.5 -> 1
    [[1, 2, 3, 4], 1, false, 1], // rank 0.05 -> 1
    [[1, 2, 3, 4], 90, false, 4], // rank 4.5 -> 5 = count + 1: the last
    [[1, 2, 3, 4], 100, false, 4], // rank 5: the last
    [[1, 2, 3, 4], 90, true, 4], // rank 4 = count: no next value
    [[1, N, 3, N, 2], 50, false, 2], // three values, rank 2
    [[-5, -25.5, 7.25], 99, false, 7.25],
    [[10], 50, false, 10],
    [[1, 2, 3], 20, true, 1], // rank 0: sorted[0] moved towards sorted[0], upstream's quirk
  ];
  for (const [points, n, interpolate, want] of cases)
    assert.equal(getPercentile(points, n, interpolate), want, `${points} ${n} ${interpolate}`);
  assert.ok(Number.isNaN(getPercentile([], 50)));
  assert.ok(Number.isNaN(getPercentile([N, N], 50)));
});

test('getPercentile: a rank past the end is refused, as upstream raises IndexError', () => {
  assert.throws(() => getPercentile([1, 2, 3, 4], 150), /percentile 150 is out of range for 4 values/);
});

test('sortByKey: stable in both directions, a missing key ranks as -inf', () => {
  const a = series('a', [1, 2]);
  const b = series('b', [N, N]);
  const c = series('c', [2, 1]);
  const d = series('d', [0, 5]);
  const max = (v: Float64Array) => Math.max(...[...v].filter((x) => !Number.isNaN(x)));
  const safeMax = (v: Float64Array) => ([...v].some((x) => !Number.isNaN(x)) ? max(v) : N);
  const names = (l: Series[]) => l.map((s) => s.name).join(',');
  assert.equal(names(sortByKey([a, b, c, d], safeMax)), 'b,a,c,d');
  // a and c tie at 2: Python's reverse sort keeps them in input order.
  assert.equal(names(sortByKey([a, b, c, d], safeMax, true)), 'd,a,c,b');
  assert.equal(names(sortByKey([c, a], safeMax, true)), 'c,a');
});

test('pyHead: list[:n] with Python slicing', () => {
  const l = [1, 2, 3];
  assert.deepEqual(pyHead(l, 2), [1, 2]);
  assert.deepEqual(pyHead(l, 0), []);
  assert.deepEqual(pyHead(l, -1), [1, 2]);
  assert.deepEqual(pyHead(l, -5), []);
  assert.deepEqual(pyHead(l, 10), [1, 2, 3]);
});

test('py2Less: None below every number, never below None', () => {
  assert.equal(py2Less(N, -1e308), true);
  assert.equal(py2Less(-1e308, N), false);
  assert.equal(py2Less(N, N), false);
  assert.equal(py2Less(1, 2), true);
  assert.equal(py2Less(2, 2), false);
});
