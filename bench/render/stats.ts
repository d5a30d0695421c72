/** The nearest-rank percentile of samples (ms): p50 is the median, p99 of fewer than 100 is the max. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface JsonSeries {
  target: string;
  datapoints: [number | null, number][];
}

/**
 * Why two /render json answers differ (names, point counts, timestamps, values beyond a relative
 * 1e-9 — float sums in another order), or null when they agree: a benchmark of different answers
 * measures nothing.
 */
export function answerDifference(ours: string, theirs: string): string | null {
  const a = JSON.parse(ours) as JsonSeries[];
  const b = JSON.parse(theirs) as JsonSeries[];
  if (a.length !== b.length) return `${a.length} series; graphite-web ${b.length}`;
  for (let s = 0; s < a.length; s++) {
    if (a[s].target !== b[s].target) return `series ${s} is ${a[s].target}; graphite-web ${b[s].target}`;
    const [x, y] = [a[s].datapoints, b[s].datapoints];
    if (x.length !== y.length) return `${a[s].target}: ${x.length} points; graphite-web ${y.length}`;
    for (let i = 0; i < x.length; i++) {
      const [v, t] = x[i];
      const [w, u] = y[i];
      const same =
        v === w || (v !== null && w !== null && Math.abs(v - w) <= 1e-9 * Math.max(1, Math.abs(w)));
      if (t !== u || !same) return `${a[s].target} point ${i}: [${v}, ${t}]; graphite-web [${w}, ${u}]`;
    }
  }
  return null;
}
