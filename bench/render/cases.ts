/** One measured request shape: the targets of each request and how many requests make one sample. */
export interface RenderCase {
  name: string;
  /** Functions the case needs; the case is skipped (and said so) when Carbonado lacks one. */
  needs: string[];
  /** Each inner list is one /render request's targets; one sample = all of them, `concurrency` at once. */
  requests: string[][];
  /** Requests in flight at once within a sample (a browser opens 6 connections per host). */
  concurrency: number;
  /** Extra query parameters. */
  query: string;
}

/** The cases of issue 3 item 10 over the tree of `tree.ts` (bench.h000.m0 ... bench.h099.m9). */
export function renderCases(hosts: number): RenderCase[] {
  const one = (name: string, needs: string[], target: string): RenderCase => ({
    name,
    needs,
    requests: [[target]],
    concurrency: 1,
    query: '',
  });
  return [
    one('sumSeries over all', ['sumSeries'], 'sumSeries(bench.*.*)'),
    one('highestAverage', ['highestAverage'], 'highestAverage(bench.*.*, 5)'),
    one('summarize of a sum', ['summarize', 'sumSeries'], 'summarize(sumSeries(bench.*.*), "1h", "sum")'),
    // 100 series in, 100 out: the answer is 864,000 points of JSON.
    one('movingAverage (100 series)', ['movingAverage'], 'movingAverage(bench.h00*.*, 60)'),
    {
      name: 'dashboard, 50 targets',
      needs: ['sumSeries', 'averageSeries', 'movingAverage', 'scale', 'alias'],
      requests: dashboardTargets(hosts).map((t) => [t]),
      concurrency: 6,
      // Grafana asks for about one point per pixel of the panel.
      query: '&maxDataPoints=800',
    },
  ];
}

/**
 * A 50-panel dashboard: one target per panel, one request each as Grafana sends them, over 50
 * hosts — raw series, sums, averages, a moving average, a scaled and aliased series.
 */
export function dashboardTargets(hosts: number): string[] {
  return Array.from({ length: 50 }, (_, i) => {
    const host = `bench.h${String(i % hosts).padStart(3, '0')}`;
    switch (i % 5) {
      case 0:
        return `${host}.*`;
      case 1:
        return `sumSeries(${host}.*)`;
      case 2:
        return `averageSeries(${host}.*)`;
      case 3:
        return `movingAverage(${host}.m1, 30)`;
      default:
        return `alias(scale(${host}.m2, 8), "${host} x8")`;
    }
  });
}
