import type { Series } from '../../storage/series.js';
import { consolidate } from '../consolidate.js';
import { QueryError } from '../errors.js';
import { getAggFunc } from './aggfuncs.js';
import { aggregateSeries } from './aggregate.js';
import { nodesArg, seriesListArg, seriesListsArg } from './args.js';
import { pow } from './libm.js';
import { aggKey, pyFloatStr, pyStr } from './naming.js';
import type { FunctionContext, FunctionSpec } from './registry.js';
import { formatPathExpressions, lcm, newSeries } from './timeseries.js';

// asPercent, divideSeries(Lists), powSeries and weightedAverage (graphite-web 1.1.8,
// render/functions.py, group Combine): series combined pairwise by division, power and weights. Upstream's normalize() marks each input series to be read `valuesPerPoint` values at a
// time (TimeSeries.consolidate), a mark that sticks to the series until the next normalize() over
// it; later reads see the consolidated values while len() still counts the raw ones. Several of the
// answers depend on that (asPercent's series keep their own step but carry consolidated values), so
// it is kept here as per-call state instead of mutating the inputs.

const sumRow = getAggFunc('sum')!;

/** Series as upstream's normalize() leaves them: read through their current valuesPerPoint. */
class Normalizer {
  private readonly perPoint = new Map<Series, number>();

  /** normalize(seriesLists): sets each series' valuesPerPoint; the common start, end and step. */
  normalize(series: Series[]): { start: number; end: number; step: number } {
    if (series.length === 0) throw new Error('BUG: normalize of no series');
    const step = series.map((s) => s.step).reduce(lcm);
    for (const s of series) this.perPoint.set(s, Math.floor(step / s.step));
    const start = Math.min(...series.map((s) => s.start));
    let end = Math.max(...series.map((s) => s.end));
    end -= (end - start) % step;
    return { start, end, step };
  }

  /** Iterating the series: its values consolidated by its current valuesPerPoint. */
  values(s: Series): Float64Array {
    const n = this.perPoint.get(s) ?? 1;
    return n > 1 ? consolidate(s.values, n, s.consolidationFunc ?? 'average', s.xFilesFactor) : s.values;
  }
}

/** izip_longest over two value arrays, NaN past the end of the shorter one. */
function zipLongest(a: Float64Array, b: Float64Array, fn: (x: number, y: number) => number): Float64Array {
  const out = new Float64Array(Math.max(a.length, b.length));
  for (let i = 0; i < out.length; i++)
    out[i] = fn(i < a.length ? a[i] : Number.NaN, i < b.length ? b[i] : Number.NaN);
  return out;
}

// safe.safeDiv: None over anything, or anything over None or 0, is None.
function safeDiv(a: number, b: number): number {
  return Number.isNaN(a) || Number.isNaN(b) || b === 0 ? Number.NaN : a / b;
}

const percent = (v: number, total: number): number => safeDiv(v, total) * 100;

/** izip_longest(*series) summed row by row (safeSum). */
function sumRows(rows: Float64Array[]): Float64Array {
  const length = Math.max(0, ...rows.map((r) => r.length));
  const out = new Float64Array(length);
  const row = new Float64Array(rows.length);
  for (let i = 0; i < length; i++) {
    rows.forEach((r, j) => {
      row[j] = i < r.length ? r[i] : Number.NaN;
    });
    out[i] = sumRow(row);
  }
  return out;
}

function byName(a: Series, b: Series): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** One quotient series of divideSeries / divideSeriesLists, both brought to their common step. */
function quotient(n: Normalizer, dividend: Series, divisor: Series, xFilesFactor: number): Series {
  const name = `divideSeries(${dividend.name},${divisor.name})`;
  const { start, end, step } = n.normalize([dividend, divisor]);
  const values = zipLongest(n.values(dividend), n.values(divisor), safeDiv);
  return newSeries(name, start, end, step, values, { xFilesFactor });
}

