// graphite-web 1.1.8's aggregation functions (graphite/functions/aggfuncs.py over functions/safe.py):
// each reduces a row of values, NaN standing for None, to one value or NaN. Sums run left to right
// as Python 3.11's sum() does, so rounding matches.

/** Reduces the values of one row (NaN = None) to one value, NaN when there is none. */
export type AggFunc = (row: ArrayLike<number>) => number;

function nonNull(row: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < row.length; i++) if (!Number.isNaN(row[i])) out.push(row[i]);
  return out;
}

function sum(values: number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

// safeSum and safeAvg skip None in place rather than building the list of the others: the same
// additions in the same order, without an array per row (sumSeries calls them once per point).
const safeSum: AggFunc = (row) => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < row.length; i++) {
    const x = row[i];
    if (!Number.isNaN(x)) {
      s += x;
      n++;
    }
  }
  return n ? s : Number.NaN;
};

const safeAvg: AggFunc = (row) => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < row.length; i++) {
    const x = row[i];
    if (!Number.isNaN(x)) {
      s += x;
      n++;
    }
  }
  return n ? s / n : Number.NaN;
};

// safeAvgZero: None counts as 0.
const safeAvgZero: AggFunc = (row) => {
  if (row.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < row.length; i++) if (!Number.isNaN(row[i])) s += row[i];
  return s / row.length;
};

const safeMedian: AggFunc = (row) => {
  const v = nonNull(row).sort((a, b) => a - b);
  if (!v.length) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 0 ? (v[mid - 1] + v[mid]) / 2 : v[mid];
};

// Python's min()/max() keep the first of equal values and compare with < / >.
const safeMin: AggFunc = (row) => {
  let m = Number.NaN;
  for (let i = 0; i < row.length; i++) {
    const x = row[i];
    if (x < m || (Number.isNaN(m) && !Number.isNaN(x))) m = x;
  }
  return m;
};

const safeMax: AggFunc = (row) => {
  let m = Number.NaN;
  for (let i = 0; i < row.length; i++) {
    const x = row[i];
    if (x > m || (Number.isNaN(m) && !Number.isNaN(x))) m = x;
  }
  return m;
};

// safeDiff: the first value minus the others: sum([v0, -v1, -v2...]).
const safeDiff: AggFunc = (row) => {
  const v = nonNull(row);
  if (!v.length) return Number.NaN;
  let s = 0;
  s += v[0];
  for (let i = 1; i < v.length; i++) s += v[i] * -1;
  return s;
};

// safeStdDev: population standard deviation of the non-null values.
const safeStdDev: AggFunc = (row) => {
  const v = nonNull(row);
  if (!v.length) return Number.NaN;
  const avg = sum(v) / v.length;
  let s = 0;
  for (const x of v) s = s + (x - avg) * (x - avg);
  return Math.sqrt(s / v.length);
};

const safeLen: AggFunc = (row) => {
  let n = 0;
  for (let i = 0; i < row.length; i++) if (!Number.isNaN(row[i])) n++;
  return n;
};

// range: safeSubtract(safeMax, safeMin).
const range: AggFunc = (row) => safeMax(row) - safeMin(row);

// multiply: safeMul(*row) is None as soon as one value is None.
const multiply: AggFunc = (row) => {
  if (row.length === 0) return Number.NaN;
  let p = row[0];
  for (let i = 0; i < row.length; i++) if (Number.isNaN(row[i])) return Number.NaN;
  for (let i = 1; i < row.length; i++) p *= row[i];
  return p;
};

const safeLast: AggFunc = (row) => {
  for (let i = row.length - 1; i >= 0; i--) if (!Number.isNaN(row[i])) return row[i];
  return Number.NaN;
};

/** aggFuncs and aggFuncAliases, by name. */
export const AGG_FUNCS: Record<string, AggFunc> = {
  average: safeAvg,
  avg_zero: safeAvgZero,
  median: safeMedian,
  sum: safeSum,
  min: safeMin,
  max: safeMax,
  diff: safeDiff,
  stddev: safeStdDev,
  count: safeLen,
  range,
  multiply,
  last: safeLast,
  rangeOf: range,
  avg: safeAvg,
  total: safeSum,
  current: safeLast,
};

/** The names an aggFunc parameter accepts, in upstream's order (its /functions options are sorted). */
export const AGG_FUNC_NAMES = Object.keys(AGG_FUNCS);

/** The aggregation function for a name, also in its deprecated `sumSeries` spelling; undefined if none. */
export function getAggFunc(name: string): AggFunc | undefined {
  return AGG_FUNCS[name] ?? AGG_FUNCS[name.replace(/Series$/, '')];
}
