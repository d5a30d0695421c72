import type { Series } from '../../storage/series.js';
import { QueryError } from '../errors.js';
import type { ParamSpec } from './registry.js';

// graphite-web 1.1.8 keeps a second, separate function table for pie charts (render/functions.py
// PieFunctions): each reduces one series to the single value its slice shows. They are not series
// functions — a target cannot call them — and /functions lists them only with ?type=pie
// (functions/views.py). views.py picks one by the request's pieMode (default "average").

/** One pie function: graphite-web's name for it, its /functions description, and the reduction. */
export interface PieFunctionSpec {
  /** The pieMode value that selects it (graphite-web registers them as average, maximum, minimum). */
  name: string;
  group: 'Pie';
  /** graphite-web's params: one required `series` (ParamTypes.series), listed by /functions?type=pie. */
  params: PieParamSpec[];
  /** The function's docstring, as /functions reports it. */
  description: string;
  /** The slice's value; null where graphite-web's function returns None (no non-null point). */
  reduce(values: Float64Array): number | null;
}

/** ParamSpec with the one type only pie functions use (graphite-web's ParamTypes.series). */
export type PieParamSpec = Omit<ParamSpec, 'type'> & { type: 'series' };

const SERIES_PARAM: PieParamSpec[] = [{ name: 'series', type: 'series', required: true }];

/** The pie functions in graphite-web's PieFunctions order. */
export const PIE_FUNCTIONS: readonly PieFunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/render_api.html#piemode — pieAverage:
  // safeDiv(safeSum(series), safeLen(series)), None when every point is None.
  {
    name: 'average',
    group: 'Pie',
    params: SERIES_PARAM,
    description: 'Return the average',
    reduce(values) {
      let sum = 0;
      let count = 0;
      for (const v of values) {
        if (Number.isNaN(v)) continue;
        sum += v;
        count++;
      }
      return count === 0 ? null : sum / count;
    },
  },
  // pieMaximum: safeMax(series), Python's max over the non-None points.
  {
    name: 'maximum',
    group: 'Pie',
    params: SERIES_PARAM,
    description: 'Return the maximum',
    reduce: (values) => extreme(values, (v, best) => v > best),
  },
  // pieMinimum: safeMin(series).
  {
    name: 'minimum',
    group: 'Pie',
    params: SERIES_PARAM,
    description: 'Return the minimum',
    reduce: (values) => extreme(values, (v, best) => v < best),
  },
];

// Python's max/min keep the first of equal values and never replace on a comparison with NaN; a
// gap is NaN here, so gaps are skipped before comparing (safeMax drops the Nones first).
function extreme(values: Float64Array, better: (v: number, best: number) => boolean): number | null {
  let best: number | null = null;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (best === null || better(v, best)) best = v;
  }
  return best;
}

/** The pie function for a pieMode, or a QueryError naming the known modes. */
export function pieFunction(mode: string): PieFunctionSpec {
  const spec = PIE_FUNCTIONS.find((f) => f.name === mode);
  if (spec) return spec;
  const known = PIE_FUNCTIONS.map((f) => f.name).join(', ');
  throw new QueryError(`unknown pieMode "${mode}"; want one of ${known}`);
}

/** One slice of a pie: its label and value. */
export interface PieSlice {
  name: string;
  value: number;
}

/**
 * A `name:value` pie target (views.py: a target holding ':' is a literal slice, split at the first
 * ':'); null for an ordinary target. A value Python's float() refuses is a QueryError quoting it.
 */
export function parsePieLiteral(target: string): PieSlice | null {
  const colon = target.indexOf(':');
  if (colon < 0) return null;
  const name = target.slice(0, colon);
  const text = target.slice(colon + 1);
  const value = pyFloatParse(text);
  if (value === undefined)
    throw new QueryError(`invalid pie target "${target}": got "${text}" after ':'; want a number`);
  return { name, value };
}

// Python's float(str): surrounding whitespace, an optional sign, digits with single underscores
// between them, an optional fraction and exponent, or inf/infinity/nan in any case.
const PY_FLOAT =
  /^[+-]?(?:(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?|inf|infinity|nan)$/i;

function pyFloatParse(text: string): number | undefined {
  const t = text.trim();
  if (!PY_FLOAT.test(t)) return undefined;
  const lower = t.toLowerCase().replaceAll('_', '');
  const sign = lower.startsWith('-') ? -1 : 1;
  const bare = lower.replace(/^[+-]/, '');
  if (bare === 'inf' || bare === 'infinity') return sign * Number.POSITIVE_INFINITY;
  if (bare === 'nan') return Number.NaN;
  return Number(lower);
}

/**
 * The slices views.py builds for graphType=pie from already-evaluated series: one per series, named
 * by the series, valued by the pie function; a None result becomes 0 (`func(...) or 0`).
 */
export function pieSlices(seriesList: Series[], spec: PieFunctionSpec): PieSlice[] {
  return seriesList.map((s) => ({ name: s.name, value: spec.reduce(s.values) ?? 0 }));
}
