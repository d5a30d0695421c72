import type { Series } from '../../storage/series.js';
import { QueryError } from '../errors.js';
import { aggregateSeries } from './aggregate.js';
import {
  booleanArg,
  nodesArg,
  numberArg,
  optionalNumberArg,
  seriesListArg,
  seriesListsArg,
  stringArg,
} from './args.js';
import { aggKey, pyG } from './naming.js';
import { getPercentile } from './ranking.js';
import type { BoundArgs, FunctionContext, FunctionSpec, ParamSpec } from './registry.js';
import { formatPathExpressions, mapRows, newSeries, normalize } from './timeseries.js';

// The Combine group: functions that merge several series into one or a few (graphite-web 1.1.8,
// render/functions.py). Doc: https://graphite.readthedocs.io/en/1.1.8/functions.html

const SERIES_LISTS: ParamSpec = { name: 'seriesLists', type: 'seriesList', required: true, multiple: true };
const SERIES_LIST: ParamSpec = { name: 'seriesList', type: 'seriesList', required: true };
const FIRST: ParamSpec = { name: 'seriesListFirstPos', type: 'seriesList', required: true };
const SECOND: ParamSpec = { name: 'seriesListSecondPos', type: 'seriesList', required: true };

/** An aggregate() shorthand over any number of seriesLists (sumSeries, maxSeries...). */
function aggregator(name: string, func: string, description: string, aliases?: string[]): FunctionSpec {
  return {
    name,
    aliases,
    group: 'Combine',
    params: [SERIES_LISTS],
    description,
    aggregator: true,
    impl: (ctx, a) => aggregateSeries(seriesListsArg(a, 'seriesLists'), func, ctx.xFilesFactor),
  };
}

/** An aggregateSeriesLists() shorthand (sumSeriesLists, diffSeriesLists...). */
function pairwise(name: string, func: string, description: string): FunctionSpec {
  return {
    name,
    group: 'Combine',
    params: [FIRST, SECOND],
    description,
    aggregator: true,
    impl: (ctx, a) =>
      aggregatePairs(seriesListArg(a, FIRST.name), seriesListArg(a, SECOND.name), func, ctx.xFilesFactor),
  };
}

/** An aggregateWithWildcards() shorthand (sumSeriesWithWildcards...). */
function withWildcards(name: string, func: string, description: string): FunctionSpec {
  return {
    name,
    group: 'Combine',
    params: [SERIES_LIST, { name: 'position', type: 'node', multiple: true }],
    description,
    aggregator: true,
    impl: (ctx, a) =>
      aggregateWildcards(
        seriesListArg(a, 'seriesList'),
        func,
        nodesArg(a, 'position') as number[],
        ctx.xFilesFactor,
      ),
  };
}

// aggregateSeriesLists: list1[i] with list2[i], named `<func>Series(<name1>,<name2>)`.
function aggregatePairs(first: Series[], second: Series[], func: string, xFilesFactor: number): Series[] {
  if (first.length !== second.length)
    throw new QueryError(
      `seriesListFirstPos and seriesListSecondPos must have equal length: got ${first.length} and ${second.length}`,
    );
  const out: Series[] = [];
  for (let i = 0; i < first.length; i++) {
    const [r] = aggregateSeries([[first[i], second[i]]], func, xFilesFactor);
    if (!r) continue;
    const name = `${r.name.slice(0, r.name.indexOf('Series('))}Series(${first[i].name},${second[i].name})`;
    out.push({ ...r, name });
  }
  return out;
}

// aggregateWithWildcards: groups by the name without the given (non-negative) node positions, in
// order of first appearance; each group aggregated and named by its key.
function aggregateWildcards(
  seriesList: Series[],
  func: string,
  positions: number[],
  xFilesFactor: number,
): Series[] {
  const groups = new Map<string, Series[]>();
  for (const s of seriesList) {
    const key = s.name
      .split('.')
      .filter((_, i) => !positions.includes(i))
      .join('.');
    const g = groups.get(key);
    if (g) g.push(s);
    else groups.set(key, [s]);
  }
  return [...groups].map(([key, group]) => ({
    ...aggregateSeries([group], func, xFilesFactor)[0],
    name: key,
  }));
}

