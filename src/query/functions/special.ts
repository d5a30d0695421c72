import type { Series } from '../../storage/series.js';
import { QueryError } from '../errors.js';
import { getAggFunc } from './aggfuncs.js';
import { numberArg, seriesListArg, stringArg } from './args.js';
import { formatUnits, pad, pyFixed } from './legend.js';
import { pyFloatStr, pyG } from './naming.js';
import type { FunctionContext, FunctionSpec, ParamSpec } from './registry.js';
import { newSeries } from './timeseries.js';

// The Special family and the generators: series made from the request's window rather than from
// stored data (constantLine, identity, time, sin, randomWalk, events), seriesByTag, and the
// request-wide setXFilesFactor (graphite-web 1.1.8, render/functions.py).

const SERIES_LIST: ParamSpec = { name: 'seriesList', type: 'seriesList', required: true };

/** constantLine(value) over the window: three points at start, middle and end. */
function constantLine(ctx: FunctionContext, value: number, name: string): Series {
  const { from: start, until: end } = ctx.window;
  const step = Math.trunc((end - start) / 2);
  return {
    ...newSeries(name, start, end, step, new Float64Array([value, value, value]), {
      xFilesFactor: ctx.xFilesFactor,
    }),
  };
}

// Python's str() of an aggregation result: count is an int, the others floats; None when empty.
function aggStr(func: string, v: number): string {
  if (Number.isNaN(v)) return 'None';
  return func === 'count' ? String(v) : pyFloatStr(v);
}

