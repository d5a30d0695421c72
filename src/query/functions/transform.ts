import type { Series } from '../../storage/series.js';
import { numberArg, optionalNumberArg, seriesListArg, stringArg } from './args.js';
import { log as pyLog, pow as pyPow } from './libm.js';
import { pyFloatStr, pyG, pyStr } from './naming.js';
import { wasGiven } from './params.js';
import type { FunctionSpec, ParamSpec } from './registry.js';

// The Transform group and its value-by-value relatives from Special (graphite-web 1.1.8,
// render/functions.py). Each output series is named `func(input name, ...)`, takes that name as
// its pathExpression (upstream sets it, or copy() does), and gets a tag saying what was applied
// (graphite-web's Tags store str(value)).

const SERIES_LIST: ParamSpec = { name: 'seriesList', type: 'seriesList', required: true };

/** A series with new values, name and one more tag; the input is left as it was. */
function derived(s: Series, name: string, values: Float64Array, tag?: [string, string]): Series {
  const tags = { ...s.tags };
  if (tag) tags[tag[0]] = tag[1];
  return { ...s, name, pathExpression: name, tags, values };
}

function eachValue(s: Series, fn: (v: number, i: number) => number): Float64Array {
  const out = new Float64Array(s.values.length);
  for (let i = 0; i < out.length; i++) out[i] = fn(s.values[i], i);
  return out;
}

// safe.safePow: None when either side is None or Python's math.pow raises (a negative base with a
// fractional exponent, 0 to a negative power, overflow), where JavaScript gives NaN or Infinity.
function safePow(v: number, e: number): number {
  if (Number.isNaN(v) || Number.isNaN(e)) return Number.NaN;
  const r = pyPow(v, e);
  return Number.isFinite(r) || !Number.isFinite(v) || !Number.isFinite(e) ? r : Number.NaN;
}

// _nonNegativeDelta: the counter's increase; a wrap counted from maxValue / minValue when given,
// else None; values beyond the bounds are None and forget the previous value.
function nonNegativeDeltas(s: Series, maxValue?: number, minValue?: number): Float64Array {
  let prev = Number.NaN;
  return eachValue(s, (v) => {
    if (maxValue !== undefined && v > maxValue) {
      prev = Number.NaN;
      return Number.NaN;
    }
    if (minValue !== undefined && v < minValue) {
      prev = Number.NaN;
      return Number.NaN;
    }
    const p = prev;
    prev = v;
    if (Number.isNaN(p) || Number.isNaN(v)) return Number.NaN;
    if (v >= p) return v - p;
    if (maxValue !== undefined) return maxValue + 1 + v - p - (minValue ?? 0);
    if (minValue !== undefined) return v - minValue;
    return Number.NaN;
  });
}

// Python's round(x, 6).
function round6(x: number): number {
  return Number.isFinite(x) && Math.abs(x) < 1e15 ? Number(x.toFixed(6)) : x;
}

function simple(
  name: string,
  description: string,
  tag: string,
  fn: (v: number) => number,
  group = 'Transform',
): FunctionSpec {
  return {
    name,
    group,
    params: [SERIES_LIST],
    description,
    impl: (_ctx, a) =>
      seriesListArg(a, 'seriesList').map((s) =>
        derived(s, `${name}(${s.name})`, eachValue(s, fn), [tag, '1']),
      ),
  };
}

