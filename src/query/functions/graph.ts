import type { Series, SeriesOptions } from '../../storage/series.js';
import { QueryError } from '../errors.js';
import { parseATTime } from '../time/attime.js';
import { AGG_FUNC_NAMES, getAggFunc } from './aggfuncs.js';
import { numberArg, seriesListArg } from './args.js';
import { formatUnits, pyFixed } from './legend.js';
import { pyFloatStr, pyG } from './naming.js';
import type { FunctionSpec, ParamSpec } from './registry.js';
import { newSeries } from './timeseries.js';

// The Graph family (graphite-web 1.1.8, render/functions.py): presentation options for the PNG/SVG
// renderers — color, alpha, dashed, lineWidth, stacked, secondYAxis, drawAsInfinite — plus the
// drawn lines threshold and verticalLine, areaBetween, and legendValue's renamed legends. Most
// only set options (invisible in json) but some rename the series and add a tag; upstream does it
// in place, so the pathExpression stays what it was.

const SERIES_LIST: ParamSpec = { name: 'seriesList', type: 'seriesList', required: true };

/** The series with options set (and, when given, renamed and tagged in place). */
function withOptions(
  s: Series,
  options: SeriesOptions,
  rename?: { name: string; tag: string; value: string },
): Series {
  const out: Series = { ...s, options: { ...s.options, ...options } };
  if (rename) {
    out.name = rename.name;
    out.tags = { ...s.tags, [rename.tag]: rename.value };
  }
  return out;
}

function optionFunction(
  name: string,
  params: ParamSpec[],
  description: string,
  apply: (s: Series, a: Map<string, unknown>) => Series,
): FunctionSpec {
  return {
    name,
    group: 'Graph',
    params: [SERIES_LIST, ...params],
    description,
    impl: (_ctx, a) => seriesListArg(a, 'seriesList').map((s) => apply(s, a)),
  };
}

