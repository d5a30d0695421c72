import type { Series } from '../../storage/series.js';
import { QueryError } from '../errors.js';
import { parseATTime } from '../time/attime.js';
import { numberArg, seriesListArg } from './args.js';
import { exp, log } from './libm.js';
import { pyG } from './naming.js';
import { wasGiven } from './params.js';
import type { FunctionSpec, ParamSpec } from './registry.js';
import { withTag } from './series-tags.js';

// Value-by-value calculations of graphite-web 1.1.8 (render/functions.py) that the Transform family
// does not already hold, plus linearRegression. Each renames in place as upstream does: the output
// is named `func(input name...)`, that name becomes its pathExpression, and most add a tag.

const SERIES_LIST: ParamSpec = { name: 'seriesList', type: 'seriesList', required: true };

function renamed(s: Series, name: string, values: Float64Array, tags = s.tags): Series {
  return { ...s, name, pathExpression: name, tags, values };
}

function eachValue(s: Series, fn: (v: number) => number): Float64Array {
  const out = new Float64Array(s.values.length);
  for (let i = 0; i < out.length; i++) out[i] = fn(s.values[i]);
  return out;
}

/**
 * Python's round(x, n) for a float: the decimal nearest to x's exact binary value, an exact tie
 * going to the even digit (round(0.25, 1) is 0.2, round(2.5) is 2.0), where toFixed rounds ties up.
 */
export function pyRound(x: number, n: number): number {
  if (!Number.isFinite(x)) return x;
  if (n < 0) {
    const f = 10 ** -n;
    return roundHalfEven(x / f) * f;
  }
  const a = Math.abs(x);
  if (a >= 1e21) return x;
  const digits = Math.min(n, 100);
  // toFixed(100) spells out the exact binary value for every magnitude a metric value has.
  const exact = a.toFixed(100);
  const dot = exact.indexOf('.');
  let r = Number(a.toFixed(digits));
  if (/^50*$/.test(exact.slice(dot + 1 + digits))) {
    const kept = exact.slice(0, dot + 1 + digits).replace(/\.$/, '');
    if (Number(kept[kept.length - 1]) % 2 === 0) r = Number(kept);
  }
  return x < 0 || Object.is(x, -0) ? -r : r;
}

function roundHalfEven(y: number): number {
  const f = Math.floor(y);
  const d = y - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

// safe.safeMin / safeMax over the non-null values; undefined when there are none.
function extremes(values: Float64Array): { min?: number; max?: number } {
  let min: number | undefined;
  let max: number | undefined;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (min === undefined || v < min) min = v;
    if (max === undefined || v > max) max = v;
  }
  return { min, max };
}

/**
 * _linearRegressionAnalysis: least squares over the non-null points, (factor per second, offset at
 * epoch 0); undefined when the points cannot fix a line (fewer than two).
 */
export function linearRegressionAnalysis(s: Series): { factor: number; offset: number } | undefined {
  let n = 0;
  let sumI = 0;
  let sumV = 0;
  let sumII = 0;
  let sumIV = 0;
  s.values.forEach((v, i) => {
    if (Number.isNaN(v)) return;
    n++;
    sumI += i;
    sumV += v;
    sumII += i * i;
    sumIV += i * v;
  });
  const denominator = n * sumII - sumI * sumI;
  if (denominator === 0) return undefined;
  const factor = (n * sumIV - sumI * sumV) / denominator / s.step;
  const offset = (sumII * sumV - sumIV * sumI) / denominator - factor * s.start;
  return { factor, offset };
}

