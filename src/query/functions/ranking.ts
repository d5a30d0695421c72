import type { Series } from '../../storage/series.js';
import { QueryError } from '../errors.js';

// How graphite-web 1.1.8 ranks and cuts seriesLists (render/functions.py): the keyFunc wrapper that
// sorts a series without a value as -inf, Python's stable sort (also when reversed), its list
// slicing, and the NIST percentile (_getPercentile) the percentile filters share.

/** A per-series ranking value: NaN where graphite-web's function answers None. */
export type SeriesKey = (values: Float64Array) => number;

/**
 * `seriesList.sort(key=keyFunc(f), reverse=...)` on a copy: keyFunc ranks None as -inf; Python's sort
 * is stable, and with reverse=True equal keys still keep their order (it is not a reversed sort).
 */
export function sortByKey(seriesList: Series[], key: SeriesKey, reverse = false): Series[] {
  const keyed = seriesList.map((s) => {
    const k = key(s.values);
    return { s, k: Number.isNaN(k) ? Number.NEGATIVE_INFINITY : k };
  });
  const sign = reverse ? -1 : 1;
  keyed.sort((a, b) => (a.k < b.k ? -sign : a.k > b.k ? sign : 0));
  return keyed.map(({ s }) => s);
}

/** Python's `list[:n]`: the first n items, a negative n leaving that many off the end. */
export function pyHead<T>(list: T[], n: number): T[] {
  return list.slice(0, n < 0 ? Math.max(0, list.length + n) : n);
}

/**
 * Python 2's `a < b` where None (NaN here) sorts below every number. graphite-web's percentile
 * filters compare possibly-None values this way; under Python 3 those comparisons raise (a 500),
 * so we keep the ordering the code was written for.
 */
export function py2Less(a: number, b: number): boolean {
  if (Number.isNaN(b)) return false;
  if (Number.isNaN(a)) return true;
  return a < b;
}

/**
 * _getPercentile: the nth percentile of the non-null values by the NIST handbook's rank
 * ((n/100)·(count+1)), nearest rank unless `interpolate`; NaN when there are no values. A rank past
 * the end (n > 100) is an IndexError upstream, a QueryError here; a negative rank indexes from the
 * end as Python does.
 */
export function getPercentile(points: ArrayLike<number>, n: number, interpolate = false): number {
  const sorted: number[] = [];
  for (let i = 0; i < points.length; i++) if (!Number.isNaN(points[i])) sorted.push(points[i]);
  if (sorted.length === 0) return Number.NaN;
  sorted.sort((x, y) => x - y);
  const fractionalRank = (n / 100) * (sorted.length + 1);
  let rank = Math.trunc(fractionalRank);
  const rankFraction = fractionalRank - rank;
  if (!interpolate) rank += Math.ceil(rankFraction);
  let percentile: number;
  if (rank === 0) percentile = sorted[0];
  else if (rank - 1 === sorted.length) percentile = sorted[sorted.length - 1];
  else {
    const i = rank - 1 < 0 ? sorted.length + rank - 1 : rank - 1;
    if (i < 0 || i >= sorted.length)
      throw new QueryError(`percentile ${n} is out of range for ${sorted.length} values`);
    percentile = sorted[i];
  }
  if (interpolate && rank !== sorted.length) {
    const next = sorted[rank < 0 ? sorted.length + rank : rank];
    if (next === undefined)
      throw new QueryError(`percentile ${n} is out of range for ${sorted.length} values`);
    percentile = percentile + rankFraction * (next - percentile);
  }
  return percentile;
}
