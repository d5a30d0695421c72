import type { Datapoints } from '../../query/consolidate.js';
import { toWallClock } from '../../query/time/zone.js';
import type { Series } from '../../storage/series.js';
import type { StreamedBody } from '../router.js';
import { AsciiWriter } from './ascii.js';
import { type JsonTree, pyJsonIndented } from './pretty.js';
import { pyFloat, pyJsonString } from './python.js';

/**
 * The body of graphite-web 1.1.8's renderViewJson: `json.dumps` of
 * [{"target": name, "tags": {...}, "datapoints": [[value, timestamp], ...]}] with NaN/None as null and
 * ±Infinity as ±1e9999 (upstream's string replace), indented when `pretty`. `noNullPoints` drops null
 * points and then any series left without points. ASCII only (ensure_ascii), so the bytes are the text.
 */
export function renderJson(
  seriesList: Series[],
  points: Datapoints[],
  noNullPoints: boolean,
  pretty = false,
): Buffer {
  if (pretty) return Buffer.from(renderJsonIndented(seriesList, points, noNullPoints), 'latin1');
  // Room for the whole answer at once (growing copies what is written so far): a point is at most
  // 40 bytes, `[` + a 24-byte repr + `, ` + 10 digits + `]` + `, `.
  let size = 2;
  for (const p of points) size += p.values.length * 40 + 256;
  const out = new AsciiWriter(size);
  writeJson(out, seriesList, points, noNullPoints);
  // The bytes as they are: a 28 MB answer turned into a string and back cost 50 ms.
  return out.bytes();
}

/** renderJson (not pretty) as a body streamed in pieces, for answers of many points. */
export function streamJson(seriesList: Series[], points: Datapoints[], noNullPoints: boolean): StreamedBody {
  return {
    stream(write) {
      const out = new AsciiWriter(0, write);
      writeJson(out, seriesList, points, noNullPoints);
      out.finish();
    },
  };
}

// One ASCII writer for the whole answer (ascii.ts): names and tags are escaped to ASCII as upstream's
// ensure_ascii does, and the points are the hot part, written without a string per point.
function writeJson(
  out: AsciiWriter,
  seriesList: Series[],
  points: Datapoints[],
  noNullPoints: boolean,
): void {
  out.byte(91); // [
  let first = true;
  for (let s = 0; s < seriesList.length; s++) {
    const series = seriesList[s];
    const { values, start, stride } = points[s];
    if (noNullPoints && !values.some((v) => !Number.isNaN(v))) continue;
    const tags = Object.entries(series.tags)
      .map(([k, v]) => `${jsonText(k)}: ${tagValue(series, k, v)}`)
      .join(', ');
    out.text(`${first ? '' : ', '}{"target": ${jsonText(series.name)}, "tags": {${tags}}, "datapoints": [`);
    first = false;
    out.datapoints(values, start, stride, noNullPoints);
    out.text(']}');
  }
  out.byte(93); // ]
}

function renderJsonIndented(seriesList: Series[], points: Datapoints[], noNullPoints: boolean): string {
  const list: JsonTree[] = [];
  for (let s = 0; s < seriesList.length; s++) {
    const { values, start, stride } = points[s];
    const dps: JsonTree[] = [];
    for (let i = 0; i < values.length; i++) {
      if (noNullPoints && Number.isNaN(values[i])) continue;
      dps.push([{ raw: jsonValue(values[i]) }, { raw: String(start + i * stride) }]);
    }
    if (noNullPoints && dps.length === 0) continue;
    const tags = new Map<string, JsonTree>(
      Object.entries(seriesList[s].tags).map(([k, v]) => [k, { raw: tagValue(seriesList[s], k, v) }]),
    );
    list.push(
      new Map<string, JsonTree>([
        ['target', { raw: jsonText(seriesList[s].name) }],
        ['tags', tags],
        ['datapoints', dps],
      ]),
    );
  }
  return pyJsonIndented(list);
}

// A tag graphite-web holds as a number (numericTags) is written unquoted; its str() is its JSON.
function tagValue(series: Series, key: string, value: string): string {
  return series.numericTags?.includes(key) ? value : jsonText(value);
}

// A JSON string as upstream's output has it after `.replace('NaN,', 'null,').replace('Infinity,',
// '1e9999,')`, which runs over the whole text and so rewrites names and tag values too.
function jsonText(s: string): string {
  return pyJsonString(s).replaceAll('NaN,', 'null,').replaceAll('Infinity,', '1e9999,');
}

function jsonValue(v: number): string {
  if (Number.isNaN(v)) return 'null';
  if (v === Number.POSITIVE_INFINITY) return '1e9999';
  if (v === Number.NEGATIVE_INFINITY) return '-1e9999';
  return pyFloat(v);
}

/**
 * graphite-web's renderViewCsv: `name,YYYY-MM-DD HH:MM:SS,value` per point, rows ending in CRLF (the
 * csv module's excel dialect), timestamps on the request's wall clock, an empty field for None, a name
 * quoted when it holds a comma, quote or line break. CSV ignores maxDataPoints upstream too.
 */
export function renderCsv(seriesList: Series[], tz: string): string {
  let out = '';
  for (const series of seriesList) {
    const name = csvField(series.name);
    for (let i = 0; i < series.values.length; i++) {
      const v = series.values[i];
      const w = toWallClock(series.start + i * series.step, tz);
      const stamp = `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
      out += `${name},${stamp},${Number.isNaN(v) ? '' : csvFloat(v)}\r\n`;
    }
  }
  return out;
}

// str(float) in Python: repr, but inf and nan spelled Python's way.
function csvFloat(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return 'inf';
  if (v === Number.NEGATIVE_INFINITY) return '-inf';
  return pyFloat(v);
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
