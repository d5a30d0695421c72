import type { Series } from '../../storage/series.js';
import { QueryError } from '../errors.js';
import { parseTarget } from '../grammar/parser.js';
import { AGG_FUNCS, type AggFunc, getAggFunc } from './aggfuncs.js';
import { numberArg, optionalNumberArg, seriesListArg, seriesListsArg, stringArg } from './args.js';
import { getPercentile, py2Less, pyHead, sortByKey } from './ranking.js';
import { checkSubject, compileUserRegex, pySub } from './regex.js';
import type { BoundArgs, FunctionSpec, ParamSpec } from './registry.js';
import { xffRow } from './timeseries.js';

// The Filter Series group (graphite-web 1.1.8, render/functions.py): functions that keep or drop
// whole series and never change one. The series kept are the input series as they were — name,
// tags and pathExpression untouched — in the order upstream leaves them.

const SERIES_LIST: ParamSpec = { name: 'seriesList', type: 'seriesList', required: true };
const N_INTEGER: ParamSpec = { name: 'n', type: 'integer', required: true };
const N_FLOAT: ParamSpec = { name: 'n', type: 'float', required: true };

function aggFunc(name: string): AggFunc {
  const f = getAggFunc(name);
  if (!f) throw new Error(`BUG: aggFunc "${name}" passed the parameter check`);
  return f;
}

/**
 * operatorFuncs of filterSeries. A series without a value (None) passes '!=', '<' and '<=' and
 * fails the others, as upstream's lambdas say.
 */
const OPERATORS: Record<string, (v: number, threshold: number) => boolean> = {
  '=': (v, t) => !Number.isNaN(v) && v === t,
  '!=': (v, t) => Number.isNaN(v) || v !== t,
  '>': (v, t) => !Number.isNaN(v) && v > t,
  '>=': (v, t) => !Number.isNaN(v) && v >= t,
  '<': (v, t) => Number.isNaN(v) || v < t,
  '<=': (v, t) => Number.isNaN(v) || v <= t,
};

function filterSeries(seriesList: Series[], func: string, operator: string, threshold: number): Series[] {
  const consolidate = aggFunc(func);
  const test = OPERATORS[operator];
  if (!test) throw new QueryError(`filterSeries: unsupported operator ${JSON.stringify(operator)}`);
  return seriesList.filter((s) => test(consolidate(s.values), threshold));
}

/** maximumAbove and friends: filterSeries with a fixed aggregation and operator. */
function threshold(name: string, func: string, operator: string, description: string): FunctionSpec {
  return {
    name,
    group: 'Filter Series',
    params: [SERIES_LIST, N_FLOAT],
    description,
    impl: (_ctx, a) => filterSeries(seriesListArg(a, 'seriesList'), func, operator, numberArg(a, 'n')),
  };
}

/** highest / lowest: the first n after sorting by an aggregation (None ranks lowest). */
function ranked(a: BoundArgs, func: string, highestFirst: boolean): Series[] {
  const sorted = sortByKey(seriesListArg(a, 'seriesList'), aggFunc(func), highestFirst);
  return pyHead(sorted, numberArg(a, 'n'));
}

/** highestCurrent and friends: highest / lowest with a fixed aggregation. */
function rankedBy(name: string, func: string, highestFirst: boolean, description: string): FunctionSpec {
  return {
    name,
    group: 'Filter Series',
    params: [SERIES_LIST, N_INTEGER],
    description,
    impl: (_ctx, a) => ranked(a, func, highestFirst),
  };
}

// mostDeviant's measure: the population variance (upstream calls it sigma but takes no root;
// the order is the same). NaN for a series without values, which upstream leaves out.
function variance(values: Float64Array): number {
  const mean = AGG_FUNCS.average(values);
  if (Number.isNaN(mean)) return Number.NaN;
  let squares = 0;
  let count = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    squares += (v - mean) * (v - mean);
    count++;
  }
  return squares / count;
}