// groupByNodes: groups by aggKey; a callback naming an aggregator function (sumSeries, sum...) is
// called with the group, any other is an aggregate() function name.
async function groupByNodes(
  ctx: FunctionContext,
  seriesList: Series[],
  callback: string,
  nodes: (number | string)[],
): Promise<Series[]> {
  const groups = new Map<string, Series[]>();
  for (const s of seriesList) {
    const key = aggKey(s, nodes);
    const g = groups.get(key);
    if (g) g.push(s);
    else groups.set(key, [s]);
  }
  const out: Series[] = [];
  const found = ctx.lookup(callback);
  const fn = found?.aggregator ? found : undefined;
  for (const [key, group] of groups) {
    let result: Series[];
    if (fn) {
      const first = fn.params[0];
      const bound: BoundArgs = new Map([[first.name, first.multiple ? [group] : group]]);
      for (const p of fn.params.slice(1)) bound.set(p.name, p.multiple ? [] : (p.default ?? null));
      result = await fn.impl(ctx, bound);
    } else result = aggregateSeries([group], callback, ctx.xFilesFactor);
    out.push({ ...result[0], name: key });
  }
  return out;
}

/** The Combine family. */
export const COMBINE: FunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.aggregate
  {
    name: 'aggregate',
    group: 'Combine',
    params: [
      SERIES_LIST,
      { name: 'func', type: 'aggFunc', required: true },
      { name: 'xFilesFactor', type: 'float' },
    ],
    description: 'Aggregates the series at each point with the given function (sum, average, max...).',
    impl: (ctx, a) =>
      aggregateSeries(
        [seriesListArg(a, 'seriesList')],
        stringArg(a, 'func'),
        optionalNumberArg(a, 'xFilesFactor') ?? ctx.xFilesFactor,
      ),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.aggregateSeriesLists
  {
    name: 'aggregateSeriesLists',
    group: 'Combine',
    params: [
      FIRST,
      SECOND,
      { name: 'func', type: 'aggFunc', required: true },
      { name: 'xFilesFactor', type: 'float' },
    ],
    description: 'Aggregates the nth series of the first list with the nth of the second.',
    impl: (ctx, a) =>
      aggregatePairs(
        seriesListArg(a, FIRST.name),
        seriesListArg(a, SECOND.name),
        stringArg(a, 'func'),
        optionalNumberArg(a, 'xFilesFactor') ?? ctx.xFilesFactor,
      ),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.sumSeries
  aggregator('sumSeries', 'sum', 'Adds the series together point by point.', ['sum']),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.averageSeries
  aggregator('averageSeries', 'average', 'Averages the series point by point.', ['avg']),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.maxSeries
  aggregator('maxSeries', 'max', 'The highest value of the series at each point.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.minSeries
  aggregator('minSeries', 'min', 'The lowest value of the series at each point.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.diffSeries
  aggregator('diffSeries', 'diff', 'Subtracts the second and later series from the first.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.stddevSeries
  aggregator('stddevSeries', 'stddev', 'The standard deviation of the series at each point.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.rangeOfSeries
  aggregator('rangeOfSeries', 'rangeOf', 'The highest minus the lowest value at each point.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.multiplySeries
  {
    ...aggregator('multiplySeries', 'multiply', 'Multiplies the series point by point.'),
    // Upstream's legacy case: one list holding one series comes back as it is.
    impl: (ctx, a) => {
      const lists = seriesListsArg(a, 'seriesLists');
      if (lists.length === 1 && lists[0].length === 1) return lists[0];
      return aggregateSeries(lists, 'multiply', ctx.xFilesFactor);
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.sumSeriesLists
  pairwise('sumSeriesLists', 'sum', 'Adds the nth series of the first list and of the second.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.diffSeriesLists
  pairwise('diffSeriesLists', 'diff', 'Subtracts the nth series of the second list from the first.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.multiplySeriesLists
  pairwise('multiplySeriesLists', 'multiply', 'Multiplies the nth series of the first list and the second.'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.countSeries
  {
    name: 'countSeries',
    group: 'Combine',
    params: [{ name: 'seriesLists', type: 'seriesList', multiple: true }],
    description: 'The number of series at each point.',
    aggregator: true,
    impl: (ctx, a) => {
      const lists = seriesListsArg(a, 'seriesLists');
      if (lists.length === 0) {
        // constantLine(0) under countSeries' name: three points across the window.
        const { from, until } = ctx.window;
        const step = Math.trunc((until - from) / 2);
        const s = newSeries('0', from, until, step, Float64Array.of(0, 0, 0), {
          xFilesFactor: ctx.xFilesFactor,
        });
        return [{ ...s, pathExpression: 'countSeries()' }];
      }
      const norm = normalize(lists);
      if (!norm) return [];
      const name = `countSeries(${formatPathExpressions(norm.series)})`;
      const values = mapRows(norm.rows, (row) => row.length);
      return [newSeries(name, norm.start, norm.end, norm.step, values, { xFilesFactor: ctx.xFilesFactor })];
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.percentileOfSeries
  {
    name: 'percentileOfSeries',
    group: 'Combine',
    params: [
      SERIES_LIST,
      { name: 'n', type: 'float', required: true },
      { name: 'interpolate', type: 'boolean', default: false },
    ],
    description: 'The nth percentile of the series at each point.',
    impl: (ctx, a) => {
      const seriesList = seriesListArg(a, 'seriesList');
      const n = numberArg(a, 'n');
      if (n <= 0)
        throw new QueryError(`percentileOfSeries: the percent must be greater than 0; got ${pyG(n)}`);
      const norm = normalize([seriesList]);
      if (!norm) return [];
      const name = `percentileOfSeries(${seriesList[0].pathExpression},${pyG(n)})`;
      const interpolate = booleanArg(a, 'interpolate');
      const values = mapRows(norm.rows, (row) => getPercentile(row, n, interpolate));
      return [newSeries(name, norm.start, norm.end, norm.step, values, { xFilesFactor: ctx.xFilesFactor })];
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.aggregateWithWildcards
  {
    name: 'aggregateWithWildcards',
    group: 'Combine',
    params: [
      SERIES_LIST,
      { name: 'func', type: 'aggFunc', required: true },
      { name: 'position', type: 'node', multiple: true },
    ],
    description: 'Aggregates the series whose names match once the given nodes are wildcarded.',
    impl: (ctx, a) =>
      aggregateWildcards(
        seriesListArg(a, 'seriesList'),
        stringArg(a, 'func'),
        nodesArg(a, 'position') as number[],
        ctx.xFilesFactor,
      ),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.sumSeriesWithWildcards
  withWildcards(
    'sumSeriesWithWildcards',
    'sum',
    'sumSeries over groups that differ only in the given nodes.',
  ),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.averageSeriesWithWildcards
  withWildcards(
    'averageSeriesWithWildcards',
    'average',
    'averageSeries over groups that differ only in the given nodes.',
  ),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.multiplySeriesWithWildcards
  withWildcards(
    'multiplySeriesWithWildcards',
    'multiply',
    'multiplySeries over groups that differ only in the given nodes.',
  ),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.group
  {
    name: 'group',
    group: 'Combine',
    params: [{ name: 'seriesLists', type: 'seriesList', multiple: true }],
    description: 'Joins several seriesLists into one.',
    impl: (_ctx, a) => seriesListsArg(a, 'seriesLists').flat(),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.groupByNode
  {
    name: 'groupByNode',
    group: 'Combine',
    params: [
      SERIES_LIST,
      { name: 'nodeNum', type: 'nodeOrTag', required: true },
      { name: 'callback', type: 'aggOrSeriesFunc', default: 'average' },
    ],
    description: 'Groups the series by one node (or tag) and aggregates each group.',
    impl: (ctx, a) =>
      groupByNodes(ctx, seriesListArg(a, 'seriesList'), stringArg(a, 'callback'), [
        a.get('nodeNum') as number | string,
      ]),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.groupByNodes
  {
    name: 'groupByNodes',
    group: 'Combine',
    params: [
      SERIES_LIST,
      { name: 'callback', type: 'aggOrSeriesFunc', required: true },
      { name: 'nodes', type: 'nodeOrTag', multiple: true },
    ],
    description: 'Groups the series by several nodes (or tags) and aggregates each group.',
    impl: (ctx, a) =>
      groupByNodes(ctx, seriesListArg(a, 'seriesList'), stringArg(a, 'callback'), nodesArg(a, 'nodes')),
  },
];