/** asPercent with nodes: series and totals matched by their node keys, as groupByNodes groups. */
function percentByNodes(
  ctx: FunctionContext,
  n: Normalizer,
  seriesList: Series[],
  total: Series[] | null,
  nodes: (number | string)[],
): Series[] {
  const xFilesFactor = ctx.xFilesFactor;
  const keys: string[] = [];
  const groups = new Map<string, Series[]>();
  for (const s of seriesList) {
    const key = aggKey(s, nodes);
    if (!groups.has(key)) {
      groups.set(key, []);
      keys.push(key);
    }
    groups.get(key)!.push(s);
  }
  // The last normalize()'s window, which upstream's MISSING series reuse.
  let last: { start: number; end: number; step: number } | undefined;
  const summed = (members: Series[]): Series => {
    if (members.length === 1) return members[0];
    const name = `sumSeries(${formatPathExpressions(members)})`;
    last = n.normalize(members);
    return newSeries(name, last.start, last.end, last.step, sumRows(members.map((m) => n.values(m))), {
      xFilesFactor,
    });
  };
  const totals = new Map<string, Series>();
  if (total === null) {
    for (const key of keys) totals.set(key, summed(groups.get(key)!));
  } else {
    const totalGroups = new Map<string, Series[]>();
    for (const s of total) {
      const key = aggKey(s, nodes);
      if (!totalGroups.has(key)) {
        totalGroups.set(key, []);
        if (!keys.includes(key)) keys.push(key);
      }
      totalGroups.get(key)!.push(s);
    }
    for (const [key, members] of totalGroups) totals.set(key, summed(members));
  }
  const out: Series[] = [];
  for (const key of keys) {
    const members = groups.get(key);
    const totalSeries = totals.get(key);
    if (!members) {
      const t = totalSeries!;
      const w = last ?? t;
      const values = new Float64Array(n.values(t).length).fill(Number.NaN);
      out.push(newSeries(`asPercent(MISSING,${t.name})`, w.start, w.end, w.step, values, { xFilesFactor }));
      continue;
    }
    for (const s of members) {
      if (!totalSeries) {
        const w = last ?? s;
        const values = new Float64Array(n.values(s).length).fill(Number.NaN);
        out.push(newSeries(`asPercent(${s.name},MISSING)`, w.start, w.end, w.step, values, { xFilesFactor }));
        continue;
      }
      last = n.normalize([s, totalSeries]);
      const values = zipLongest(n.values(s), n.values(totalSeries), percent);
      out.push(
        newSeries(`asPercent(${s.name},${totalSeries.name})`, last.start, last.end, last.step, values, {
          xFilesFactor,
        }),
      );
    }
  }
  return out;
}