function generated(ctx: FunctionContext, name: string, step: number, value: (t: number) => number): Series {
  const { from: start, until: end } = ctx.window;
  if (step <= 0) throw new QueryError(`step must be positive; got ${step}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = value(start + i * step);
  return newSeries(name, start, end, step, values, { xFilesFactor: ctx.xFilesFactor });
}

const NAME: ParamSpec = { name: 'name', type: 'string', required: true };
const STEP: ParamSpec = { name: 'step', type: 'integer', default: 60 };

export const SPECIAL: FunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.constantLine
  {
    name: 'constantLine',
    group: 'Special',
    params: [{ name: 'value', type: 'float', required: true }],
    description: 'A horizontal line at a value over the whole window.',
    impl: (ctx, a) => {
      const value = numberArg(a, 'value');
      // TimeSeries(str(value)), pathExpression constantLine(str(value)).
      const s = constantLine(ctx, value, pyFloatStr(value));
      return [{ ...s, pathExpression: `constantLine(${pyFloatStr(value)})` }];
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.aggregateLine
  {
    name: 'aggregateLine',
    group: 'Calculate',
    params: [
      SERIES_LIST,
      { name: 'func', type: 'aggFunc', default: 'average' },
      { name: 'keepStep', type: 'boolean', default: false },
    ],
    description: 'A horizontal line at an aggregate (average, max...) of each series.',
    impl: (ctx, a) => {
      const func = stringArg(a, 'func');
      const agg = getAggFunc(func);
      if (!agg) throw new QueryError(`Unsupported aggregation function: ${func}`);
      return seriesListArg(a, 'seriesList').map((s) => {
        const value = agg(s.values);
        const name = `aggregateLine(${s.name}, ${Number.isNaN(value) ? 'None' : pyG(value)})`;
        if (a.get('keepStep')) {
          // series.copy(name=..., values=[value] * len(series)): tags shared, pathExpression = name.
          return { ...s, name, pathExpression: name, values: new Float64Array(s.values.length).fill(value) };
        }
        // constantLine(value) renamed: its tags stay those of the name str(value).
        const line = constantLine(ctx, value, aggStr(func, value));
        return { ...line, name, pathExpression: name };
      });
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.identity
  {
    name: 'identity',
    group: 'Calculate',
    params: [NAME],
    description: 'A series whose value at each minute is its own timestamp.',
    impl: (ctx, a) => {
      const name = stringArg(a, 'name');
      const s = generated(ctx, name, 60, (t) => t);
      return [{ ...s, pathExpression: `identity("${name}")` }];
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.timeFunction
  {
    name: 'timeFunction',
    aliases: ['time'],
    group: 'Transform',
    params: [NAME, STEP],
    description: 'A series whose value at each step is its own timestamp.',
    // time.mktime of the wall clock: the epoch when the request's zone is the server's (the default).
    impl: (ctx, a) => [generated(ctx, stringArg(a, 'name'), numberArg(a, 'step'), (t) => t)],
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.sinFunction
  {
    name: 'sinFunction',
    aliases: ['sin'],
    group: 'Transform',
    params: [NAME, { name: 'amplitude', type: 'integer', default: 1 }, STEP],
    description: 'A sine wave of the timestamp, times the amplitude.',
    impl: (ctx, a) => {
      const amplitude = numberArg(a, 'amplitude');
      return [generated(ctx, stringArg(a, 'name'), numberArg(a, 'step'), (t) => Math.sin(t) * amplitude)];
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.randomWalkFunction
  {
    name: 'randomWalkFunction',
    aliases: ['randomWalk'],
    group: 'Special',
    params: [NAME, STEP],
    description: 'A random walk from 0: each step adds a random amount in [-0.5, 0.5).',
    impl: (ctx, a) => {
      let current = 0;
      return [
        generated(ctx, stringArg(a, 'name'), numberArg(a, 'step'), () => {
          const v = current;
          current += Math.random() - 0.5;
          return v;
        }),
      ];
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.setXFilesFactor
  {
    name: 'setXFilesFactor',
    aliases: ['xFilesFactor'],
    group: 'Special',
    params: [SERIES_LIST, { name: 'xFilesFactor', type: 'float', required: true }],
    description: 'Sets the xFilesFactor of the series, and of the request from here on.',
    impl: (ctx, a) => {
      const xff = numberArg(a, 'xFilesFactor');
      // requestContext['xFilesFactor'] = xFilesFactor: every function evaluated later sees it.
      if (ctx.request) ctx.request.xFilesFactor = xff;
      return seriesListArg(a, 'seriesList').map((s) => ({
        ...s,
        xFilesFactor: xff,
        tags: { ...s.tags, xFilesFactor: pyFloatStr(xff) },
      }));
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.seriesByTag
  {
    name: 'seriesByTag',
    group: 'Special',
    params: [{ name: 'tagExpressions', type: 'string', required: true, multiple: true }],
    description: 'The series whose tags match every expression (tag=v, tag!=v, tag=~re, tag!=~re).',
    // The evaluator hands seriesByTag calls to the fetch as paths (STORE.fetch upstream); a call
    // that reaches here has no tag database behind it, which finds nothing.
    impl: () => [],
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.events
  {
    name: 'events',
    group: 'Special',
    params: [{ name: 'tags', type: 'string', required: true, multiple: true }],
    description: 'The number of events per second with all the given tags ("*" for any event).',
    impl: (ctx, a) => {
      const tags = (a.get('tags') as unknown[]).map(String);
      const name = `events("${tags.join('", "')}")`;
      const start = ctx.window.from;
      const end = ctx.window.until;
      const values = new Float64Array(Math.max(0, end - start)).fill(Number.NaN);
      const found =
        ctx.events?.find(start, end, tags.length === 1 && tags[0] === '*' ? undefined : tags) ?? [];
      for (const e of found) {
        const i = Math.floor(e.when) - start;
        // Upstream indexes past the end for an event at exactly `until` (a 500); we leave it out.
        if (i < 0 || i >= values.length) continue;
        values[i] = Number.isNaN(values[i]) ? 1 : values[i] + 1;
      }
      return [
        newSeries(name, start, end, 1, values, { xFilesFactor: ctx.xFilesFactor, consolidationFunc: 'sum' }),
      ];
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.cactiStyle
  {
    name: 'cactiStyle',
    group: 'Special',
    params: [
      SERIES_LIST,
      { name: 'system', type: 'string', options: ['si', 'binary'] },
      { name: 'units', type: 'string' },
    ],
    description: 'Appends the current, max and min values to each name, in columns (Cacti style).',
    impl: (_ctx, a) => {
      const list = seriesListArg(a, 'seriesList');
      if (list.length === 0) return list;
      const system = (a.get('system') as string | null) || undefined;
      const units = (a.get('units') as string | null) || undefined;
      const fmt = (x: number): string => {
        if (system) {
          const [v, prefix] = formatUnits(x, system, units);
          return units ? `${pyFixed(v, 2)} ${prefix}` : `${pyFixed(v, 2)}${prefix}`;
        }
        return units ? `${pyFixed(x, 2)} ${units}` : pyFixed(x, 2);
      };
      const stats = list.map((s) => ({ last: safeLast(s), max: safeMax(s), min: safeMin(s) }));
      // `int(safeLast(series) or 3)`: a missing or zero value counts as 3 when sizing columns.
      const width = (pick: (x: (typeof stats)[number]) => number) =>
        Math.max(0, ...stats.map((x) => fmt(Math.trunc(pick(x) || 3)).length)) + 3;
      const nameLen = Math.max(0, ...list.map((s) => s.name.length));
      const lastLen = width((x) => x.last);
      const maxLen = width((x) => x.max);
      const minLen = width((x) => x.min);
      const show = (v: number) => (Number.isNaN(v) ? 'nan' : fmt(v));
      return list.map((s, i) => ({
        ...s,
        name:
          `${pad(s.name, -nameLen)} Current:${pad(show(stats[i].last), -lastLen)} ` +
          `Max:${pad(show(stats[i].max), -maxLen)} Min:${pad(show(stats[i].min), -minLen)} `,
      }));
    },
  },
];

function safeLast(s: Series): number {
  for (let i = s.values.length - 1; i >= 0; i--) if (!Number.isNaN(s.values[i])) return s.values[i];
  return Number.NaN;
}

function safeMax(s: Series): number {
  let m = Number.NaN;
  for (const v of s.values) if (!Number.isNaN(v) && !(v <= m)) m = v;
  return m;
}

function safeMin(s: Series): number {
  let m = Number.NaN;
  for (const v of s.values) if (!Number.isNaN(v) && !(v >= m)) m = v;
  return m;
}
