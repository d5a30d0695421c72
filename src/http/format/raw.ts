import type { Series } from '../../storage/series.js';
import { pyFloat } from './python.js';

/**
 * graphite-web 1.1.8's renderViewRaw (format=raw, or the rawData parameter): per series one line
 * `name,start,end,step|v1,v2,...` with each value as Python's repr — `None` for a gap, `inf`/`-inf`.
 * No maxDataPoints consolidation, as upstream.
 */
export function renderRaw(seriesList: Series[]): string {
  let out = '';
  for (const s of seriesList) {
    const values = new Array<string>(s.values.length);
    for (let i = 0; i < s.values.length; i++) values[i] = pyRepr(s.values[i]);
    out += `${s.name},${s.start},${s.end},${s.step}|${values.join(',')}\n`;
  }
  return out;
}

// repr() of a value of list(series): NaN here is None there.
function pyRepr(v: number): string {
  if (Number.isNaN(v)) return 'None';
  if (v === Number.POSITIVE_INFINITY) return 'inf';
  if (v === Number.NEGATIVE_INFINITY) return '-inf';
  return pyFloat(v);
}