const asPercent: FunctionSpec = {
  name: 'asPercent',
  aliases: ['pct'],
  group: 'Combine',
  params: [
    { name: 'seriesList', type: 'seriesList', required: true },
    { name: 'total', type: 'any' },
    { name: 'nodes', type: 'nodeOrTag', multiple: true },
  ],
  description:
    'Each series as a percentage of a total: their sum, a number, one series, a matching list, or per node group.',
  aggregator: true,
  impl: (ctx, a) => {
    const seriesList = seriesListArg(a, 'seriesList');
    const total = a.get('total') as Series[] | number | string | null;
    const nodes = nodesArg(a, 'nodes');
    // normalize([seriesList]) of nothing is NormalizeEmptyResultError: no series.
    if (seriesList.length === 0) return [];
    const n = new Normalizer();
    n.normalize(seriesList);
    const xFilesFactor = ctx.xFilesFactor;
    if (nodes.length) {
      if (total !== null && !Array.isArray(total))
        throw new QueryError('asPercent: with nodes, total must be None or a seriesList');
      return percentByNodes(ctx, n, seriesList, total, nodes);
    }
    if (typeof total === 'string')
      throw new QueryError(`asPercent: invalid total '${total}'; want a number or a seriesList`);
    let totalValues: Float64Array;
    let totalText: string;
    if (total === null) {
      totalValues = sumRows(seriesList.map((s) => n.values(s)));
      totalText = `sumSeries(${formatPathExpressions(seriesList)})`;
    } else if (Array.isArray(total)) {
      if (total.length !== 1 && total.length !== seriesList.length)
        throw new QueryError(
          `asPercent: the total must be a number or reference 1 series or as many as the seriesList (${seriesList.length}); got ${total.length}`,
        );
      if (total.length === seriesList.length) {
        // matchSeries: both lists sorted by name, paired in order.
        const left = [...seriesList].sort(byName);
        const right = [...total].sort(byName);
        return left.map((s, i) => {
          const t = right[i];
          const w = n.normalize([s, t]);
          const values = zipLongest(n.values(s), n.values(t), percent);
          return newSeries(`asPercent(${s.name},${t.name})`, w.start, w.end, w.step, values, {
            xFilesFactor,
          });
        });
      }
      n.normalize([...seriesList, ...total]);
      totalValues = n.values(total[0]);
      totalText = total[0].name;
    } else {
      // [total] * len(seriesList[0]): as many as the first series' raw points. The name shows the
      // number as written (an int stays an int).
      totalValues = new Float64Array(seriesList[0].values.length).fill(total);
      const written = ctx.rawArgs[1];
      totalText = written?.kind === 'number' && written.float ? pyFloatStr(total) : pyStr(total);
    }
    // Each result keeps its own series' start, end and step, whatever normalize() did to its values.
    return seriesList.map((s) =>
      newSeries(
        `asPercent(${s.name},${totalText})`,
        s.start,
        s.end,
        s.step,
        zipLongest(n.values(s), totalValues, percent),
        { xFilesFactor },
      ),
    );
  },
};

// safe.safePow: None for None, and where math.pow raises (a negative base with a fractional
// exponent, 0 to a negative power, overflow).
function safePow(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
  const r = pow(a, b);
  return Number.isFinite(r) || !Number.isFinite(a) || !Number.isFinite(b) ? r : Number.NaN;
}

/** weightedAverage: sum(avg * weight) / sum(weight), the pairs matched by their node keys. */
function weightedAverage(
  avgs: Series[],
  weights: Series[],
  nodes: (number | string)[],
  xFilesFactor: number,
): Series[] {
  if (avgs.length !== weights.length)
    throw new QueryError(
      `weightedAverage must receive the same number of series for seriesListAvg and seriesListWeight but received respectively ${avgs.length} and ${weights.length}`,
    );
  const byKey = new Map<string, { avg?: Series; weight?: Series }>();
  const entry = (key: string) => {
    const e = byKey.get(key) ?? {};
    byKey.set(key, e);
    return e;
  };
  avgs.forEach((avg, i) => {
    entry(aggKey(avg, nodes)).avg = avg;
    entry(aggKey(weights[i], nodes)).weight = weights[i];
  });
  // Each product over the raw points of its pair (no normalize), on the average's window.
  const products: Series[] = [];
  for (const { avg, weight } of byKey.values()) {
    if (!avg || !weight) continue;
    const values = zipLongest(avg.values, weight.values, (a, w) => a * w);
    products.push(
      newSeries(`product(${weight.name},${avg.name})`, avg.start, avg.end, avg.step, values, {
        xFilesFactor,
      }),
    );
  }
  if (products.length === 0) return [];
  const [sumProducts] = aggregateSeries([products], 'sum', xFilesFactor);
  const [sumWeights] = aggregateSeries([weights], 'sum', xFilesFactor);
  const paths = (list: Series[]) => [...new Set(list.map((s) => s.pathExpression))].sort().join(',');
  const name = `weightedAverage(${paths(avgs)}, ${paths(weights)}, ${nodes.map((n) => pyStr(n)).join(',')})`;
  const values = zipLongest(sumProducts.values, sumWeights.values, safeDiv);
  return [newSeries(name, sumProducts.start, sumProducts.end, sumProducts.step, values, { xFilesFactor })];
}

