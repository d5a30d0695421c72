import type { Series } from '../../storage/series.js';
import { QueryError } from '../errors.js';
import { parseTimeOffset } from '../time/attime.js';
import { getAggFunc } from './aggfuncs.js';
import { numberArg, optionalNumberArg, rawArg, seriesListArg, stringArg } from './args.js';
import type { FunctionContext, FunctionSpec, ParamSpec } from './registry.js';
import { withTag } from './series-tags.js';
import { windowAggregates, windowSums } from './window-values.js';

// The moving-window functions of graphite-web 1.1.8 (render/functions.py movingWindow and
// exponentialMovingAverage). Each throws away the series it was given and evaluates its first
// argument again over a window that starts `previewSeconds` earlier, so the first points of the
// requested range have a full window of history behind them; the output starts `previewSeconds`
// after what was fetched.

const SERIES_LIST: ParamSpec = { name: 'seriesList', type: 'seriesList', required: true };
const WINDOW_SIZE: ParamSpec = {
  name: 'windowSize',
  type: 'intOrInterval',
  required: true,
  suggestions: [5, 7, 10, '1min', '5min', '10min', '30min', '1hour'],
};
const XFF: ParamSpec = { name: 'xFilesFactor', type: 'float' };

/** Seconds of an interval argument such as '5min' or '-1h', as upstream's `abs(delta.seconds + delta.days * 86400)`. */
export function intervalSeconds(interval: string): number {
  try {
    return Math.abs(parseTimeOffset(interval));
  } catch (err) {
    throw new QueryError(`invalid interval "${interval}": ${(err as Error).message}`);
  }
}

/**
 * Evaluates this call's first argument again over a window starting `previewSeconds` before the
 * request's `from` (upstream's newContext with startTime moved back and prefetch emptied).
 */
export function fetchWithPreview(ctx: FunctionContext, previewSeconds: number): Promise<Series[]> {
  const w = ctx.window;
  return ctx.evaluateOver(ctx.rawArgs[0], { from: w.from - previewSeconds, until: w.until, now: w.now });
}

/** The window of a moving function: how far back to fetch, and points per window for a series. */
interface MovingWindow {
  previewSeconds: number;
  points(series: Series): number;
  /** The window as the name writes it: `5` or `"5min"`. */
  label: string;
  /** The tag value: the int as given, or the interval string. */
  tag: string | number;
}

function movingWindowOf(windowSize: number | string | null, seriesList: Series[]): MovingWindow {
  if (typeof windowSize === 'string') {
    const previewSeconds = intervalSeconds(windowSize);
    return {
      previewSeconds,
      points: (s) => Math.floor(previewSeconds / s.step),
      label: `"${windowSize}"`,
      tag: windowSize,
    };
  }
  if (windowSize === null) throw new Error('BUG: windowSize is required');
  // int(windowSize): a float window is truncated, as upstream.
  const n = Math.trunc(windowSize);
  const maxStep = Math.max(...seriesList.map((s) => s.step));
  return { previewSeconds: maxStep * n, points: () => n, label: String(windowSize), tag: windowSize };
}

// Python's str.capitalize(): 'avg_zero' -> 'Avg_zero', 'sumSeries' -> 'Sumseries'.
function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}

/** graphite-web's movingWindow(seriesList, windowSize, func, xFilesFactor). */
async function movingWindow(
  ctx: FunctionContext,
  seriesList: Series[],
  windowSize: number | string | null,
  func: string,
  xFilesFactor: number | undefined,
): Promise<Series[]> {
  if (seriesList.length === 0) return [];
  const aggregate = getAggFunc(func);
  if (!aggregate) throw new QueryError(`unknown aggregation function "${func}"`);
  const w = movingWindowOf(windowSize, seriesList);
  const tagName = `moving${capitalize(func)}`;
  const previewList = await fetchWithPreview(ctx, w.previewSeconds);
  return previewList.map((s) => {
    const windowPoints = w.points(s);
    const xff = xFilesFactor ?? s.xFilesFactor;
    const values =
      func === 'average' || func === 'avg' || func === 'sum' || func === 'total'
        ? windowSums(s.values, windowPoints, xff, func === 'average' || func === 'avg')
        : windowAggregates(s.values, windowPoints, xff, aggregate);
    const name = `${tagName}(${s.name},${w.label})`;
    return {
      ...s,
      tags: withTag(s, tagName, w.tag),
      name,
      pathExpression: name,
      start: s.start + w.previewSeconds,
      values,
    };
  });
}

function moving(name: string, func: string, what: string): FunctionSpec {
  return {
    name,
    group: 'Calculate',
    params: [SERIES_LIST, WINDOW_SIZE, XFF],
    description: `The ${what} of the points in a window (a number of points or an interval) before each point.`,
    impl: (ctx, a) =>
      movingWindow(
        ctx,
        seriesListArg(a, 'seriesList'),
        rawArg(a, 'windowSize'),
        func,
        optionalNumberArg(a, 'xFilesFactor'),
      ),
  };
}

