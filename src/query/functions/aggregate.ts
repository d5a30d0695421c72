import type { Series } from '../../storage/series.js';
import { QueryError } from '../errors.js';
import { getAggFunc } from './aggfuncs.js';
import { formatPathExpressions, mapRows, newSeries, normalize, xffRow } from './timeseries.js';

/**
 * graphite-web's aggregate(): the series of all lists normalized to a common step and reduced row
 * by row with `func` (a row short of the xFilesFactor is None), named `<func>Series(<paths>)` from
 * the distinct pathExpressions, tagged with the tags all inputs share plus aggregatedBy. A `func`
 * spelled `sumSeries` is read as `sum`. No series, no result.
 */
export function aggregateSeries(seriesLists: Series[][], rawFunc: string, xFilesFactor: number): Series[] {
  const func = rawFunc.endsWith('Series') ? rawFunc.slice(0, -6) : rawFunc;
  const agg = getAggFunc(func);
  if (!agg) throw new QueryError(`unsupported aggregation function: "${rawFunc}"`);
  const norm = normalize(seriesLists);
  if (!norm) return [];
  const { series, rows, start, end, step } = norm;
  const name = `${func}Series(${formatPathExpressions(series)})`;
  const values = mapRows(rows, (row) => (xffRow(row, xFilesFactor) ? agg(row) : Number.NaN));
  let tags: Record<string, string> = { ...series[0].tags };
  for (const s of series) tags = Object.fromEntries(Object.entries(tags).filter(([k, v]) => s.tags[k] === v));
  if (!('name' in tags)) tags.name = name;
  tags.aggregatedBy = func;
  return [newSeries(name, start, end, step, values, { xFilesFactor, tags })];
}
