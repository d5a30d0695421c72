import type { AggFunc } from './aggfuncs.js';

// The values of graphite-web 1.1.8's movingWindow (render/functions.py): for each point from
// windowPoints on, the aggregate of the non-null values among the windowPoints points before it
// (`nonNull = [v for v in series[i - windowPoints:i] if v is not None]`), None when nonNull is empty
// or short of the xFilesFactor.
//
// Each window is summed afresh, left to right, as upstream's sum(nonNull) does: a running sum that
// adds the new point and subtracts the old one would be O(n) instead of O(n * window) but rounds
// differently (and loses small values next to huge ones), and the answers must match graphite-web's.

/**
 * movingSum/movingAverage values: for each i >= windowPoints, the sum (or average) of the non-null
 * values in [i - windowPoints, i), or NaN when they are too few for the xFilesFactor.
 */
export function windowSums(
  values: Float64Array,
  windowPoints: number,
  xff: number,
  average: boolean,
): Float64Array {
  const out = new Float64Array(Math.max(0, values.length - windowPoints));
  const put = (i: number, sum: number, count: number) => {
    const ok = count > 0 && count / windowPoints >= xff;
    out[i - windowPoints] = ok ? (average ? sum / count : sum) : Number.NaN;
  };
  // Four windows at a time: each sum is still its own chain of additions in upstream's order, but
  // four independent chains keep the adder busy where one waits on the previous addition.
  let i = windowPoints;
  for (; i + 3 < values.length; i += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let c3 = 0;
    // The window of i is the points before i, not i itself (series[i - windowPoints:i]).
    for (let j = i - windowPoints; j < i; j++) {
      const v0 = values[j];
      const v1 = values[j + 1];
      const v2 = values[j + 2];
      const v3 = values[j + 3];
      if (!Number.isNaN(v0)) {
        s0 += v0;
        c0++;
      }
      if (!Number.isNaN(v1)) {
        s1 += v1;
        c1++;
      }
      if (!Number.isNaN(v2)) {
        s2 += v2;
        c2++;
      }
      if (!Number.isNaN(v3)) {
        s3 += v3;
        c3++;
      }
    }
    put(i, s0, c0);
    put(i + 1, s1, c1);
    put(i + 2, s2, c2);
    put(i + 3, s3, c3);
  }
  for (; i < values.length; i++) {
    let sum = 0;
    let count = 0;
    for (let j = i - windowPoints; j < i; j++) {
      const v = values[j];
      if (!Number.isNaN(v)) {
        sum += v;
        count++;
      }
    }
    put(i, sum, count);
  }
  return out;
}

/** The same for any aggregation function, which sees only the window's non-null values, as upstream's. */
export function windowAggregates(
  values: Float64Array,
  windowPoints: number,
  xff: number,
  aggregate: AggFunc,
): Float64Array {
  const out = new Float64Array(Math.max(0, values.length - windowPoints));
  const nonNull = new Float64Array(Math.max(0, windowPoints));
  for (let i = windowPoints; i < values.length; i++) {
    let count = 0;
    for (let j = i - windowPoints; j < i; j++) if (!Number.isNaN(values[j])) nonNull[count++] = values[j];
    const ok = count > 0 && count / windowPoints >= xff;
    out[i - windowPoints] = ok ? aggregate(nonNull.subarray(0, count)) : Number.NaN;
  }
  return out;
}
