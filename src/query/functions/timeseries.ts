import type { Series } from '../../storage/series.js';
import { consolidate } from '../consolidate.js';

// What graphite-web's TimeSeries constructor and its helpers do (render/datalib.py,
// render/functions.py): the tags a new series gets from its name, lcm step normalization, and the
// pathExpression bookkeeping that series names are built from.

/**
 * The tags graphite-web gives a new series without explicit tags: parsed from a `name;tag=value`
 * name by the tag database, unless the name looks like a function call (`^[a-z]+[(].+[)]$`, any
 * case), or does not parse; then just {name}. The name tag loses leading '~' (tags/utils.py).
 */
export function tagsFromName(name: string): Record<string, string> {
  if (/^[a-z]+[(].+[)]$/is.test(name)) return { name };
  const segments = name.split(';');
  const metric = segments[0];
  const sanitized = metric.replace(/^~+/, '');
  if (!metric || !sanitized) return { name };
  const tags: Record<string, string> = {};
  for (const segment of segments.slice(1)) {
    const eq = segment.indexOf('=');
    const tag = eq < 0 ? '' : segment.slice(0, eq);
    const value = eq < 0 ? '' : segment.slice(eq + 1);
    if (!tag || !value || value.startsWith('~') || /[;!^=]/.test(tag)) return { name };
    tags[tag] = value;
  }
  tags.name = sanitized;
  return tags;
}

/** A new series as `TimeSeries(name, start, end, step, values, xFilesFactor=...)` makes it. */
export function newSeries(
  name: string,
  start: number,
  end: number,
  step: number,
  values: Float64Array,
  opts: { xFilesFactor: number; tags?: Record<string, string>; consolidationFunc?: string },
): Series {
  return {
    name,
    tags: opts.tags ?? tagsFromName(name),
    start,
    end,
    step,
    values,
    pathExpression: name,
    xFilesFactor: opts.xFilesFactor,
    consolidationFunc: opts.consolidationFunc ?? 'average',
  };
}

/**
 * graphite-web's `series.copy(...)`: a new series sharing the rest; the copy's pathExpression becomes
 * its name (copy() does not pass it on), which shows in names built from pathExpressions later.
 */
export function copySeries(
  s: Series,
  changes: Partial<Pick<Series, 'name' | 'start' | 'end' | 'step' | 'values' | 'tags'>>,
): Series {
  const name = changes.name ?? s.name;
  return { ...s, ...changes, name, pathExpression: name, tags: changes.tags ?? { ...s.tags } };
}

/** Greatest common divisor and least common multiple of steps, as graphite-web's gcd/lcm. */
function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export function lcm(a: number, b: number): number {
  if (a === b) return a;
  const [x, y] = a < b ? [b, a] : [a, b];
  return (x / gcd(x, y)) * y;
}

/** The result of normalize(): series at a common step and the window they span. */
export interface Normalized {
  /** Each series' values consolidated to `step` (its own consolidationFunc and xFilesFactor). */
  rows: Float64Array[];
  series: Series[];
  start: number;
  end: number;
  step: number;
}

/**
 * graphite-web's normalize(seriesLists): the common step is the lcm of all steps, each series is
 * consolidated `step / its step` values per point, start is the earliest start, end the latest end
 * trimmed to a whole number of steps. Null for no series (upstream's NormalizeEmptyResultError).
 * Upstream consolidates the input series in place (valuesPerPoint); we hand back the consolidated
 * values instead and leave the inputs as they are.
 */
export function normalize(seriesLists: Series[][]): Normalized | null {
  const series = seriesLists.flat();
  if (series.length === 0) return null;
  const step = series.map((s) => s.step).reduce(lcm);
  const rows = series.map((s) =>
    s.step === step
      ? s.values
      : consolidate(s.values, step / s.step, s.consolidationFunc ?? 'average', s.xFilesFactor),
  );
  const start = Math.min(...series.map((s) => s.start));
  let end = Math.max(...series.map((s) => s.end));
  end -= (end - start) % step;
  return { rows, series, start, end, step };
}

// Columns transposed per block in mapRows: 64 points of 1,000 series is 512 KB, within L2, so the
// transpose reads each series sequentially instead of jumping between all of them for every point.
const ROW_BLOCK = 64;

/**
 * Walks the rows of `izip_longest(*seriesList)`: calls `fn` with each row (NaN where a series is
 * shorter) and collects what it returns. The row handed to `fn` is only valid during the call.
 */
export function mapRows(rows: Float64Array[], fn: (row: Float64Array) => number): Float64Array {
  const n = rows.length;
  let length = 0;
  for (const r of rows) if (r.length > length) length = r.length;
  const out = new Float64Array(length);
  if (n <= ROW_BLOCK) {
    // Few series fit in cache anyway: one reused row, no view per point.
    const row = new Float64Array(n);
    for (let i = 0; i < length; i++) {
      for (let j = 0; j < n; j++) row[j] = i < rows[j].length ? rows[j][i] : Number.NaN;
      out[i] = fn(row);
    }
    return out;
  }
  const block = new Float64Array(ROW_BLOCK * n);
  for (let i0 = 0; i0 < length; i0 += ROW_BLOCK) {
    const width = Math.min(ROW_BLOCK, length - i0);
    for (let j = 0; j < n; j++) {
      const r = rows[j];
      const have = Math.min(width, r.length - i0);
      let k = 0;
      for (let at = j; k < have; k++, at += n) block[at] = r[i0 + k];
      for (let at = k * n + j; k < width; k++, at += n) block[at] = Number.NaN;
    }
    for (let k = 0; k < width; k++) out[i0 + k] = fn(block.subarray(k * n, k * n + n));
  }
  return out;
}

/** graphite-web's formatPathExpressions: the distinct pathExpressions in order, joined by ','. */
export function formatPathExpressions(seriesList: Series[]): string {
  return [...new Set(seriesList.map((s) => s.pathExpression))].join(',');
}

/** graphite-web's xffValues: enough non-null values in a row for its xFilesFactor. */
export function xffRow(row: ArrayLike<number>, xFilesFactor: number): boolean {
  if (row.length === 0) return false;
  let nonNull = 0;
  for (let i = 0; i < row.length; i++) if (!Number.isNaN(row[i])) nonNull++;
  return nonNull > 0 && nonNull / row.length >= xFilesFactor;
}
