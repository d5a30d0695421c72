import type { AggregationMethod } from './format.js';

/**
 * Combines the points of one lower-archive interval, exactly as whisper.py's `aggregate` does.
 *
 * `values[i]` is the value of the i-th higher-archive slot in the interval and `known[i]` is 1 when
 * that slot held a point for the interval (0 for "None"). A known value may itself be NaN (whisper
 * stores float('nan') like any float), which is why knownness is separate from the value.
 * The caller guarantees at least one known value.
 *
 * Python semantics kept on purpose, so propagated points are bit-identical:
 * - sums start at integer 0 and add left to right (CPython 3.11's plain float sum, no compensation);
 * - max/min/absmax/absmin keep the first value and replace it only when a later one compares
 *   strictly greater/smaller, so NaN placement decides the result as it does for Python's max();
 * - avg_zero averages over all slots with None and 0 counted as 0 (`x or 0`), NaN stays NaN.
 */
export function aggregate(
  method: AggregationMethod,
  values: Float64Array,
  known: Uint8Array,
  count: number,
): number {
  switch (method) {
    case 'average':
    case 'sum': {
      let sum = 0;
      let n = 0;
      for (let i = 0; i < count; i++) {
        if (known[i]) {
          sum += values[i];
          n++;
        }
      }
      return method === 'sum' ? sum : sum / n;
    }
    case 'last': {
      for (let i = count - 1; i >= 0; i--) if (known[i]) return values[i];
      break;
    }
    case 'max':
    case 'min':
    case 'absmax':
    case 'absmin': {
      const abs = method === 'absmax' || method === 'absmin';
      const greater = method === 'max' || method === 'absmax';
      let best = 0;
      let bestKey = 0;
      let seen = false;
      for (let i = 0; i < count; i++) {
        if (!known[i]) continue;
        const v = values[i];
        const key = abs ? Math.abs(v) : v;
        if (!seen || (greater ? key > bestKey : key < bestKey)) {
          best = v;
          bestKey = key;
          seen = true;
        }
      }
      if (seen) return best;
      break;
    }
    case 'avg_zero': {
      let sum = 0;
      for (let i = 0; i < count; i++) {
        // `x or 0`: None and ±0.0 add 0; NaN is truthy in Python and stays.
        if (known[i] && values[i] !== 0) sum += values[i];
      }
      return sum / count;
    }
  }
  throw new Error(`BUG: aggregate(${method}) called without a known value`);
}