export const GRAPH: FunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.color
  optionFunction(
    'color',
    [{ name: 'theColor', type: 'string', required: true }],
    'Draws the series in a color.',
    (s, a) => withOptions(s, { color: String(a.get('theColor')) }),
  ),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.alpha
  optionFunction(
    'alpha',
    [{ name: 'alpha', type: 'float', required: true }],
    'Draws the series with an opacity (0-1).',
    (s, a) => withOptions(s, { alpha: a.get('alpha') as number }),
  ),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.lineWidth
  optionFunction(
    'lineWidth',
    [{ name: 'width', type: 'float', required: true }],
    'Draws the series with a line width.',
    (s, a) => withOptions(s, { lineWidth: a.get('width') as number }),
  ),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.dashed
  optionFunction(
    'dashed',
    [{ name: 'dashLength', type: 'integer', default: 5 }],
    'Draws the series dashed.',
    (s, a) => {
      const dash = a.get('dashLength') as number;
      return withOptions(
        s,
        { dashed: dash },
        { name: `dashed(${s.name}, ${pyG(dash)})`, tag: 'dashed', value: String(dash) },
      );
    },
  ),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.secondYAxis
  optionFunction('secondYAxis', [], 'Draws the series against a second Y axis on the right.', (s) =>
    withOptions(s, { secondYAxis: true }, { name: `secondYAxis(${s.name})`, tag: 'secondYAxis', value: '1' }),
  ),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.drawAsInfinite
  optionFunction('drawAsInfinite', [], 'Draws a vertical line wherever the value is non-zero.', (s) =>
    withOptions(
      s,
      { drawAsInfinite: true },
      { name: `drawAsInfinite(${s.name})`, tag: 'drawAsInfinite', value: '1' },
    ),
  ),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.stacked
  {
    name: 'stacked',
    group: 'Graph',
    params: [SERIES_LIST, { name: 'stack', type: 'string' }],
    description: 'Stacks each series on the ones before it (within the request, per stack name).',
    impl: (ctx, a) => {
      // The keyword upstream reads is `stackName` (its params table says `stack`), positional works.
      const stackName = (a.get('stack') as string | null) ?? '__DEFAULT__';
      // requestContext['totalStack'][stackName]: the running totals carry over to later targets.
      const key = `stacked:${stackName}`;
      const totals = (ctx.request?.shared.get(key) as number[] | undefined) ?? [];
      ctx.request?.shared.set(key, totals);
      return seriesListArg(a, 'seriesList').map((s) => {
        const values = new Float64Array(s.values.length);
        for (let i = 0; i < s.values.length; i++) {
          if (totals.length <= i) totals.push(0);
          if (Number.isNaN(s.values[i])) values[i] = Number.NaN;
          else values[i] = totals[i] += s.values[i];
        }
        const byDefault = stackName === '__DEFAULT__';
        const name = byDefault ? `stacked(${s.name})` : s.name;
        const tags = byDefault ? { ...s.tags, stacked: stackName } : { ...s.tags };
        // series.copy(...): a new series, its pathExpression its name.
        return { ...s, name, pathExpression: name, tags, values, options: { ...s.options, stacked: true } };
      });
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.areaBetween
  {
    name: 'areaBetween',
    group: 'Graph',
    params: [SERIES_LIST],
    description: 'Fills the area between exactly two series (the lower one drawn invisible).',
    impl: (_ctx, a) => {
      const list = seriesListArg(a, 'seriesList');
      if (list.length !== 2)
        throw new QueryError(
          `areaBetween series argument must reference *exactly* 2 series; got ${list.length}`,
        );
      const [lower, upper] = list;
      const name = `areaBetween(${upper.pathExpression})`;
      // upper.tags['areaBetween'] = 1; lower.tags = upper.tags.
      const tags = { ...upper.tags, areaBetween: '1' };
      return [
        { ...lower, name, tags, options: { ...lower.options, stacked: true, invisible: true } },
        { ...upper, name, tags: { ...tags }, options: { ...upper.options, stacked: true } },
      ];
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.threshold
  {
    name: 'threshold',
    group: 'Graph',
    params: [
      { name: 'value', type: 'float', required: true },
      { name: 'label', type: 'string' },
      { name: 'color', type: 'string' },
    ],
    description: 'A horizontal line at a value, optionally labelled and colored.',
    impl: (ctx, a) => {
      const value = numberArg(a, 'value');
      const label = a.get('label') as string | null;
      const color = a.get('color') as string | null;
      const { from: start, until: end } = ctx.window;
      const text = pyFloatStr(value);
      const s = newSeries(
        text,
        start,
        end,
        Math.trunc((end - start) / 2),
        new Float64Array([value, value, value]),
        {
          xFilesFactor: ctx.xFilesFactor,
        },
      );
      // constantLine's series: pathExpression constantLine(value); a label only renames it.
      return [
        {
          ...s,
          name: label || text,
          pathExpression: `constantLine(${text})`,
          options: color ? { color } : {},
        },
      ];
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.verticalLine
  {
    name: 'verticalLine',
    group: 'Graph',
    params: [
      { name: 'ts', type: 'date', required: true },
      { name: 'label', type: 'string' },
      { name: 'color', type: 'string' },
    ],
    description: 'A vertical line at a time inside the window.',
    impl: (ctx, a) => {
      // parseATTime(ts, tzinfo) with upstream's own clock, not the request's `now`.
      let ts: number;
      try {
        ts = parseATTime(String(a.get('ts')), Math.floor(Date.now() / 1000), ctx.tz);
      } catch (err) {
        throw new QueryError(`verticalLine(): ${(err as Error).message}`);
      }
      if (ts < ctx.window.from)
        throw new QueryError(`verticalLine(): timestamp ${ts} exists before start of range`);
      if (ts > ctx.window.until)
        throw new QueryError(`verticalLine(): timestamp ${ts} exists after end of range`);
      const label = (a.get('label') as string | null) ?? 'None';
      const color = a.get('color') as string | null;
      const s = newSeries(label, ts, ts, 1, new Float64Array([1, 1]), { xFilesFactor: ctx.xFilesFactor });
      return [{ ...s, options: { drawAsInfinite: true, ...(color ? { color } : {}) } }];
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.legendValue
  {
    name: 'legendValue',
    group: 'Alias',
    params: [
      SERIES_LIST,
      { name: 'valuesTypes', type: 'string', multiple: true, options: [...AGG_FUNC_NAMES, 'si', 'binary'] },
    ],
    description: 'Appends aggregate values (avg, max, last...) to each name, for the legend.',
    impl: (_ctx, a) => {
      let types = (a.get('valuesTypes') as unknown[]).map(String);
      if (types.length === 0) throw new QueryError('legendValue: give at least one value type');
      let system: string | undefined;
      if (types[types.length - 1] === 'si' || types[types.length - 1] === 'binary') {
        system = types[types.length - 1];
        types = types.slice(0, -1);
      }
      let list = seriesListArg(a, 'seriesList');
      for (const type of types) {
        const agg = getAggFunc(type);
        list = list.map((s) => {
          const v = agg ? agg(s.values) : Number.NaN;
          if (system === undefined) {
            const text = !agg
              ? '(?)'
              : Number.isNaN(v)
                ? 'None'
                : type === 'count'
                  ? String(v)
                  : pyFloatStr(v);
            return { ...s, name: `${s.name} (${type}: ${text})` };
          }
          let formatted = 'None';
          if (!agg) formatted = '(?)';
          else if (!Number.isNaN(v)) {
            const [x, prefix] = formatUnits(v, system);
            formatted = `${pyFixed(x, 2)}${prefix}`;
          }
          // "%-20s%-5s%-10s" % (name, valueType, formatted)
          return { ...s, name: `${s.name.padEnd(20)}${type.padEnd(5)}${formatted.padEnd(10)}` };
        });
      }
      return list;
    },
  },
];