// Python's round(x, 6), half to even on the decimal value as printed.
function round6(x: number): number {
  return Number.isFinite(x) ? Number(x.toFixed(6)) : x;
}

/**
 * stdev's running standard deviation over the last `points` values (the current one included),
 * kept as a running sum and sum of squares as upstream does, so its rounding is matched too. A
 * point has a value when the share of non-null values in its window reaches windowTolerance
 * (upstream's docs say the opposite; the code is what answers).
 */
function runningStdev(values: Float64Array, points: number, windowTolerance: number): Float64Array {
  const out = new Float64Array(values.length);
  let valid = 0;
  let sum = 0;
  let sumOfSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const dropped = i < points ? Number.NaN : values[i - points];
    const v = values[i];
    if (!Number.isNaN(dropped)) {
      valid--;
      sum -= dropped;
      sumOfSquares -= dropped ** 2;
    }
    if (!Number.isNaN(v)) {
      valid++;
      sum += v;
      sumOfSquares += v ** 2;
    }
    // math.sqrt of a negative (rounding) raises ValueError upstream: None.
    const square = valid * sumOfSquares - sum ** 2;
    out[i] =
      valid > 0 && valid / points >= windowTolerance && square >= 0 ? Math.sqrt(square) / valid : Number.NaN;
  }
  return out;
}

/** The Calculate group's moving-window functions. */
export const WINDOW: FunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.stdev
  {
    name: 'stdev',
    group: 'Calculate',
    params: [
      SERIES_LIST,
      { name: 'points', type: 'integer', required: true },
      { name: 'windowTolerance', type: 'float', default: 0.1 },
    ],
    description: 'The standard deviation of the last `points` values at each point (no history fetched).',
    impl: (_ctx, a) => {
      const points = numberArg(a, 'points');
      const windowTolerance = numberArg(a, 'windowTolerance');
      return seriesListArg(a, 'seriesList').map((s) => {
        const name = `stdev(${s.name},${points})`;
        return {
          ...s,
          name,
          pathExpression: name,
          tags: withTag(s, 'stdev', points),
          values: runningStdev(s.values, points, windowTolerance),
        };
      });
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.movingWindow
  {
    name: 'movingWindow',
    group: 'Calculate',
    params: [SERIES_LIST, WINDOW_SIZE, { name: 'func', type: 'aggFunc', default: 'average' }, XFF],
    description: 'An aggregation function over the points in a window before each point.',
    impl: (ctx, a) =>
      movingWindow(
        ctx,
        seriesListArg(a, 'seriesList'),
        rawArg(a, 'windowSize'),
        stringArg(a, 'func'),
        optionalNumberArg(a, 'xFilesFactor'),
      ),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.movingAverage
  moving('movingAverage', 'average', 'average'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.movingSum
  moving('movingSum', 'sum', 'sum'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.movingMin
  moving('movingMin', 'min', 'minimum'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.movingMax
  moving('movingMax', 'max', 'maximum'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.movingMedian
  moving('movingMedian', 'median', 'median'),
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.exponentialMovingAverage
  {
    name: 'exponentialMovingAverage',
    group: 'Calculate',
    params: [SERIES_LIST, WINDOW_SIZE],
    description:
      'An exponential moving average with constant 2 / (windowSize + 1), seeded with the average of the first window.',
    impl: async (ctx, a) => {
      const seriesList = seriesListArg(a, 'seriesList');
      if (seriesList.length === 0) return [];
      const windowSize = rawArg(a, 'windowSize');
      const w = movingWindowOf(windowSize, seriesList);
      // An interval's constant comes from its seconds, not its points (upstream's int(previewSeconds)).
      const constant =
        2 / ((typeof windowSize === 'string' ? w.previewSeconds : Math.trunc(windowSize ?? 0)) + 1);
      const previewList = await fetchWithPreview(ctx, w.previewSeconds);
      return previewList.map((s) => {
        const windowPoints = w.points(s);
        const first = s.values.subarray(0, windowPoints);
        let sum = 0;
        let count = 0;
        for (const v of first)
          if (!Number.isNaN(v)) {
            sum += v;
            count++;
          }
        // safeAvg(series[:windowPoints]) or 0: no value (or an average of 0) starts at 0.
        let ema = count ? sum / count : 0;
        const values = new Float64Array(1 + Math.max(0, s.values.length - windowPoints));
        values[0] = round6(ema);
        for (let i = windowPoints; i < s.values.length; i++) {
          const v = s.values[i];
          if (Number.isNaN(v)) values[i - windowPoints + 1] = Number.NaN;
          else {
            ema = constant * v + (1 - constant) * ema;
            values[i - windowPoints + 1] = round6(ema);
          }
        }
        const name = `exponentialMovingAverage(${s.name},${w.label})`;
        return {
          ...s,
          tags: withTag(s, 'exponentialMovingAverage', w.tag),
          name,
          pathExpression: name,
          start: s.start + w.previewSeconds,
          values,
        };
      });
    },
  },
];
