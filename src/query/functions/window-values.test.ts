import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Series } from '../../storage/series.js';
import { consolidate } from '../consolidate.js';
import { AGG_FUNCS } from './aggfuncs.js';
import { aggregateSeries } from './aggregate.js';
import { mapRows, xffRow } from './timeseries.js';
import { windowAggregates, windowSums } from './window-values.js';

// The fast paths of /render (window sums four at a time, blocked row transposition, aggregation
// without a list per row, bucket sums without a list) against the plain loops graphite-web's Python
// runs, value for value: Object.is, so even the last bit and the sign of a zero must agree.

const nan = Number.NaN;

/** A deterministic series with gaps, negative values, zeros and a few huge values. */
function series(seed: number, length: number): Float64Array {
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  return Float64Array.from({ length }, () => {
    const r = next();
    if (r < 0.15) return nan;
    if (r < 0.2) return 0;
    if (r < 0.22) return 1e16 * (next() - 0.5);
    return (next() - 0.3) * 100;
  });
}

function sameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++)
    assert.ok(Object.is(actual[i], expected[i]), `${what}: [${i}] is ${actual[i]}; want ${expected[i]}`);
}

// movingWindow's loop as upstream writes it: a list of the window's non-null values per point.
function referenceWindow(
  values: Float64Array,
  windowPoints: number,
  xff: number,
  consolidateFunc: (nonNull: number[]) => number,
): number[] {
  const out: number[] = [];
  for (let i = windowPoints; i < values.length; i++) {
    const nonNull = [...values.subarray(i - windowPoints, i)].filter((v) => !Number.isNaN(v));
    out.push(nonNull.length && nonNull.length / windowPoints >= xff ? consolidateFunc(nonNull) : nan);
  }
  return out;
}

const pySum = (vs: number[]) => vs.reduce((s, v) => s + v, 0);

test('windowSums: the points before each point, not the point itself; None skipped; xFilesFactor of the window', () => {
  const v = Float64Array.from([1, 2, nan, 4, 5, nan, nan]);
  sameValues(windowSums(v, 2, 0, true), [1.5, 2, 4, 4.5, 5], 'average');
  sameValues(windowSums(v, 2, 0, false), [3, 2, 4, 9, 5], 'sum');
  sameValues(windowSums(v, 2, 0.6, false), [3, nan, nan, 9, nan], 'sum, xFilesFactor 0.6');
  sameValues(windowSums(v, 3, 0, false), [3, 6, 9, 9], 'sum of 3');
  sameValues(windowSums(v, 7, 0, false), [], 'window as long as the series');
  sameValues(windowSums(v, 0, 0, false), [nan, nan, nan, nan, nan, nan, nan], 'empty windows');
  // A negative window (movingAverage(x, -2)): upstream's range(-2, len) over empty slices, all None.
  sameValues(windowSums(v, -2, 0, false), Array(9).fill(nan), 'negative window, sum');
  sameValues(windowAggregates(v, -2, 0, AGG_FUNCS.median), Array(9).fill(nan), 'negative window, median');
});

test('windowSums adds each window afresh: a huge value leaving the window leaves no rounding behind', () => {
  // A running sum would give (1e16 + 1) - 1e16 + 1 = 1 for the last window; upstream's sum is 2.
  sameValues(windowSums(Float64Array.from([1e16, 1, 1, 1]), 2, 0, false), [1e16, 2], 'sum');
});

test('windowSums and windowAggregates equal upstream-shaped loops on odd series', () => {
  const funcs = ['average', 'sum', 'min', 'max', 'median', 'avg_zero', 'multiply', 'stddev', 'count'];
  for (let seed = 1; seed <= 40; seed++) {
    const v = series(seed, seed * 3);
    for (const windowPoints of [1, 2, 3, 4, 5, 7, 60]) {
      for (const xff of [0, 0.5, 1]) {
        const what = `seed ${seed}, window ${windowPoints}, xff ${xff}`;
        sameValues(
          windowSums(v, windowPoints, xff, true),
          referenceWindow(v, windowPoints, xff, (vs) => pySum(vs) / vs.length),
          `average, ${what}`,
        );
        sameValues(
          windowSums(v, windowPoints, xff, false),
          referenceWindow(v, windowPoints, xff, pySum),
          `sum, ${what}`,
        );
        for (const f of funcs)
          sameValues(
            windowAggregates(v, windowPoints, xff, AGG_FUNCS[f]),
            referenceWindow(v, windowPoints, xff, (vs) => AGG_FUNCS[f](vs)),
            `${f}, ${what}`,
          );
      }
    }
  }
});

test('windowSums adds gaps as 0 without changing a digit: -0, ±Infinity and NaN sums as upstream', () => {
  const special = [nan, -0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-300, -1e16, 0.1];
  for (let seed = 1; seed <= 30; seed++) {
    const base = series(seed, 50);
    const v = base.map((x, i) => ((i * seed) % 7 === 0 ? special[(i + seed) % special.length] : x));
    for (const windowPoints of [1, 2, 3, 4, 5, 9]) {
      for (const average of [true, false]) {
        sameValues(
          windowSums(v, windowPoints, 0, average),
          referenceWindow(v, windowPoints, 0, average ? (vs) => pySum(vs) / vs.length : pySum),
          `seed ${seed}, window ${windowPoints}, ${average ? 'average' : 'sum'}`,
        );
      }
    }
  }
  // All of a window -0: upstream's sum([-0.0]) is 0 + -0.0 = 0.0, not -0.0.
  sameValues(windowSums(Float64Array.from([-0, -0, 5]), 2, 0, false), [0], 'sum of -0s');
});

