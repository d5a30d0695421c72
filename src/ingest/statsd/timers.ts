/**
 * Timer statistics, computed as Etsy's statsd 0.9.0 lib/process_metrics.js computes them, in the same
 * order of floating-point operations so the values match to the last bit (cumulative sums left to
 * right, std from the sum of squared differences), and in the same order of names.
 */
import type { HistogramRule } from './config.js';

/** One statistic: the name below the timer's key (`mean_90`, `histogram.bin_10`) and its value. */
export type TimerStat = [name: string, value: number];

/**
 * The statistics of one timer over one flush interval. `values` must be sorted ascending (and is not
 * changed); `sampledCount` is the sum of 1/sampleRate over the samples; `flushInterval` is in ms.
 * An idle timer (no values) yields only count and count_ps, both 0, as Etsy does.
 *
 * One deliberate difference: for a negative (top) percentile that covers every value, Etsy reads
 * `cumulativeValues[-1]` and sends NaN for sum_topN and mean_topN; here the sum is the whole sum.
 */
export function timerStats(
  key: string,
  values: Float64Array,
  sampledCount: number,
  flushInterval: number,
  percentThreshold: readonly number[],
  histogram: readonly HistogramRule[],
): TimerStat[] {
  const out: TimerStat[] = [];
  const count = values.length;
  if (count === 0) {
    out.push(['count', 0], ['count_ps', 0]);
    return out;
  }
  const min = values[0];
  const max = values[count - 1];
  const cumulative = new Float64Array(count);
  const cumulativeSquares = new Float64Array(count);
  cumulative[0] = min;
  cumulativeSquares[0] = min * min;
  for (let i = 1; i < count; i++) {
    cumulative[i] = values[i] + cumulative[i - 1];
    cumulativeSquares[i] = values[i] * values[i] + cumulativeSquares[i - 1];
  }

  // With a single value every percentile is that value (process_metrics.js keeps the initial values).
  let sum = min;
  let sumSquares = min * min;
  let mean = min;
  let boundary = max;
  for (const pct of percentThreshold) {
    let n = count;
    if (count > 1) {
      n = Math.round((Math.abs(pct) / 100) * count);
      if (n === 0) continue;
      if (pct > 0) {
        boundary = values[n - 1];
        sum = cumulative[n - 1];
        sumSquares = cumulativeSquares[n - 1];
      } else {
        boundary = values[count - n];
        const below = count - n - 1;
        sum = below >= 0 ? cumulative[count - 1] - cumulative[below] : cumulative[count - 1];
        sumSquares =
          below >= 0 ? cumulativeSquares[count - 1] - cumulativeSquares[below] : cumulativeSquares[count - 1];
      }
      mean = sum / n;
    }
    const p = percentileName(pct);
    out.push(
      [`count_${p}`, n],
      [`mean_${p}`, mean],
      [`${pct > 0 ? 'upper' : 'lower'}_${p}`, boundary],
      [`sum_${p}`, sum],
      [`sum_squares_${p}`, sumSquares],
    );
  }

  sum = cumulative[count - 1];
  sumSquares = cumulativeSquares[count - 1];
  mean = sum / count;
  let sumOfDiffs = 0;
  for (let i = 0; i < count; i++) sumOfDiffs += (values[i] - mean) * (values[i] - mean);
  const mid = Math.floor(count / 2);
  const median = count % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  out.push(
    ['std', Math.sqrt(sumOfDiffs / count)],
    ['upper', max],
    ['lower', min],
    ['count', sampledCount],
    ['count_ps', sampledCount / (flushInterval / 1000)],
    ['sum', sum],
    ['sum_squares', sumSquares],
    ['mean', mean],
    ['median', median],
  );

  // The first rule whose metric is a substring of the key; values at or above the last finite bin
  // are not counted unless the last bin is 'inf' (process_metrics.js: "ignored, by design").
  const rule = histogram.find((r) => key.includes(r.metric));
  if (rule !== undefined) {
    let i = 0;
    for (const bin of rule.bins) {
      let freq = 0;
      for (; i < count && (bin === 'inf' || values[i] < bin); i++) freq++;
      out.push([`histogram.bin_${String(bin).replace('.', '_')}`, freq]);
    }
  }
  return out;
}

/** How a percentile appears in names: 90 → "90", 99.9 → "99_9", -10 → "top10" (process_metrics.js). */
export function percentileName(pct: number): string {
  return String(pct).replace('.', '_').replace('-', 'top');
}

/**
 * Keeps the statistics named in calculatedTimerMetrics (all when it is empty). Percentile statistics
 * match their `_percent` form; unlike Etsy's filter (`/_(top)?\d+$/`), so do decimal percentiles
 * (`upper_99_9` is an `upper_percent`), which Etsy drops.
 */
export function filterTimerStats(stats: TimerStat[], calculated: readonly string[]): TimerStat[] {
  if (calculated.length === 0) return stats;
  return stats.filter(([name]) => {
    const top = name.startsWith('histogram.') ? 'histogram' : name.replace(/_(top)?\d+(_\d+)?$/, '_percent');
    return calculated.includes(top);
  });
}
