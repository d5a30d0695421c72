// Tagged series names and tag expressions, as graphite-web 1.1.8's tags/utils.py (TaggedSeries) and
// tags/base.py (parse_tagspec) read them. Pure: text in, value or TagSyntaxError out.

/** A tagged name or tag expression that does not parse; the message quotes the bad part. */
export class TagSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TagSyntaxError';
  }
}

/** A parsed series name: the metric as written and its tags, `name` included. */
export interface TaggedSeries {
  metric: string;
  /** Tags in the order written, then `name` (the metric without leading '~') unless written. */
  tags: Map<string, string>;
  /** The canonical form: name, then `;tag=value` strings sorted (TaggedSeries.format). */
  path: string;
}

// validateTagAndValue: what a tag and its value may not be.
function validate(path: string, tag: string, value: string): void {
  if (tag.length === 0) throw new TagSyntaxError(`cannot parse path '${path}': tag may not be empty`);
  if (value.length === 0)
    throw new TagSyntaxError(`cannot parse path '${path}': value for tag "${tag}" may not be empty`);
  const bad = /[;!^=]/.exec(tag);
  if (bad)
    throw new TagSyntaxError(
      `cannot parse path '${path}': character "${bad[0]}" is not allowed in tag "${tag}"`,
    );
  if (value.includes(';'))
    throw new TagSyntaxError(
      `cannot parse path '${path}': character ";" is not allowed in value "${value}" of tag ${tag}`,
    );
  if (value.startsWith('~'))
    throw new TagSyntaxError(`cannot parse path '${path}': tag values may not start with "~" (tag "${tag}")`);
}

/**
 * TaggedSeries.parse: `metric;tag=value;...` (carbon) or `metric{tag="value",...}` (OpenMetrics).
 * The name tag is the metric without leading '~'; a later tag of the same name wins.
 */
export function parseTaggedSeries(path: string): TaggedSeries {
  return path.endsWith('"}') && path.includes('{') ? parseOpenMetrics(path) : parseCarbon(path);
}

function parseCarbon(path: string): TaggedSeries {
  const segments = path.split(';');
  const metric = segments[0];
  if (!metric) throw new TagSyntaxError(`cannot parse path '${path}': no metric before the first ';'`);
  const tags = new Map<string, string>();
  let at = metric.length + 1;
  for (const segment of segments.slice(1)) {
    const eq = segment.indexOf('=');
    if (eq <= 0)
      throw new TagSyntaxError(
        `cannot parse path '${path}': at position ${at}: got '${segment}'; want tag=value`,
      );
    const tag = segment.slice(0, eq);
    const value = segment.slice(eq + 1);
    validate(path, tag, value);
    tags.set(tag, value);
    at += segment.length + 1;
  }
  return finish(path, metric, tags);
}

function parseOpenMetrics(path: string): TaggedSeries {
  const brace = path.indexOf('{');
  const metric = path.slice(0, brace);
  if (!metric) throw new TagSyntaxError(`cannot parse path '${path}': no metric before '{'`);
  let raw = path.slice(brace + 1, -1);
  const tags = new Map<string, string>();
  while (raw.length > 0) {
    const m = /^([^=]+)="((?:\\["\\]|[^"\\])+)"(,|$)/.exec(raw);
    if (!m) throw new TagSyntaxError(`cannot parse path '${path}': invalid segment '${raw}'`);
    const value = m[2].replaceAll('\\"', '"').replaceAll('\\\\', '\\');
    validate(path, m[1], value);
    tags.set(m[1], value);
    raw = raw.slice(m[0].length);
  }
  return finish(path, metric, tags);
}

function finish(path: string, metric: string, tags: Map<string, string>): TaggedSeries {
  const name = metric.replace(/^~+/, '');
  if (!name) throw new TagSyntaxError(`cannot parse path '${path}': the metric name is only '~'`);
  // Python's `tags['name'] = ...`: a `name` tag written in the path keeps its place, value replaced.
  tags.set('name', name);
  return { metric, tags, path: formatTags(tags) };
}

/** TaggedSeries.format: the name tag, then every other `;tag=value` sorted by code point. */
export function formatTags(tags: Map<string, string> | Record<string, string>): string {
  const entries = tags instanceof Map ? [...tags] : Object.entries(tags);
  const parts = entries.filter(([t]) => t !== 'name').map(([t, v]) => `;${t}=${v}`);
  parts.sort(compareCodePoints);
  const name = tags instanceof Map ? tags.get('name') : tags.name;
  return (name ?? '') + parts.join('');
}

/** Python's ordering of str: by code point (JavaScript's < compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i].codePointAt(0) ?? 0) - (y[i].codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** A tag expression's operator: equal, not equal, regex match, regex non-match. */
export type TagOperator = '=' | '!=' | '=~' | '!=~';

/** One parsed tag expression of seriesByTag / findSeries. */
export interface TagSpec {
  tag: string;
  operator: TagOperator;
  spec: string;
}

/** parse_tagspec: `tag<op>spec` where tag has no ; ! = and spec has no ';'. */
export function parseTagSpec(expr: string): TagSpec {
  const m = /^([^;!=]+)(!?=~?)([^;]*)$/.exec(expr);
  if (!m) {
    const at = /[;!=]/.exec(expr)?.index ?? expr.length;
    throw new TagSyntaxError(
      `Invalid tagspec ${expr}: at position ${at}: got '${expr.slice(at) || 'end'}'; want tag=spec, tag!=spec, tag=~regex or tag!=~regex`,
    );
  }
  return { tag: m[1], operator: m[2] as TagOperator, spec: m[3] };
}
