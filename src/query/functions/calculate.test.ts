import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Series } from '../../storage/series.js';
import { QueryError } from '../errors.js';
import { evaluateTargets } from '../evaluator.js';
import { linearRegressionAnalysis, pyRound } from './calculate.js';
import { holtWintersAnalysis } from './holt-winters.js';
import { defaultRegistry } from './index.js';
import type { TimeWindow } from './registry.js';

// The window, time and calculate families over an in-memory fetch whose values are a function of
// the timestamp (v(t) = t / 10 % 7, None at multiples of 50), so every number below can be worked
// out by hand. Around the request (from 1000 to 1100 at 10 s):
//
//   t  980 990 1000 1010 1020 1030 1040 1050 1060 1070 1080 1090 1100
//   v    0   1    -    3    4    5    6    -    1    2    3    4    - The differential suite compares the same functions with graphite-web.

const STEP = 10;
const value = (t: number) => (t % 50 === 0 ? Number.NaN : (t / 10) % 7);

function fakeFetch(log: TimeWindow[]) {
  return async (path: string, w: TimeWindow): Promise<Series[]> => {
    log.push(w);
    const start = w.from - (w.from % STEP) + STEP;
    const end = w.until - (w.until % STEP) + STEP;
    const values = new Float64Array((end - start) / STEP);
    for (let i = 0; i < values.length; i++) values[i] = value(start + i * STEP);
    return [
      {
        name: path,
        tags: { name: path },
        start,
        end,
        step: STEP,
        values,
        pathExpression: path,
        xFilesFactor: 0,
      },
    ];
  };
}

async function run(target: string, window: TimeWindow = { from: 1000, until: 1100, now: 1100 }) {
  const log: TimeWindow[] = [];
  const out = await evaluateTargets([target], window, {
    registry: defaultRegistry(),
    fetch: fakeFetch(log),
    tz: 'UTC',
    xFilesFactor: 0,
  });
  return { out, log };
}

const plain = (values: Float64Array) => [...values].map((v) => (Number.isNaN(v) ? null : v));

test('movingAverage fetches the window before from and averages the points before each point', async () => {
  const { out, log } = await run('movingAverage(a.b, 3)');
  // Prefetch over the request, then the first argument again from 30 s earlier.
  assert.deepEqual(log, [
    { from: 1000, until: 1100, now: 1100 },
    { from: 970, until: 1100, now: 1100 },
  ]);
  const [s] = out;
  assert.equal(s.name, 'movingAverage(a.b,3)');
  assert.deepEqual(s.tags, { name: 'a.b', movingAverage: '3' });
  assert.equal(s.start, 1010);
  // The window of 1010 is 980, 990, 1000; of 1020 is 990, 1000, 1010...
  assert.deepEqual(plain(s.values).slice(0, 4), [0.5, 2, 3.5, 4]);
  const bySeconds = await run('movingAverage(a.b, "30s")');
  assert.equal(bySeconds.out[0].name, 'movingAverage(a.b,"30s")');
  assert.deepEqual(plain(bySeconds.out[0].values), plain(s.values));
});

test('exponentialMovingAverage seeds with the first window and rounds to 6 places', async () => {
  const { out } = await run('exponentialMovingAverage(a.b, 3)');
  const v = plain(out[0].values);
  // Seed: average of 0, 1 (None skipped) = 0.5; then c = 0.5: 0.5*3 + 0.5*0.5 = 1.75, ...
  assert.deepEqual(v.slice(0, 4), [0.5, 1.75, 2.875, 3.9375]);
});

test('summarize and hitcount bucket the points', async () => {
  const sum = (await run('summarize(a.b, "30s")')).out[0];
  assert.equal(sum.name, 'summarize(a.b, "30s", "sum")');
  assert.equal(sum.start, 990);
  assert.equal(sum.step, 30);
  // Buckets from 990: [1010] [1020 1030 1040] [1050 1060 1070] [1080 1090 1100] [] (no points).
  assert.deepEqual(plain(sum.values), [3, 15, 3, 7, null]);
  const hits = (await run('hitcount(a.b, "20s")')).out[0];
  // Each value is hits per second over its 10 s step; 20 s buckets from 1010 to 1110.
  assert.equal(hits.start, 1010);
  assert.deepEqual(plain(hits.values), [70, 110, 10, 50, 40]);
});

test('integralByInterval restarts at each interval counted from `from`', async () => {
  const { out } = await run('integralByInterval(a.b, "30s")');
  // Restarts at 1030, 1060 and 1090 (30 s after from); a None keeps the total so far.
  assert.deepEqual(plain(out[0].values), [3, 7, 5, 11, 11, 1, 3, 6, 4, 4]);
});

