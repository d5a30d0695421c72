/**
 * Overlays the cache's unpersisted points on values fetched from the store, as graphite-web 1.1.8
 * does with carbonlink data (readers/utils.py merge_with_cache):
 *
 * 1. carbon's cache keeps one value per timestamp (the last received) and answers in time order;
 * 2. when the finest archive's step (`rawStep`) is over 1 s, only the last point of each rawStep slot
 *    is kept — what whisper itself would keep;
 * 3. when the fetched step is coarser than rawStep (a lower archive was read), the points of each
 *    step slot are aggregated with the metric's aggregationMethod;
 * 4. each resulting point replaces the value at slot `floor((t - start) / step)`; points before
 *    `start` or past the end are ignored.
 *
 * `values` is modified in place and returned.
 */
export function mergeWithCache(
  cached: { timestamps: number[]; values: number[] },
  start: number,
  step: number,
  values: Float64Array,
  aggregationMethod: string,
  rawStep: number,
): Float64Array {
  const byTime = new Map<number, number>();
  for (let i = 0; i < cached.timestamps.length; i++) byTime.set(cached.timestamps[i], cached.values[i]);
  let points = [...byTime].sort((a, b) => a[0] - b[0]);

  if (rawStep > 1) {
    const slots = new Map<number, number>();
    for (const [t, v] of points) slots.set(t - pyMod(t, rawStep), v);
    points = [...slots];
  }
  if (step !== rawStep) {
    const groups = new Map<number, number[]>();
    for (const [t, v] of points) {
      const slot = t - pyMod(t, step);
      const g = groups.get(slot);
      if (g) g.push(v);
      else groups.set(slot, [v]);
    }
    points = [...groups].map(([slot, vs]) => [slot, aggregate(aggregationMethod, vs)]);
  }
  for (const [t, v] of points) {
    const i = Math.floor((t - start) / step);
    if (i >= 0 && i < values.length) values[i] = v;
  }
  return values;
}

/** Whisper's aggregation of the points in one slot (none are missing: they come from the cache). */
export function aggregate(method: string, vs: number[]): number {
  switch (method) {
    case 'average':
    case 'avg_zero': {
      let sum = 0;
      for (const v of vs) sum += v;
      return sum / vs.length;
    }
    case 'sum': {
      let sum = 0;
      for (const v of vs) sum += v;
      return sum;
    }
    // A reduce, not Math.max(...vs): one slot of a coarse archive can hold many cached points.
    case 'max':
      // biome-ignore lint/complexity/useMathMinMax: see above
      return vs.reduce((a, b) => (b > a ? b : a));
    case 'min':
      // biome-ignore lint/complexity/useMathMinMax: see above
      return vs.reduce((a, b) => (b < a ? b : a));
    case 'last':
      return vs[vs.length - 1];
    // graphite-web 1.1.8 raises (a 500) for these three; we aggregate as whisper does instead.
    case 'first':
      return vs[0];
    case 'absmax':
      return vs.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a));
    case 'absmin':
      return vs.reduce((a, b) => (Math.abs(b) < Math.abs(a) ? b : a));
    default:
      throw new Error(`BUG: unknown aggregationMethod "${method}"`);
  }
}

// Python's % (the sign follows the divisor), so slots of negative timestamps align as upstream.
function pyMod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
