import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterTimerStats, percentileName, timerStats } from './timers.js';

const ONE_TO_TEN = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

describe('statsd timerStats', () => {
  it('computes every statistic of 1..10 (sampled at 0.5) as process_metrics.js does', () => {
    const got = timerStats(
      'api.get',
      ONE_TO_TEN,
      20,
      10_000,
      [90, -10, 50.5],
      [{ metric: 'api', bins: [3, 7.5, 'inf'] }],
    );
    assert.deepEqual(got, [
      ['count_90', 9],
      ['mean_90', 5],
      ['upper_90', 9],
      ['sum_90', 45],
      ['sum_squares_90', 285],
      ['count_top10', 1],
      ['mean_top10', 10],
      ['lower_top10', 10],
      ['sum_top10', 10],
      ['sum_squares_top10', 100],
      // round(0.505 * 10) = 5
      ['count_50_5', 5],
      ['mean_50_5', 3],
      ['upper_50_5', 5],
      ['sum_50_5', 15],
      ['sum_squares_50_5', 55],
      ['std', Math.sqrt(8.25)],
      ['upper', 10],
      ['lower', 1],
      ['count', 20],
      ['count_ps', 2],
      ['sum', 55],
      ['sum_squares', 385],
      ['mean', 5.5],
      ['median', 5.5],
      ['histogram.bin_3', 2],
      ['histogram.bin_7_5', 5],
      ['histogram.bin_inf', 3],
    ]);
  });

  it('skips a percentile that covers no value and keeps single values whole', () => {
    const two = timerStats('t', Float64Array.from([1, 3]), 2, 1000, [10], []);
    assert.equal(
      two.find(([n]) => n.endsWith('_10')),
      undefined,
    );
    const one = new Map(timerStats('t', Float64Array.from([7]), 1, 1000, [90, -50], []));
    assert.equal(one.get('upper_90'), 7);
    assert.equal(one.get('lower_top50'), 7);
    assert.equal(one.get('median'), 7);
    assert.equal(one.get('std'), 0);
  });

  it('gives the whole sum, not NaN, for a top percentile that covers every value', () => {
    const got = new Map(timerStats('t', ONE_TO_TEN, 10, 1000, [-100], []));
    assert.equal(got.get('sum_top100'), 55);
    assert.equal(got.get('mean_top100'), 5.5);
    assert.equal(got.get('lower_top100'), 1);
  });

  it('stops counting at the last finite bin (no inf bin), as Etsy does by design', () => {
    const got = timerStats('t', ONE_TO_TEN, 10, 1000, [], [{ metric: '', bins: [5] }]);
    assert.deepEqual(got.slice(-1), [['histogram.bin_5', 4]]);
  });

  it('reports an idle timer as count 0 and count_ps 0 only', () => {
    assert.deepEqual(timerStats('t', new Float64Array(0), 0, 1000, [90], []), [
      ['count', 0],
      ['count_ps', 0],
    ]);
  });

  it('filters by calculatedTimerMetrics, decimal percentiles included', () => {
    const all = timerStats('a', ONE_TO_TEN, 10, 1000, [99.9, -10], [{ metric: 'a', bins: ['inf'] }]);
    const got = filterTimerStats(all, ['upper_percent', 'median', 'histogram']).map(([n]) => n);
    assert.deepEqual(got, ['upper_99_9', 'median', 'histogram.bin_inf']);
    assert.equal(filterTimerStats(all, []), all);
  });

  it('names percentiles as Etsy does', () => {
    assert.deepEqual([90, 99.9, -10, -99.5].map(percentileName), ['90', '99_9', 'top10', 'top99_5']);
  });
});
