import type { Series } from '../../storage/series.js';
import { QueryError } from '../errors.js';
import { parseTimeOffset } from '../time/attime.js';
import { numberArg, seriesListArg, stringArg } from './args.js';
import type { FunctionContext, FunctionSpec, ParamSpec } from './registry.js';
import { newSeries } from './timeseries.js';

// Holt-Winters forecasting as graphite-web 1.1.8 does it (render/functions.py holtWintersAnalysis
// and the four functions on it): triple exponential smoothing with alpha = gamma = 0.1 and
// beta = 0.0035, one season of `seasonality`, bootstrapped on `bootstrapInterval` of history
// fetched before `from` (the first argument evaluated again over the longer window).
//
// Upstream's analysis writes its tags into the input series' own tag dict, which the series it
// returns share, so every output carries the tags of every step that ran (a forecast also says
// holtWintersDeviation=1). The outputs here carry the same sets.

const SERIES_LIST: ParamSpec = { name: 'seriesList', type: 'seriesList', required: true };
const DELTA: ParamSpec = { name: 'delta', type: 'integer', default: 3 };
const BOOTSTRAP: ParamSpec = {
  name: 'bootstrapInterval',
  type: 'interval',
  default: '7d',
  suggestions: ['7d', '30d'],
};
const SEASONALITY: ParamSpec = {
  name: 'seasonality',
  type: 'interval',
  default: '1d',
  suggestions: ['1d', '7d'],
};

const ALPHA = 0.1;
const GAMMA = 0.1;
const BETA = 0.0035;

/** What holtWintersAnalysis gives back: a prediction and a deviation per point (NaN = None). */
export interface HoltWinters {
  predictions: Float64Array;
  deviations: Float64Array;
}

/** holtWintersAnalysis over values at `step` seconds apart, with a season of `seasonSeconds`. */
export function holtWintersAnalysis(values: Float64Array, step: number, seasonSeconds: number): HoltWinters {
  const seasonLength = Math.floor(seasonSeconds / step);
  const n = values.length;
  const intercepts = new Float64Array(n);
  const slopes = new Float64Array(n);
  const seasonals = new Float64Array(n);
  const predictions = new Float64Array(n);
  const deviations = new Float64Array(n);
  const lastSeasonal = (i: number) => (i - seasonLength >= 0 ? seasonals[i - seasonLength] : 0);
  const lastDeviation = (i: number) => (i - seasonLength >= 0 ? deviations[i - seasonLength] : 0);
  let nextPrediction = Number.NaN;
  for (let i = 0; i < n; i++) {
    const actual = values[i];
    if (Number.isNaN(actual)) {
      // A missing value breaks the smoothing: no intercept, and the next point starts over.
      intercepts[i] = Number.NaN;
      slopes[i] = 0;
      seasonals[i] = 0;
      predictions[i] = nextPrediction;
      deviations[i] = 0;
      nextPrediction = Number.NaN;
      continue;
    }
    let lastIntercept: number;
    let lastSlope: number;
    let prediction: number;
    if (i === 0) {
      lastIntercept = actual;
      lastSlope = 0;
      prediction = actual;
    } else {
      lastIntercept = Number.isNaN(intercepts[i - 1]) ? actual : intercepts[i - 1];
      lastSlope = slopes[i - 1];
      prediction = nextPrediction;
    }
    const season = lastSeasonal(i);
    const nextSeason = lastSeasonal(i + 1);
    const intercept = ALPHA * (actual - season) + (1 - ALPHA) * (lastIntercept + lastSlope);
    const slope = BETA * (intercept - lastIntercept) + (1 - BETA) * lastSlope;
    const seasonal = GAMMA * (actual - intercept) + (1 - GAMMA) * season;
    nextPrediction = intercept + slope + nextSeason;
    // holtWintersDeviation: a missing prediction counts as 0.
    const deviation =
      GAMMA * Math.abs(actual - (Number.isNaN(prediction) ? 0 : prediction)) + (1 - GAMMA) * lastDeviation(i);
    intercepts[i] = intercept;
    slopes[i] = slope;
    seasonals[i] = seasonal;
    predictions[i] = prediction;
    deviations[i] = deviation;
  }
  return { predictions, deviations };
}

function offsetSeconds(name: string, text: string): number {
  try {
    return parseTimeOffset(text);
  } catch (err) {
    throw new QueryError(`invalid ${name} "${text}": ${(err as Error).message}`);
  }
}

/** One input series after the bootstrap: its forecast and deviation over the requested range. */
interface Analysed {
  series: Series;
  start: number;
  forecast: Float64Array;
  deviation: Float64Array;
}

/** Fetches `bootstrapInterval` more history, analyses each series, cuts the bootstrap off again. */
async function analyse(
  ctx: FunctionContext,
  bootstrapInterval: string,
  seasonality: string,
): Promise<Analysed[]> {
  // Upstream's `bootstrap.seconds + bootstrap.days * 86400`, sign kept.
  const previewSeconds = offsetSeconds('bootstrapInterval', bootstrapInterval);
  const seasonSeconds = offsetSeconds('seasonality', seasonality);
  const w = ctx.window;
  const previewList = await ctx.evaluateOver(ctx.rawArgs[0], {
    from: w.from - previewSeconds,
    until: w.until,
    now: w.now,
  });
  return previewList.map((s) => {
    const { predictions, deviations } = holtWintersAnalysis(s.values, s.step, seasonSeconds);
    const windowPoints = Math.max(0, Math.floor(previewSeconds / s.step));
    return {
      series: s,
      start: s.start + previewSeconds,
      forecast: predictions.slice(windowPoints),
      deviation: deviations.slice(windowPoints),
    };
  });
}

