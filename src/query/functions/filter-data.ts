import type { Series } from '../../storage/series.js';
import { QueryError } from '../errors.js';
import { numberArg, seriesListArg } from './args.js';
import { pyFloatStr, pyG } from './naming.js';
import { getPercentile } from './ranking.js';
import type { FunctionSpec, ParamSpec } from './registry.js';

// The Filter Data group and nPercentile (graphite-web 1.1.8, render/functions.py): functions that
// blank out values. Upstream renames the series in place to `func(name, %g)` — note the space — and
// sets its pathExpression to that name; tags stay, except that the percentile ones gain
// nPercentile=str(n): nPercentile's copy shares the Tags object of the series it was given.

const SERIES_LIST: ParamSpec = { name: 'seriesList', type: 'seriesList', required: true };
const N_FLOAT: ParamSpec = { name: 'n', type: 'float', required: true };

/** The series renamed `func(name, n)` with `keep(v)` deciding which values stay. */
function blank(
  s: Series,
  func: string,
  n: number,
  keep: (v: number) => boolean,
  tags: Record<string, string> = s.tags,
): Series {
  const name = `${func}(${s.name}, ${pyG(n)})`;
  const values = s.values.map((v) => (keep(v) ? v : Number.NaN));
  return { ...s, name, pathExpression: name, tags: { ...tags }, values };
}

/**
 * What nPercentile computes for one series: the nth percentile of its values, or undefined when it
 * has none (upstream skips the series). n = 0 is refused, as upstream's assert does.
 */
function seriesPercentile(s: Series, n: number): number | undefined {
  if (n === 0) throw new QueryError('nPercentile: the requested percent must be greater than 0; got 0');
  const p = getPercentile(s.values, n);
  return Number.isNaN(p) ? undefined : p;
}

/**
 * removeAbovePercentile / removeBelowPercentile. Upstream takes the percentile as the first value of
 * nPercentile's series; a series without values (or without room for a point) is only renamed.
 */
function byPercentile(func: string, above: boolean, description: string): FunctionSpec {
  return {
    name: func,
    group: 'Filter Data',
    params: [SERIES_LIST, N_FLOAT],
    description,
    impl: (_ctx, a) => {
      const n = numberArg(a, 'n');
      return seriesListArg(a, 'seriesList').map((s) => {
        const p = seriesPercentile(s, n);
        if (p === undefined) return blank(s, func, n, () => true);
        const tags = { ...s.tags, nPercentile: pyFloatStr(n) };
        if (pointCount(s) === 0) return blank(s, func, n, () => true, tags);
        return above
          ? blank(s, func, n, (v) => Number.isNaN(v) || v <= p, tags)
          : blank(s, func, n, (v) => !Number.isNaN(v) && v >= p, tags);
      });
    },
  };
}

// nPercentile's `int((s.end - s.start) / s.step)`.
function pointCount(s: Series): number {
  return Math.max(0, Math.trunc((s.end - s.start) / s.step));
}

/** The Filter Data family, with nPercentile (Calculate) that its percentile members are built on. */
export const FILTER_DATA: FunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.removeAboveValue
  {
    name: 'removeAboveValue',
    group: 'Filter Data',
    params: [SERIES_LIST, N_FLOAT],
    description: 'Blanks the values above n.',
    impl: (_ctx, a) => {
      const n = numberArg(a, 'n');
      return seriesListArg(a, 'seriesList').map((s) =>
        blank(s, 'removeAboveValue', n, (v) => Number.isNaN(v) || !(v > n)),
      );
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.removeBelowValue
  {
    name: 'removeBelowValue',
    group: 'Filter Data',
    params: [SERIES_LIST, N_FLOAT],
    description: 'Blanks the values below n.',
    impl: (_ctx, a) => {
      const n = numberArg(a, 'n');
      return seriesListArg(a, 'seriesList').map((s) =>
        blank(s, 'removeBelowValue', n, (v) => !Number.isNaN(v) && !(v < n)),
      );
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.removeAbovePercentile
  byPercentile('removeAbovePercentile', true, 'Blanks the values above the nth percentile of the series.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.removeBelowPercentile
  byPercentile('removeBelowPercentile', false, 'Blanks the values below the nth percentile of the series.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.nPercentile
  {
    name: 'nPercentile',
    group: 'Calculate',
    params: [SERIES_LIST, N_FLOAT],
    description: 'A flat line at the nth percentile of each series (series without values are left out).',
    impl: (_ctx, a) => {
      const n = numberArg(a, 'n');
      const out: Series[] = [];
      for (const s of seriesListArg(a, 'seriesList')) {
        const p = seriesPercentile(s, n);
        if (p === undefined) continue;
        const name = `nPercentile(${s.name}, ${pyG(n)})`;
        out.push({
          ...s,
          name,
          pathExpression: name,
          tags: { ...s.tags, nPercentile: pyFloatStr(n) },
          values: new Float64Array(pointCount(s)).fill(p),
        });
      }
      return out;
    },
  },
];