test('sum, average, min, max and count skip None in place as safe.py does over the list of the others', () => {
  const table: [string, number[], number][] = [
    ['sum', [1, nan, 2.5], 3.5],
    ['sum', [nan, nan], nan],
    ['sum', [-0, nan], 0],
    ['average', [1, nan, 2], 1.5],
    ['average', [], nan],
    ['min', [nan, 3, -2, nan], -2],
    ['min', [0, -0], 0],
    ['min', [-0, 0], -0],
    ['max', [nan, 3, 7, nan], 7],
    ['max', [nan], nan],
    ['count', [nan, 1, 0], 2],
  ];
  for (const [f, row, want] of table)
    assert.ok(Object.is(AGG_FUNCS[f](row), want), `${f}(${row}) is ${AGG_FUNCS[f](row)}; want ${want}`);
  for (let seed = 1; seed <= 30; seed++) {
    const row = series(seed, seed * 7);
    const nonNull = [...row].filter((v) => !Number.isNaN(v));
    // Python's min()/max() keep the first of equal values (0 before -0); Math.min would not.
    // biome-ignore lint/complexity/useMathMinMax: see above
    const pyMin = nonNull.length ? nonNull.reduce((m, v) => (v < m ? v : m)) : nan;
    // biome-ignore lint/complexity/useMathMinMax: see above
    const pyMax = nonNull.length ? nonNull.reduce((m, v) => (v > m ? v : m)) : nan;
    sameValues(
      [AGG_FUNCS.sum(row), AGG_FUNCS.average(row), AGG_FUNCS.min(row), AGG_FUNCS.max(row)],
      [
        nonNull.length ? pySum(nonNull) : nan,
        nonNull.length ? pySum(nonNull) / nonNull.length : nan,
        pyMin,
        pyMax,
      ],
      `seed ${seed}`,
    );
  }
});

test('mapRows hands over the rows of izip_longest, for few series and for more than one block of them', () => {
  const small = mapRows([Float64Array.from([1, 2, 3]), Float64Array.from([10, nan])], (row) =>
    AGG_FUNCS.sum(row),
  );
  sameValues(small, [11, 2, 3], 'two series');
  for (const n of [63, 64, 65, 200, 1000]) {
    // Ragged lengths: the shorter series are None past their end.
    const rows = Array.from({ length: n }, (_, j) => series(j + 1, 150 - (j % 5)));
    const got = mapRows(rows, (row) => AGG_FUNCS.sum(row) + row.length * 1e-3);
    const want = Array.from({ length: 150 }, (_, i) => {
      const row = rows.map((r) => (i < r.length ? r[i] : nan));
      return AGG_FUNCS.sum(row) + row.length * 1e-3;
    });
    sameValues(got, want, `${n} series`);
  }
});

test("consolidate's sum and average equal apply() over each bucket's non-null values", () => {
  for (let seed = 1; seed <= 30; seed++) {
    const v = series(seed, 100 + seed);
    for (const valuesPerPoint of [1, 2, 3, 7, 64]) {
      for (const xff of [0, 0.5]) {
        const sums: number[] = [];
        const averages: number[] = [];
        for (let b = 0; b < v.length; b += valuesPerPoint) {
          const nonNull = [...v.subarray(b, b + valuesPerPoint)].filter((x) => !Number.isNaN(x));
          const ok = nonNull.length > 0 && nonNull.length / valuesPerPoint >= xff;
          sums.push(ok ? pySum(nonNull) : nan);
          averages.push(ok ? pySum(nonNull) / nonNull.length : nan);
        }
        const what = `seed ${seed}, ${valuesPerPoint} per point, xff ${xff}`;
        sameValues(consolidate(v, valuesPerPoint, 'sum', xff), sums, `sum, ${what}`);
        sameValues(consolidate(v, valuesPerPoint, 'average', xff), averages, `average, ${what}`);
      }
    }
  }
});

test('sumSeries and averageSeries add series into per-point sums with the digits of safeSum over rows', () => {
  const make = (j: number, values: Float64Array): Series => ({
    name: `s${j}`,
    tags: { name: `s${j}` },
    start: 1000,
    end: 1000 + 10 * values.length,
    step: 10,
    values,
    pathExpression: 's.*',
    xFilesFactor: 0,
  });
  const [tiny] = aggregateSeries(
    [[make(0, Float64Array.from([1, nan, nan])), make(1, Float64Array.from([2.5, 4, nan]))]],
    'sumSeries',
    0,
  );
  assert.equal(tiny.name, 'sumSeries(s.*)');
  sameValues(tiny.values, [3.5, 4, nan], 'two series');
  // Lengths: all equal (four series per pass), uneven from the start, and uneven only after the first
  // twelve (passes of four, then one at a time).
  const lengths: [string, (j: number) => number][] = [
    ['equal', () => 120],
    ['uneven', (j) => 120 - (j % 3)],
    ['uneven after 12', (j) => (j < 12 ? 120 : 120 - (j % 3))],
  ];
  for (const [shape, lengthOf] of lengths)
    for (const n of [1, 3, 4, 5, 13, 70, 300]) {
      const seriesList = Array.from({ length: n }, (_, j) => make(j, series(j + 7, lengthOf(j))));
      const rows = seriesList.map((s) => s.values);
      for (const xff of [0, 0.5, 0.9]) {
        for (const [func, agg] of [
          ['sum', AGG_FUNCS.sum],
          ['average', AGG_FUNCS.average],
        ] as const) {
          const [got] = aggregateSeries([seriesList], func, xff);
          const want = mapRows(rows, (row) => (xffRow(row, xff) ? agg(row) : nan));
          sameValues(got.values, want, `${func} of ${n} series (${shape}), xff ${xff}`);
        }
      }
    }
});