function tagged(s: Series, names: string[]): Record<string, string> {
  const tags = { ...s.tags };
  for (const n of names) tags[n] = '1';
  return tags;
}

/** The lower and upper bands of one analysed series: forecast -/+ delta deviations. */
function bands(a: Analysed, delta: number): Series[] {
  const s = a.series;
  const lower = new Float64Array(a.forecast.length);
  const upper = new Float64Array(a.forecast.length);
  for (let i = 0; i < lower.length; i++) {
    const scaled = delta * a.deviation[i];
    lower[i] = a.forecast[i] - scaled;
    upper[i] = a.forecast[i] + scaled;
  }
  const tags = tagged(s, [
    'holtWintersForecast',
    'holtWintersDeviation',
    'holtWintersConfidenceUpper',
    'holtWintersConfidenceLower',
  ]);
  const opts = { xFilesFactor: s.xFilesFactor, tags };
  return [
    {
      ...newSeries(`holtWintersConfidenceLower(${s.name})`, a.start, s.end, s.step, lower, opts),
      pathExpression: s.pathExpression,
    },
    {
      ...newSeries(`holtWintersConfidenceUpper(${s.name})`, a.start, s.end, s.step, upper, opts),
      pathExpression: s.pathExpression,
    },
  ];
}

async function confidenceBands(ctx: FunctionContext, a: Map<string, unknown>): Promise<Series[]> {
  const delta = numberArg(a, 'delta');
  const analysed = await analyse(ctx, stringArg(a, 'bootstrapInterval'), stringArg(a, 'seasonality'));
  return analysed.flatMap((x) => bands(x, delta));
}

/** The Holt-Winters functions of the Calculate group. */
export const HOLT_WINTERS: FunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.holtWintersForecast
  {
    name: 'holtWintersForecast',
    group: 'Calculate',
    params: [SERIES_LIST, BOOTSTRAP, SEASONALITY],
    description: 'The Holt-Winters forecast of each series, bootstrapped on the history before `from`.',
    impl: async (ctx, a) => {
      const analysed = await analyse(ctx, stringArg(a, 'bootstrapInterval'), stringArg(a, 'seasonality'));
      return analysed.map(({ series: s, start, forecast }) =>
        newSeries(`holtWintersForecast(${s.name})`, start, s.end, s.step, forecast, {
          xFilesFactor: s.xFilesFactor,
          tags: tagged(s, ['holtWintersForecast', 'holtWintersDeviation']),
        }),
      );
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.holtWintersConfidenceBands
  {
    name: 'holtWintersConfidenceBands',
    group: 'Calculate',
    params: [SERIES_LIST, DELTA, BOOTSTRAP, SEASONALITY],
    description:
      'The lower and upper Holt-Winters bands: the forecast -/+ delta times the predicted deviation.',
    impl: (ctx, a) => confidenceBands(ctx, a),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.holtWintersAberration
  {
    name: 'holtWintersAberration',
    group: 'Calculate',
    params: [SERIES_LIST, DELTA, BOOTSTRAP, SEASONALITY],
    description: 'How far each value lies outside the Holt-Winters bands (0 inside them).',
    impl: async (ctx, a) => {
      const byName = new Map((await confidenceBands(ctx, a)).map((s) => [s.name, s]));
      return seriesListArg(a, 'seriesList').map((s) => {
        const lower = byName.get(`holtWintersConfidenceLower(${s.name})`);
        const upper = byName.get(`holtWintersConfidenceUpper(${s.name})`);
        if (!lower || !upper) throw new QueryError(`holtWintersAberration: no bands for "${s.name}"`);
        const values = new Float64Array(s.values.length);
        for (let i = 0; i < values.length; i++) {
          const v = s.values[i];
          if (i >= upper.values.length)
            throw new QueryError(
              `holtWintersAberration: the bands of "${s.name}" are shorter than the series`,
            );
          const hi = upper.values[i];
          const lo = lower.values[i];
          if (Number.isNaN(v)) values[i] = 0;
          else if (!Number.isNaN(hi) && v > hi) values[i] = v - hi;
          else if (!Number.isNaN(lo) && v < lo) values[i] = v - lo;
          else values[i] = 0;
        }
        return newSeries(`holtWintersAberration(${s.name})`, s.start, s.end, s.step, values, {
          xFilesFactor: s.xFilesFactor,
          tags: tagged(s, ['holtWintersAberration']),
        });
      });
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.holtWintersConfidenceArea
  {
    name: 'holtWintersConfidenceArea',
    group: 'Calculate',
    params: [SERIES_LIST, DELTA, BOOTSTRAP, SEASONALITY],
    description: 'The area between the Holt-Winters bands, drawn stacked (areaBetween of the two bands).',
    impl: async (ctx, a) => {
      const both = await confidenceBands(ctx, a);
      // areaBetween asserts exactly two series: one input series.
      if (both.length !== 2)
        throw new QueryError(
          `holtWintersConfidenceArea: the seriesList must hold exactly 1 series (areaBetween needs 2 bands); got ${both.length / 2}`,
        );
      const [lower, upper] = both;
      const name = `holtWintersConfidenceArea(${upper.pathExpression})`;
      const tags = { ...upper.tags, holtWintersConfidenceArea: '1' };
      return [
        {
          ...lower,
          name,
          pathExpression: name,
          tags,
          options: { ...lower.options, stacked: true, invisible: true },
        },
        {
          ...upper,
          name,
          pathExpression: name,
          tags: { ...tags },
          options: { ...upper.options, stacked: true },
        },
      ];
    },
  },
];
