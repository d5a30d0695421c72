import type { Series } from '../../storage/series.js';
import { pyFloat, pyJsonString } from './python.js';

/**
 * graphite-web 1.1.8's renderViewDygraph: `{"labels" : ["Time", names...], "data" : [rows]}` with one
 * row per timestamp of the first series, `[<ts>000, v1, v2, ...]` (milliseconds by appending "000"),
 * values as str(float), gaps `null`, ±Infinity spelled so. `{}` for no series.
 *
 * Upstream answers 500 when a later series is longer (IndexError) or shorter (too few values for the
 * row template) than the first; here a longer series is cut to the first's rows and a shorter one
 * padded with null, the table the format describes.
 */
export function renderDygraph(seriesList: Series[]): string {
  if (seriesList.length === 0) return '{}';
  const first = seriesList[0];
  const rows = Math.max(0, Math.ceil((first.end - first.start) / first.step));
  const labels = ['"Time"', ...seriesList.map((s) => pyJsonString(s.name))];
  const lines = new Array<string>(rows);
  for (let i = 0; i < rows; i++) {
    let line = `[${first.start + i * first.step}000`;
    for (const s of seriesList) line += `, ${i < s.values.length ? dygraphValue(s.values[i]) : 'null'}`;
    lines[i] = `${line}]`;
  }
  return `{"labels" : [${labels.join(', ')}], "data" : [${lines.join(', ')}]}`;
}

function dygraphValue(v: number): string {
  if (Number.isNaN(v)) return 'null';
  return pyFloat(v); // Infinity and -Infinity already spelled as dygraph wants
}