/** The Calculate family's value functions and linearRegression. */
export const CALCULATE: FunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.offsetToZero
  {
    name: 'offsetToZero',
    group: 'Transform',
    params: [SERIES_LIST],
    description: 'Subtracts the series minimum from each value, so the lowest point is 0.',
    impl: (_ctx, a) =>
      seriesListArg(a, 'seriesList').map((s) => {
        const { min } = extremes(s.values);
        const tags = withTag(s, 'offsetToZero', min ?? 'None', true);
        return renamed(
          s,
          `offsetToZero(${s.name})`,
          eachValue(s, (v) => (min === undefined ? v : v - min)),
          tags,
        );
      }),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.minMax
  {
    name: 'minMax',
    group: 'Transform',
    params: [SERIES_LIST],
    description: 'Min-max normalization: (value - min) / (max - min), 0 where max equals min.',
    impl: (_ctx, a) =>
      seriesListArg(a, 'seriesList').map((s) => {
        const { min = 0, max = 0 } = extremes(s.values);
        const values = eachValue(s, (v) =>
          max === min ? (Number.isNaN(v) ? v : 0) : (v - min) / (max - min),
        );
        return renamed(s, `minMax(${s.name})`, values);
      }),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.interpolate
  {
    name: 'interpolate',
    group: 'Transform',
    params: [SERIES_LIST, { name: 'limit', type: 'intOrInf', default: Number.POSITIVE_INFINITY }],
    description: 'Fills runs of up to `limit` missing values on the straight line between their neighbours.',
    impl: (_ctx, a) => {
      const limit = numberArg(a, 'limit');
      return seriesListArg(a, 'seriesList').map((s) => {
        const values = Float64Array.from(s.values);
        let nones = 0;
        // The first value has nothing before it; a run with no value before it (the series
        // starts with it) is left as it is, and so is a run at the end.
        for (let i = 1; i < values.length; i++) {
          const v = values[i];
          if (Number.isNaN(v)) {
            nones++;
            continue;
          }
          if (nones === 0) continue;
          const before = values[i - nones - 1];
          if (!Number.isNaN(before) && nones <= limit)
            for (let j = i - nones; j < i; j++)
              values[j] = before + ((j - (i - nones - 1)) * (v - before)) / (nones + 1);
          nones = 0;
        }
        return renamed(s, `interpolate(${s.name})`, values);
      });
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.roundFunction
  {
    name: 'round',
    group: 'Transform',
    params: [SERIES_LIST, { name: 'precision', type: 'integer', default: 0 }],
    description: 'Rounds each value to `precision` decimal places (ties to even, as Python).',
    impl: (_ctx, a) => {
      const precision = numberArg(a, 'precision');
      // Upstream's own default is None: round(x) is named without a precision, round(x,0) with.
      const suffix = wasGiven(a, 'precision') ? `,${pyG(precision)}` : '';
      return seriesListArg(a, 'seriesList').map((s) =>
        renamed(
          s,
          `round(${s.name}${suffix})`,
          eachValue(s, (v) => pyRound(v, precision)),
          withTag(s, 'round', precision),
        ),
      );
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.add
  {
    name: 'add',
    group: 'Transform',
    params: [SERIES_LIST, { name: 'constant', type: 'float', required: true }],
    description: 'Adds a constant to each value (the name shows it truncated to an integer).',
    impl: (_ctx, a) => {
      const constant = numberArg(a, 'constant');
      return seriesListArg(a, 'seriesList').map((s) =>
        renamed(
          s,
          `add(${s.name},${Math.trunc(constant)})`,
          eachValue(s, (v) => v + constant),
          withTag(s, 'add', constant, true),
        ),
      );
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.sigmoid
  {
    name: 'sigmoid',
    group: 'Transform',
    params: [SERIES_LIST],
    description: 'The logistic function 1 / (1 + exp(-x)) of each value.',
    impl: (_ctx, a) =>
      seriesListArg(a, 'seriesList').map((s) =>
        renamed(
          s,
          `sigmoid(${s.name})`,
          eachValue(s, (v) => 1 / (1 + exp(-v))),
          withTag(s, 'sigmoid', 'sigmoid'),
        ),
      ),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.logit
  {
    name: 'logit',
    group: 'Transform',
    params: [SERIES_LIST],
    description: 'log(x / (1 - x)) of each value; None outside 0 < x < 1.',
    impl: (_ctx, a) =>
      seriesListArg(a, 'seriesList').map((s) =>
        renamed(
          s,
          `logit(${s.name})`,
          // math.log raises for a ratio <= 0 and x = 1 divides by zero: both are None upstream.
          eachValue(s, (v) => (v === 1 || !(v / (1 - v) > 0) ? Number.NaN : log(v / (1 - v)))),
          withTag(s, 'logit', 'logit'),
        ),
      ),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.exp
  {
    name: 'exp',
    group: 'Transform',
    params: [SERIES_LIST],
    description: 'e raised to the power of each value.',
    impl: (_ctx, a) =>
      seriesListArg(a, 'seriesList').map((s) =>
        renamed(s, `exp(${s.name})`, eachValue(s, exp), withTag(s, 'exp', 'e')),
      ),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.scaleToSeconds
  {
    name: 'scaleToSeconds',
    group: 'Transform',
    params: [SERIES_LIST, { name: 'seconds', type: 'float', required: true }],
    description: 'Each value per `seconds` rather than per step, rounded to 6 decimals.',
    impl: (_ctx, a) => {
      const seconds = numberArg(a, 'seconds');
      return seriesListArg(a, 'seriesList').map((s) => {
        const factor = seconds / s.step;
        return renamed(
          s,
          `scaleToSeconds(${s.name},${Math.trunc(seconds)})`,
          eachValue(s, (v) => pyRound(v * factor, 6)),
          withTag(s, 'scaleToSeconds', seconds, true),
        );
      });
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.cumulative
  {
    name: 'cumulative',
    group: 'Special',
    params: [SERIES_LIST],
    description:
      "consolidateBy(seriesList, 'sum'): consolidate by summing when there are more points than pixels.",
    impl: (ctx, a) => {
      const consolidateBy = ctx.lookup('consolidateBy');
      if (!consolidateBy) throw new Error('BUG: cumulative needs consolidateBy');
      const args = new Map<string, unknown>([
        ['seriesList', seriesListArg(a, 'seriesList')],
        ['consolidationFunc', 'sum'],
      ]);
      return consolidateBy.impl(ctx, args);
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.linearRegression
  {
    name: 'linearRegression',
    group: 'Calculate',
    params: [SERIES_LIST, { name: 'startSourceAt', type: 'date' }, { name: 'endSourceAt', type: 'date' }],
    description:
      'The least-squares line through the points between two times (default: the requested range).',
    impl: async (ctx, a) => {
      // Upstream parses the times without the request's `now` (attime.parseATTime reads the clock).
      const clock = Math.floor(Date.now() / 1000);
      const at = (name: string, otherwise: number): number => {
        const v = a.get(name);
        if (v === null || v === undefined) return otherwise;
        try {
          return Math.trunc(parseATTime(String(v), clock, ctx.tz));
        } catch (err) {
          throw new QueryError(`invalid ${name} "${v}": ${(err as Error).message}`);
        }
      };
      const w = ctx.window;
      const from = at('startSourceAt', w.from);
      const until = at('endSourceAt', w.until);
      const sources = await ctx.evaluateOver(ctx.rawArgs[0], { from, until, now: w.now });
      const seriesList = seriesListArg(a, 'seriesList');
      const out: Series[] = [];
      // zip(): pairs in order, as many as the shorter list.
      for (let i = 0; i < Math.min(sources.length, seriesList.length); i++) {
        const s = seriesList[i];
        const line = linearRegressionAnalysis(sources[i]);
        if (!line) continue;
        const name = `linearRegression(${s.name}, ${from}, ${until})`;
        const values = new Float64Array(s.values.length);
        for (let j = 0; j < values.length; j++)
          values[j] = line.offset + (s.start + j * s.step) * line.factor;
        out.push(renamed(s, name, values, withTag(s, 'linearRegressions', `${from}, ${until}`)));
      }
      return out;
    },
  },
];