/** The Transform family. */
export const TRANSFORM: FunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.scale
  {
    name: 'scale',
    group: 'Transform',
    params: [SERIES_LIST, { name: 'factor', type: 'float', required: true }],
    description: 'Multiplies each value by a constant.',
    impl: (_ctx, a) => {
      const f = numberArg(a, 'factor');
      return seriesListArg(a, 'seriesList').map((s) =>
        derived(
          s,
          `scale(${s.name},${pyG(f)})`,
          eachValue(s, (v) => v * f),
          ['scale', pyFloatStr(f)],
        ),
      );
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.offset
  {
    name: 'offset',
    group: 'Transform',
    params: [SERIES_LIST, { name: 'factor', type: 'float', required: true }],
    description: 'Adds a constant to each value.',
    impl: (_ctx, a) => {
      const f = numberArg(a, 'factor');
      return seriesListArg(a, 'seriesList').map((s) =>
        derived(
          s,
          `offset(${s.name},${pyG(f)})`,
          eachValue(s, (v) => v + f),
          ['offset', pyFloatStr(f)],
        ),
      );
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.pow
  {
    name: 'pow',
    group: 'Transform',
    params: [SERIES_LIST, { name: 'factor', type: 'float', required: true }],
    description: 'Raises each value to a power.',
    impl: (_ctx, a) => {
      const f = numberArg(a, 'factor');
      return seriesListArg(a, 'seriesList').map((s) =>
        derived(
          s,
          `pow(${s.name},${pyG(f)})`,
          eachValue(s, (v) => safePow(v, f)),
          ['pow', pyFloatStr(f)],
        ),
      );
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.absolute
  simple('absolute', 'The absolute value of each value.', 'absolute', Math.abs),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.invert
  simple('invert', 'One over each value (None for zero).', 'invert', (v) => safePow(v, -1)),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.squareRoot
  simple('squareRoot', 'The square root of each value (None for negatives).', 'squareRoot', (v) =>
    safePow(v, 0.5),
  ),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.logarithm
  {
    name: 'log',
    group: 'Transform',
    params: [SERIES_LIST, { name: 'base', type: 'integer', default: 10 }],
    description: 'The logarithm of each value in the given base (None for values <= 0).',
    impl: (_ctx, a) => {
      const base = numberArg(a, 'base');
      // math.log(x, base) is log(x) / log(base), not log10 for base 10.
      return seriesListArg(a, 'seriesList').map((s) =>
        derived(
          s,
          `log(${s.name}, ${base})`,
          eachValue(s, (v) => (v > 0 ? pyLog(v) / pyLog(base) : Number.NaN)),
          ['log', String(base)],
        ),
      );
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.derivative
  {
    name: 'derivative',
    group: 'Transform',
    params: [SERIES_LIST],
    description: 'The difference of each value and the one before it.',
    impl: (_ctx, a) =>
      seriesListArg(a, 'seriesList').map((s) =>
        derived(
          s,
          `derivative(${s.name})`,
          eachValue(s, (v, i) => (i === 0 ? Number.NaN : v - s.values[i - 1])),
          ['derivative', '1'],
        ),
      ),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.nonNegativeDerivative
  {
    name: 'nonNegativeDerivative',
    group: 'Transform',
    params: [SERIES_LIST, { name: 'maxValue', type: 'float' }, { name: 'minValue', type: 'float' }],
    description: 'The increase of a counter at each point; a wrap or reset is None unless bounds are given.',
    impl: (_ctx, a) =>
      seriesListArg(a, 'seriesList').map((s) =>
        derived(
          s,
          `nonNegativeDerivative(${s.name})`,
          nonNegativeDeltas(s, optionalNumberArg(a, 'maxValue'), optionalNumberArg(a, 'minValue')),
          ['nonNegativeDerivative', '1'],
        ),
      ),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.perSecond
  {
    name: 'perSecond',
    group: 'Transform',
    params: [SERIES_LIST, { name: 'maxValue', type: 'float' }, { name: 'minValue', type: 'float' }],
    description: 'The increase of a counter per second, rounded to 6 decimals.',
    impl: (_ctx, a) =>
      seriesListArg(a, 'seriesList').map((s) => {
        const deltas = nonNegativeDeltas(
          s,
          optionalNumberArg(a, 'maxValue'),
          optionalNumberArg(a, 'minValue'),
        );
        for (let i = 0; i < deltas.length; i++) deltas[i] = round6(deltas[i] / s.step);
        return derived(s, `perSecond(${s.name})`, deltas, ['perSecond', '1']);
      }),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.integral
  {
    name: 'integral',
    group: 'Transform',
    params: [SERIES_LIST],
    description: 'The running total of the values (None stays None).',
    impl: (_ctx, a) =>
      seriesListArg(a, 'seriesList').map((s) => {
        let total = 0;
        const values = eachValue(s, (v) => {
          if (Number.isNaN(v)) return v;
          total += v;
          return total;
        });
        return derived(s, `integral(${s.name})`, values, ['integral', '1']);
      }),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.delay
  {
    name: 'delay',
    group: 'Transform',
    params: [SERIES_LIST, { name: 'steps', type: 'integer', required: true }],
    description: 'Shifts the values later (or earlier, when negative) by a number of steps.',
    impl: (_ctx, a) => {
      const steps = numberArg(a, 'steps');
      return seriesListArg(a, 'seriesList').map((s) => {
        const n = s.values.length;
        let values: Float64Array;
        if (steps < 0) {
          // series[-steps:] + [None] * min(-steps, len)
          const kept = s.values.slice(Math.min(-steps, n));
          values = new Float64Array(kept.length + Math.min(-steps, n)).fill(Number.NaN);
          values.set(kept);
        } else {
          // [None] * min(steps, len) + series[:-steps]; steps = 0 leaves nothing, as upstream.
          const kept = steps === 0 ? new Float64Array(0) : s.values.slice(0, Math.max(0, n - steps));
          values = new Float64Array(Math.min(steps, n) + kept.length).fill(Number.NaN);
          values.set(kept, Math.min(steps, n));
        }
        return derived(s, `delay(${s.name},${steps})`, values, ['delay', String(steps)]);
      });
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.keepLastValue
  {
    name: 'keepLastValue',
    group: 'Transform',
    params: [SERIES_LIST, { name: 'limit', type: 'intOrInf', default: Number.POSITIVE_INFINITY }],
    description: 'Fills runs of up to `limit` missing values with the value before them.',
    impl: (_ctx, a) => {
      const limit = numberArg(a, 'limit');
      return seriesListArg(a, 'seriesList').map((s) => {
        const values = Float64Array.from(s.values);
        let nones = 0;
        let last = Number.NaN;
        const fill = (end: number) => {
          if (nones > 0 && nones <= limit && !Number.isNaN(last)) values.fill(last, end - nones, end);
        };
        for (let i = 0; i < values.length; i++) {
          if (Number.isNaN(values[i])) nones++;
          else {
            fill(i);
            nones = 0;
            last = values[i];
          }
        }
        fill(values.length);
        return derived(s, `keepLastValue(${s.name})`, values);
      });
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.transformNull
  {
    name: 'transformNull',
    group: 'Transform',
    params: [
      SERIES_LIST,
      { name: 'default', type: 'float', default: 0 },
      { name: 'referenceSeries', type: 'seriesList' },
    ],
    description:
      'Replaces missing values with a constant (only where a reference series has data, if given).',
    impl: (_ctx, a) => {
      const d = numberArg(a, 'default');
      // A given default is a Python float ('5.0' in the tag); the default default is the int 0.
      const tagValue = wasGiven(a, 'default') ? pyFloatStr(d) : pyStr(d);
      // An empty referenceSeries is no reference at all (Python's `if referenceSeries:`).
      const given = a.get('referenceSeries') as Series[] | null;
      const ref = given?.length ? given : undefined;
      let defaults: Float64Array | undefined;
      if (ref) {
        const length = Math.max(...ref.map((r) => r.values.length));
        defaults = new Float64Array(length).fill(Number.NaN);
        for (let i = 0; i < length; i++)
          if (ref.some((r) => i < r.values.length && !Number.isNaN(r.values[i]))) defaults[i] = d;
      }
      return seriesListArg(a, 'seriesList').map((s) => {
        const suffix = ref ? ',referenceSeries' : '';
        const name = `transformNull(${s.name},${pyG(d)}${suffix})`;
        let values: Float64Array;
        if (defaults?.length) {
          values = new Float64Array(Math.max(s.values.length, defaults.length));
          for (let i = 0; i < values.length; i++) {
            const v = i < s.values.length ? s.values[i] : Number.NaN;
            values[i] = Number.isNaN(v) ? (i < defaults.length ? defaults[i] : Number.NaN) : v;
          }
        } else values = eachValue(s, (v) => (Number.isNaN(v) ? d : v));
        const out = derived(s, name, values, ['transformNull', tagValue]);
        if (ref) out.tags.referenceSeries = '1';
        return out;
      });
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.isNonNull
  simple(
    'isNonNull',
    '1 where a value exists, 0 where it is missing.',
    'isNonNull',
    (v) => (Number.isNaN(v) ? 0 : 1),
    'Combine',
  ),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.changed
  {
    name: 'changed',
    group: 'Special',
    params: [SERIES_LIST],
    description: '1 where the value differs from the last value seen, else 0.',
    impl: (_ctx, a) =>
      seriesListArg(a, 'seriesList').map((s) => {
        let previous = Number.NaN;
        const values = eachValue(s, (v) => {
          if (Number.isNaN(previous)) {
            previous = v;
            return 0;
          }
          if (!Number.isNaN(v) && previous !== v) {
            previous = v;
            return 1;
          }
          return 0;
        });
        return derived(s, `changed(${s.name})`, values);
      }),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.consolidateBy
  {
    name: 'consolidateBy',
    group: 'Special',
    params: [
      SERIES_LIST,
      {
        name: 'consolidationFunc',
        type: 'string',
        required: true,
        options: ['sum', 'average', 'avg', 'avg_zero', 'min', 'max', 'first', 'last'],
      },
    ],
    description: 'Sets how the series is consolidated when it has more points than pixels or maxDataPoints.',
    impl: (_ctx, a) => {
      const func = stringArg(a, 'consolidationFunc');
      return seriesListArg(a, 'seriesList').map((s) => ({
        ...derived(s, `consolidateBy(${s.name},"${func}")`, s.values, ['consolidateBy', func]),
        consolidationFunc: func,
      }));
    },
  },
];
