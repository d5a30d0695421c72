import type { Series } from '../../storage/series.js';

/**
 * The keys of graphite-web's TimeSeries.getInfo() (render/datalib.py) in its dict order: what the
 * pickle and msgpack formats carry per series, and what a graphite-web cluster frontend reads back.
 */
export const SERIES_INFO_KEYS = [
  'name',
  'start',
  'end',
  'step',
  'values',
  'pathExpression',
  'valuesPerPoint',
  'consolidationFunc',
  'xFilesFactor',
] as const;

/** getInfo()'s `consolidationFunc`: TimeSeries defaults it to 'average'. */
export function consolidationFuncOf(series: Series): string {
  return series.consolidationFunc ?? 'average';
}

/**
 * getInfo()'s `valuesPerPoint`: 1, because the binary formats are written before any maxDataPoints
 * consolidation (renderViewPickle and renderViewMsgPack never call consolidate()).
 */
export const VALUES_PER_POINT = 1;