/** asPercent, divideSeries(Lists), powSeries and weightedAverage. */
export const RATIO: FunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.asPercent
  asPercent,
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.divideSeries
  {
    name: 'divideSeries',
    group: 'Combine',
    params: [
      { name: 'dividendSeriesList', type: 'seriesList', required: true },
      { name: 'divisorSeries', type: 'seriesList', required: true },
    ],
    description: 'Each series divided by one divisor series (None where it is None or 0).',
    impl: (ctx, a) => {
      const dividends = seriesListArg(a, 'dividendSeriesList');
      const divisors = seriesListArg(a, 'divisorSeries');
      if (divisors.length === 0)
        return dividends.map((s) => {
          const name = `divideSeries(${s.name},MISSING)`;
          return {
            ...s,
            name,
            pathExpression: name,
            values: new Float64Array(s.values.length).fill(Number.NaN),
          };
        });
      if (divisors.length > 1)
        throw new QueryError(
          `divideSeries second argument must reference exactly 1 series (got ${divisors.length})`,
        );
      const n = new Normalizer();
      return dividends.map((s) => quotient(n, s, divisors[0], ctx.xFilesFactor));
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.divideSeriesLists
  {
    name: 'divideSeriesLists',
    group: 'Combine',
    params: [
      { name: 'dividendSeriesList', type: 'seriesList', required: true },
      { name: 'divisorSeriesList', type: 'seriesList', required: true },
    ],
    description:
      'The first series of one list divided by the first of the other, the second by the second...',
    impl: (ctx, a) => {
      const dividends = seriesListArg(a, 'dividendSeriesList');
      const divisors = seriesListArg(a, 'divisorSeriesList');
      if (dividends.length !== divisors.length)
        throw new QueryError(
          `dividendSeriesList and divisorSeriesList argument must have equal length: got ${dividends.length} and ${divisors.length}`,
        );
      const n = new Normalizer();
      return dividends.map((s, i) => quotient(n, s, divisors[i], ctx.xFilesFactor));
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.powSeries
  {
    name: 'powSeries',
    group: 'Combine',
    params: [{ name: 'seriesList', type: 'seriesList', required: true, multiple: true }],
    description:
      'The first series raised to the power of the second, that to the third, and so on, point by point.',
    aggregator: true,
    impl: (ctx, a) => {
      const series = seriesListsArg(a, 'seriesList').flat();
      if (series.length === 0) return [];
      const n = new Normalizer();
      const { start, end, step } = n.normalize(series);
      const rows = series.map((s) => n.values(s));
      const length = Math.max(...rows.map((r) => r.length));
      const values = new Float64Array(length);
      for (let i = 0; i < length; i++) {
        let v = i < rows[0].length ? rows[0][i] : Number.NaN;
        for (let j = 1; j < rows.length; j++) v = safePow(v, i < rows[j].length ? rows[j][i] : Number.NaN);
        values[i] = v;
      }
      const name = `powSeries(${series.map((s) => s.name).join(',')})`;
      return [newSeries(name, start, end, step, values, { xFilesFactor: ctx.xFilesFactor })];
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.weightedAverage
  {
    name: 'weightedAverage',
    group: 'Combine',
    params: [
      { name: 'seriesListAvg', type: 'seriesList', required: true },
      { name: 'seriesListWeight', type: 'seriesList', required: true },
      { name: 'nodes', type: 'nodeOrTag', multiple: true },
    ],
    description: 'The average of the first list weighted by the second, series paired by their nodes.',
    impl: (ctx, a) =>
      weightedAverage(
        seriesListArg(a, 'seriesListAvg'),
        seriesListArg(a, 'seriesListWeight'),
        nodesArg(a, 'nodes'),
        ctx.xFilesFactor,
      ),
  },
];
