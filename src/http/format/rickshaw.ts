import type { Series } from '../../storage/series.js';
import { type JsonTree, pyJsonIndented } from './pretty.js';
import { pyFloat, pyJsonString } from './python.js';

/**
 * graphite-web 1.1.8's renderViewRickshaw: json.dumps of
 * [{"target": name, "datapoints": [{"x": ts, "y": value}, ...]}] — no tags, no maxDataPoints,
 * gaps `null`, ±Infinity as json.dumps spells them (Infinity; upstream does not replace them here),
 * indented when `pretty`.
 */
export function renderRickshaw(seriesList: Series[], pretty: boolean): string {
  if (pretty) return pyJsonIndented(seriesList.map(rickshawTree));
  return `[${seriesList.map(rickshawSeries).join(', ')}]`;
}

function rickshawSeries(s: Series): string {
  const n = pointCount(s);
  const points = new Array<string>(n);
  for (let i = 0; i < n; i++) points[i] = `{"x": ${s.start + i * s.step}, "y": ${yValue(s.values[i])}}`;
  return `{"target": ${pyJsonString(s.name)}, "datapoints": [${points.join(', ')}]}`;
}

function rickshawTree(s: Series): JsonTree {
  const points: JsonTree[] = [];
  for (let i = 0; i < pointCount(s); i++)
    points.push(
      new Map<string, JsonTree>([
        ['x', { raw: String(s.start + i * s.step) }],
        ['y', { raw: yValue(s.values[i]) }],
      ]),
    );
  return new Map<string, JsonTree>([
    ['target', s.name],
    ['datapoints', points],
  ]);
}

// zip(range(start, end, step), series): as many points as the shorter of the two.
function pointCount(s: Series): number {
  return Math.min(s.values.length, Math.max(0, Math.ceil((s.end - s.start) / s.step)));
}

function yValue(v: number): string {
  return Number.isNaN(v) ? 'null' : pyFloat(v);
}