/** The Filter Series family. */
export const FILTER_SERIES: FunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.filterSeries
  {
    name: 'filterSeries',
    group: 'Filter Series',
    params: [
      SERIES_LIST,
      { name: 'func', type: 'aggFunc', required: true },
      { name: 'operator', type: 'string', required: true, options: Object.keys(OPERATORS).sort() },
      { name: 'threshold', type: 'float', required: true },
    ],
    description: 'Keeps the series whose aggregated value (max, average...) passes the comparison.',
    impl: (_ctx, a) =>
      filterSeries(
        seriesListArg(a, 'seriesList'),
        stringArg(a, 'func'),
        stringArg(a, 'operator'),
        numberArg(a, 'threshold'),
      ),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.maximumAbove
  threshold('maximumAbove', 'max', '>', 'Keeps the series whose maximum is above n.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.maximumBelow
  threshold('maximumBelow', 'max', '<=', 'Keeps the series whose maximum is at most n.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.minimumAbove
  threshold('minimumAbove', 'min', '>', 'Keeps the series whose minimum is above n.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.minimumBelow
  threshold('minimumBelow', 'min', '<=', 'Keeps the series whose minimum is at most n.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.averageAbove
  threshold('averageAbove', 'average', '>', 'Keeps the series whose average is above n.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.averageBelow
  threshold('averageBelow', 'average', '<=', 'Keeps the series whose average is at most n.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.currentAbove
  threshold('currentAbove', 'last', '>', 'Keeps the series whose last value is above n.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.currentBelow
  threshold('currentBelow', 'last', '<=', 'Keeps the series whose last value is at most n.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.highest
  {
    name: 'highest',
    group: 'Filter Series',
    params: [SERIES_LIST, N_INTEGER, { name: 'func', type: 'aggFunc', default: 'average' }],
    description: 'The n series with the highest aggregated value (average unless told).',
    impl: (_ctx, a) => ranked(a, stringArg(a, 'func'), true),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.lowest
  {
    name: 'lowest',
    group: 'Filter Series',
    params: [SERIES_LIST, N_INTEGER, { name: 'func', type: 'aggFunc', default: 'average' }],
    description: 'The n series with the lowest aggregated value (average unless told).',
    impl: (_ctx, a) => ranked(a, stringArg(a, 'func'), false),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.highestAverage
  rankedBy('highestAverage', 'average', true, 'The n series with the highest average.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.highestCurrent
  rankedBy('highestCurrent', 'current', true, 'The n series with the highest last value.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.highestMax
  rankedBy('highestMax', 'max', true, 'The n series with the highest maximum.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.lowestAverage
  rankedBy('lowestAverage', 'average', false, 'The n series with the lowest average.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.lowestCurrent
  rankedBy('lowestCurrent', 'current', false, 'The n series with the lowest last value.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.mostDeviant
  {
    name: 'mostDeviant',
    group: 'Filter Series',
    params: [SERIES_LIST, N_INTEGER],
    description: 'The n series that deviate most from their own average (by variance).',
    impl: (_ctx, a) => {
      const withValues = seriesListArg(a, 'seriesList').filter((s) => !Number.isNaN(variance(s.values)));
      return pyHead(sortByKey(withValues, variance, true), numberArg(a, 'n'));
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.limit
  {
    name: 'limit',
    group: 'Filter Series',
    params: [SERIES_LIST, N_INTEGER],
    description: 'The first n series.',
    impl: (_ctx, a) => pyHead(seriesListArg(a, 'seriesList'), numberArg(a, 'n')),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.exclude
  {
    name: 'exclude',
    group: 'Filter Series',
    params: [SERIES_LIST, { name: 'pattern', type: 'string', required: true }],
    description: 'Drops the series whose name matches the regular expression (Python syntax, bounded).',
    impl: (_ctx, a) => {
      const re = compileUserRegex(stringArg(a, 'pattern'), 'exclude');
      return seriesListArg(a, 'seriesList').filter((s) => !re.test(checkSubject(s.name, 'exclude')));
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.grep
  {
    name: 'grep',
    group: 'Filter Series',
    params: [SERIES_LIST, { name: 'pattern', type: 'string', required: true }],
    description: 'Keeps the series whose name matches the regular expression (Python syntax, bounded).',
    impl: (_ctx, a) => {
      const re = compileUserRegex(stringArg(a, 'pattern'), 'grep');
      return seriesListArg(a, 'seriesList').filter((s) => re.test(checkSubject(s.name, 'grep')));
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.removeEmptySeries
  {
    name: 'removeEmptySeries',
    group: 'Filter Series',
    params: [SERIES_LIST, { name: 'xFilesFactor', type: 'float' }],
    description: 'Drops the series without values (or with too few for the xFilesFactor, 0 by default).',
    impl: (_ctx, a) => {
      const xFilesFactor = optionalNumberArg(a, 'xFilesFactor') ?? 0;
      return seriesListArg(a, 'seriesList').filter((s) => xffRow(s.values, xFilesFactor));
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.unique
  {
    name: 'unique',
    group: 'Filter Series',
    params: [{ name: 'seriesLists', type: 'seriesList', required: true, multiple: true }],
    description: 'The series of all lists, each name once (the first series of that name).',
    impl: (_ctx, a) => {
      const seen = new Set<string>();
      const out: Series[] = [];
      for (const s of seriesListsArg(a, 'seriesLists').flat()) {
        if (seen.has(s.name)) continue;
        seen.add(s.name);
        out.push(s);
      }
      return out;
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.averageOutsidePercentile
  {
    name: 'averageOutsidePercentile',
    group: 'Filter Series',
    params: [SERIES_LIST, N_FLOAT],
    description: 'Keeps the series whose average lies outside the n-th percentile band of all averages.',
    impl: (_ctx, a) => {
      const seriesList = seriesListArg(a, 'seriesList');
      const averages = seriesList.map((s) => AGG_FUNCS.average(s.values));
      const given = numberArg(a, 'n');
      const n = given < 50 ? 100 - given : given;
      const low = getPercentile(averages, 100 - n);
      const high = getPercentile(averages, n);
      // A series without an average is kept: under Python 2, which this was written for, None
      // sorts below every number, so it is not inside the band (Python 3 raises, a 500).
      return seriesList.filter((_, i) => !(py2Less(low, averages[i]) && py2Less(averages[i], high)));
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.removeBetweenPercentile
  {
    name: 'removeBetweenPercentile',
    group: 'Filter Series',
    params: [SERIES_LIST, N_FLOAT],
    description: 'Keeps the series with at least one value outside the n-th percentile band at its time.',
    impl: (_ctx, a) => removeBetweenPercentile(seriesListArg(a, 'seriesList'), numberArg(a, 'n')),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.useSeriesAbove
  {
    name: 'useSeriesAbove',
    group: 'Filter Series',
    params: [
      SERIES_LIST,
      { name: 'value', type: 'float', required: true },
      { name: 'search', type: 'string', required: true },
      { name: 'replace', type: 'string', required: true },
    ],
    description: 'For each series whose maximum is above value, draws the series named by a regex rewrite.',
    impl: async (ctx, a) => {
      const re = compileUserRegex(stringArg(a, 'search'), 'useSeriesAbove', 'g');
      const replacement = stringArg(a, 'replace');
      const value = numberArg(a, 'value');
      const names = seriesListArg(a, 'seriesList')
        .filter((s) => AGG_FUNCS.max(s.values) > value)
        .map((s) => pySub(re, replacement, checkSubject(s.name, 'useSeriesAbove')));
      if (names.length === 0) return [];
      // Upstream evaluates `group(name1,name2,...)` as a new target in a fresh fetch context.
      const target = `group(${names.join(',')})`;
      let node: ReturnType<typeof parseTarget>;
      try {
        node = parseTarget(target);
      } catch (err) {
        throw new QueryError(
          `useSeriesAbove: the rewritten target ${target} is invalid: ${(err as Error).message}`,
        );
      }
      const found = await ctx.evaluateOver(node, ctx.window);
      return found.filter((s) => s.values.length > 0);
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.fallbackSeries
  {
    name: 'fallbackSeries',
    group: 'Special',
    params: [SERIES_LIST, { name: 'fallback', type: 'seriesList', required: true }],
    description: 'The seriesList, or the fallback seriesList when it holds no series.',
    impl: (_ctx, a) => {
      const seriesList = seriesListArg(a, 'seriesList');
      return seriesList.length > 0 ? seriesList : seriesListArg(a, 'fallback');
    },
  },
];

/**
 * removeBetweenPercentile: per timestamp, the (100-n)th and nth percentiles across the series; a
 * series is kept when some value is not strictly between them. Upstream's `zip(*seriesList)` cuts
 * the columns to the shortest series and compares None under Python 3 (raising); we take each
 * column over the series that reach it and compare None as Python 2 did (below every number).
 */
function removeBetweenPercentile(seriesList: Series[], given: number): Series[] {
  const n = given < 50 ? 100 - given : given;
  const length = Math.max(0, ...seriesList.map((s) => s.values.length));
  const low = new Float64Array(length);
  const high = new Float64Array(length);
  const column: number[] = [];
  for (let i = 0; i < length; i++) {
    column.length = 0;
    for (const s of seriesList) if (i < s.values.length) column.push(s.values[i]);
    low[i] = getPercentile(column, 100 - n);
    high[i] = getPercentile(column, n);
  }
  return seriesList.filter((s) => s.values.some((v, i) => !(py2Less(low[i], v) && py2Less(v, high[i]))));
}