test('timeShift evaluates the target over the shifted window and keeps pathExpression', async () => {
  const { out, log } = await run('timeShift(a.b, "20s")');
  assert.deepEqual(log.at(-1), { from: 980, until: 1080, now: 1100 });
  assert.equal(out[0].name, 'timeShift(a.b, "-20s")');
  assert.equal(out[0].pathExpression, 'a.b');
  assert.equal(out[0].start, 1010);
  assert.equal(out[0].values[0], value(990));
});

test('asPercent, divideSeries and linearRegression', async () => {
  const pct = (await run('asPercent(a.b, 4)')).out[0];
  assert.equal(pct.name, 'asPercent(a.b,4)');
  assert.deepEqual(plain(pct.values).slice(0, 4), [75, 100, 125, 150]);
  const floatTotal = (await run('asPercent(a.b, 4.0)')).out[0];
  assert.equal(floatTotal.name, 'asPercent(a.b,4.0)');
  const div = (await run('divideSeries(a.b, a.c)')).out[0];
  assert.equal(div.name, 'divideSeries(a.b,a.c)');
  assert.deepEqual(plain(div.values).slice(0, 5), [1, 1, 1, 1, null]);
  const line = linearRegressionAnalysis({
    name: 'l',
    tags: {},
    start: 100,
    end: 150,
    step: 10,
    values: Float64Array.from([1, 3, Number.NaN, 7, 9]),
    pathExpression: 'l',
    xFilesFactor: 0,
  });
  assert.deepEqual(line, { factor: 0.2, offset: -19 });
});

test('pyRound rounds exact ties to even, as Python', () => {
  const cases: [number, number, number][] = [
    [0.25, 1, 0.2],
    [0.75, 1, 0.8],
    [0.125, 2, 0.12],
    [0.375, 2, 0.38],
    [2.5, 0, 2],
    [3.5, 0, 4],
    [-2.5, 0, -2],
    [1.005, 2, 1], // 1.00499999999999989...: not a tie
    [2.675, 2, 2.67],
    [1234.5, -2, 1200],
    [-0.4, 0, -0],
    [123.456789, 4, 123.4568],
  ];
  for (const [x, n, want] of cases) assert.equal(pyRound(x, n), want, `round(${x}, ${n})`);
  assert.ok(Number.isNaN(pyRound(Number.NaN, 2)));
});

test('holtWintersAnalysis: a constant is predicted exactly; a gap breaks the next prediction', () => {
  const flat = holtWintersAnalysis(new Float64Array(10).fill(5), 1, 3);
  assert.deepEqual([...flat.predictions], new Array(10).fill(5));
  assert.deepEqual([...flat.deviations], new Array(10).fill(0));
  const gap = holtWintersAnalysis(Float64Array.from([5, 5, Number.NaN, 5, 5]), 1, 2);
  assert.deepEqual(plain(gap.predictions), [5, 5, 5, null, 5]);
  // By hand, season of 2 points: intercept 0.1*4 + 0.9*2 = 2.2, slope 0.0035*0.2 = 0.0007, so the
  // third prediction is 2.2007 and its deviation 0.1*|6 - 2.2007| = 0.37993.
  const rising = holtWintersAnalysis(Float64Array.from([2, 4, 6]), 1, 2);
  const near = (got: Float64Array, want: number[]) => {
    for (let i = 0; i < want.length; i++)
      assert.ok(Math.abs(got[i] - want[i]) < 1e-12, `${got[i]}; want ${want[i]}`);
  };
  near(rising.predictions, [2, 2, 2.2007]);
  near(rising.deviations, [0, 0.2, 0.37993]);
});

test('bad arguments are refused with a message naming them', async () => {
  const bad: [string, RegExp][] = [
    ['summarize(a.b, "0s")', /invalid interval "0s": got 0 seconds; want more than 0/],
    ['integralByInterval(a.b, "0min")', /invalid intervalUnit "0min"/],
    ['movingAverage(a.b, "5parsecs")', /invalid interval "5parsecs"/],
    ['asPercent(a.b, group(a.c, a.d, a.e))', /reference 1 series or as many as the seriesList \(1\); got 3/],
    ['divideSeries(a.b, group(a.c, a.d))', /exactly 1 series \(got 2\)/],
    ['smartSummarize(a.b, "1h", "sum", "fortnights")', /parameter "alignTo" of function "smartSummarize"/],
    ['weightedAverage(a.b, group(a.c, a.d), 0)', /respectively 1 and 2/],
    ['holtWintersConfidenceArea(group(a.b, a.c), 3, "20s", "10s")', /exactly 1 series/],
  ];
  for (const [target, message] of bad)
    await assert.rejects(run(target), (e) => e instanceof QueryError && message.test(e.message), target);
});
