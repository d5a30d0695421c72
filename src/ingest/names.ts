/**
 * Metric name validation and normalization, shared by every receiver.
 *
 * Normalization follows carbon 1.1.7: CacheFeedingProcessor.process (carbon/cache.py) rewrites each
 * name with `TaggedSeries.parse(name).path` (carbon/util.py), which strips leading `~` from the metric
 * part, keeps the last of repeated tags, drops a `name` tag in favour of the metric part, and sorts
 * the `;tag=value` pairs. Carbon has no further checks: a name reaches the file system as-is, with
 * dots turned into directory separators (TaggedSeries.encode). We are stricter and refuse what could
 * place a file outside the data directory or is not a usable metric — see `normalizeMetricName`.
 */

/** Bounds for `normalizeMetricName`. */
export interface NameLimits {
  /** Longest accepted name, in UTF-8 bytes, after normalization. */
  maxLength: number;
  /**
   * Longest dot-separated segment of the metric part, in UTF-8 bytes. Whisper stores each segment
   * as a directory or file name, and Linux file names stop at 255 bytes (NAME_MAX) including `.wsp`.
   */
  maxSegmentLength: number;
}

/** 1 KB names, 251-byte segments (255 minus `.wsp`). */
export const DEFAULT_NAME_LIMITS: Readonly<NameLimits> = { maxLength: 1024, maxSegmentLength: 251 };

/** A normalized name, or why the input is not one. */
export type NameResult = { ok: true; name: string } | { ok: false; error: string };

/** A name split into its metric part and tags (`name` holds the metric part, as in carbon). */
export type TaggedNameResult =
  | { ok: true; metric: string; tags: Record<string, string> }
  | { ok: false; error: string };

/**
 * Validates `raw` and returns it in carbon's canonical form. Refused, each with an error that quotes
 * the input and names the offset: the empty name; an empty segment (`a..b`, a leading or trailing
 * dot) in the metric part; `/` and `\` (directory separators) in the metric part; NUL and other control characters (C0,
 * DEL, C1); whitespace (the line protocol cannot carry it, so such a name could never be written
 * twice the same way); unpaired UTF-16 surrogates (not encodable as a UTF-8 file name); tags that
 * carbon 1.1.7's TaggedSeries.validateTagAndValue refuses; names or segments over `limits`.
 *
 * `..` cannot climb out of the data directory: in the metric part it is an empty segment, and in tag
 * values carbon's encode turns dots into `_DOT_` before the name touches the file system.
 */
export function normalizeMetricName(raw: string, limits: NameLimits = DEFAULT_NAME_LIMITS): NameResult {
  if (raw.length === 0) return fail('got an empty name; want a dot-separated path such as "a.b.c"');
  const openMetrics = isOpenMetrics(raw);
  let tagged = openMetrics;
  let ascii = true;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 0x21 && c <= 0x7e) {
      // In OpenMetrics form `\"` and `\\` are escapes; the unescaped name is checked again below.
      // Tag values may hold them (`mount=/var`): a tagged series' file is named by its hash, never by
      // its text (carbon's TAG_HASH_FILENAMES, which Carbonado always uses).
      if ((c === 0x2f || (c === 0x5c && !openMetrics)) && !(tagged && !openMetrics))
        return badChar(raw, i, 'a directory separator');
      if (c === 0x3b) tagged = true;
      continue;
    }
    ascii = false;
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return badChar(raw, i, 'a control character');
    if (isSpace(c)) return badChar(raw, i, 'whitespace');
    if (c >= 0xd800 && c <= 0xdfff) {
      const pairs = c <= 0xdbff && isLowSurrogate(raw.charCodeAt(i + 1));
      if (!pairs) return badChar(raw, i, 'an unpaired surrogate');
      i++;
    }
  }
  if (!tagged) {
    const name = stripTildes(raw);
    if (name.length === 0) return fail(`got ${quote(raw)}: only "~"; want a metric name`);
    const bad = checkSegments(name, raw.length - name.length, raw, limits);
    if (bad !== null) return fail(bad);
    return checkLength(name, ascii, limits);
  }
  const parsed = parseTaggedName(raw);
  if (!parsed.ok) return parsed;
  const bad = checkSegments(parsed.metric, raw.indexOf(parsed.metric), raw, limits);
  if (bad !== null) return fail(bad);
  const name = formatTaggedName(parsed.tags);
  const slash = openMetrics ? name.indexOf('\\') : -1;
  if (slash !== -1) return badChar(name, slash, 'a directory separator');
  return checkLength(name, ascii, limits);
}

// Byte classes for `isPlainName`: 0 a byte that needs no thought, 1 the dot, 2 anything that needs the
// full check (controls, space, / \ ; ~ ", DEL, every non-ASCII byte).
const PLAIN = 0;
const DOT = 1;
const BYTE_CLASS = new Uint8Array(256).fill(2);
for (let c = 0x21; c <= 0x7e; c++) BYTE_CLASS[c] = PLAIN;
BYTE_CLASS[0x2e] = DOT;
for (const c of '/\\;~"') BYTE_CLASS[c.charCodeAt(0)] = 2;

/**
 * The hot path of the line protocol: true when `buf[start, end)` is an ASCII, untagged name that
 * `normalizeMetricName` would return unchanged, decided in one pass over the bytes. False means "ask
 * `normalizeMetricName`", which gives the verdict and the error.
 */
export function isPlainName(buf: Uint8Array, start: number, end: number, limits: NameLimits): boolean {
  if (start === end || end - start > limits.maxLength) return false;
  let segment = 0;
  for (let i = start; i < end; i++) {
    const k = BYTE_CLASS[buf[i]];
    if (k === PLAIN) segment++;
    else if (k === DOT && segment !== 0 && segment <= limits.maxSegmentLength) segment = 0;
    else return false;
  }
  return segment !== 0 && segment <= limits.maxSegmentLength;
}

/**
 * Splits a tagged name, either carbon's `metric;tag=value;…` or OpenMetrics' `metric{tag="value",…}`,
 * as carbon 1.1.7's TaggedSeries.parse does: the `name` tag is the metric part without leading `~`,
 * a repeated tag keeps its last value. Does not run the character checks of `normalizeMetricName`.
 */
export function parseTaggedName(raw: string): TaggedNameResult {
  return isOpenMetrics(raw) ? parseOpenMetrics(raw) : parseCarbonTags(raw);
}

/**
 * The canonical text of a tag set, as carbon's TaggedSeries.format: the `name` tag, then every other
 * `;tag=value` in code-point order of the whole `;tag=value` string (Python's `sorted`).
 */
export function formatTaggedName(tags: Record<string, string>): string {
  const pairs: string[] = [];
  for (const [k, v] of Object.entries(tags)) if (k !== 'name') pairs.push(`;${k}=${v}`);
  pairs.sort(compareCodePoints);
  return (tags.name ?? '') + pairs.join('');
}

function parseCarbonTags(raw: string): TaggedNameResult {
  const segments = raw.split(';');
  const metric = segments[0];
  if (metric.length === 0) return fail(`got ${quote(raw)}: nothing before the first ";"; want a metric name`);
  const tags: Record<string, string> = Object.create(null);
  let at = metric.length + 1;
  for (let s = 1; s < segments.length; s++) {
    const segment = segments[s];
    const eq = segment.indexOf('=');
    if (eq <= 0) {
      return fail(
        `got tag ${quote(segment)} at offset ${at} in ${quote(raw)}; want tag=value with a non-empty tag`,
      );
    }
    const tag = segment.slice(0, eq);
    const value = segment.slice(eq + 1);
    const bad = validateTagAndValue(tag, value);
    if (bad !== null) return fail(`${bad} at offset ${at} in ${quote(raw)}`);
    tags[tag] = value;
    at += segment.length + 1;
  }
  return withName(raw, metric, tags);
}

// carbon's regex for one `tag="value"` pair, kept as it is, including its `(:?,|$)` separator that
// also admits `:,` (carbon/util.py TaggedSeries.parse_openmetrics).
const OPENMETRICS_PAIR = /^([^=]+)="((?:[\\]["\\]|[^"\\])+)"(:?,|$)/;

function parseOpenMetrics(raw: string): TaggedNameResult {
  const open = raw.indexOf('{');
  if (raw.indexOf('{', open + 1) !== -1) {
    return fail(`got a second "{" at offset ${raw.indexOf('{', open + 1)} in ${quote(raw)}; want one`);
  }
  const metric = raw.slice(0, open);
  if (metric.length === 0) return fail(`got ${quote(raw)}: nothing before "{"; want a metric name`);
  const tags: Record<string, string> = Object.create(null);
  let rest = raw.slice(open + 1, -1);
  while (rest.length > 0) {
    const m = OPENMETRICS_PAIR.exec(rest);
    const at = raw.length - 1 - rest.length;
    if (m === null) return fail(`got ${quote(rest)} at offset ${at} in ${quote(raw)}; want tag="value"`);
    const tag = m[1];
    const value = m[2].replaceAll('\\"', '"').replaceAll('\\\\', '\\');
    const bad = validateTagAndValue(tag, value);
    if (bad !== null) return fail(`${bad} at offset ${at} in ${quote(raw)}`);
    tags[tag] = value;
    rest = rest.slice(m[0].length);
  }
  return withName(raw, metric, tags);
}

function withName(raw: string, metric: string, tags: Record<string, string>): TaggedNameResult {
  const name = stripTildes(metric);
  if (name.length === 0) return fail(`got ${quote(raw)}: metric part ${quote(metric)} is only "~"`);
  tags.name = name;
  return { ok: true, metric: name, tags };
}

/** carbon 1.1.7 TaggedSeries.validateTagAndValue, as an error text or null. */
function validateTagAndValue(tag: string, value: string): string | null {
  if (tag.length === 0) return 'got an empty tag';
  if (value.length === 0) return `got an empty value for tag ${quote(tag)}`;
  for (const ch of ';!^=') {
    if (tag.includes(ch)) return `got ${quote(ch)} in tag ${quote(tag)}; want none of ; ! ^ =`;
  }
  if (value.includes(';')) return `got ";" in value ${quote(value)} of tag ${quote(tag)}`;
  if (value[0] === '~') return `got value ${quote(value)} of tag ${quote(tag)}; want no leading "~"`;
  return null;
}

/** Empty or over-long segments of the metric part; `offset` is where `metric` starts in `raw`. */
function checkSegments(metric: string, offset: number, raw: string, limits: NameLimits): string | null {
  let segStart = 0;
  let segBytes = 0;
  for (let i = 0; i <= metric.length; i++) {
    const c = i === metric.length ? 0x2e : metric.charCodeAt(i);
    if (c !== 0x2e) {
      segBytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
      continue;
    }
    if (i === segStart) {
      const where = i === 0 ? 'a leading dot' : i === metric.length ? 'a trailing dot' : 'an empty segment';
      return `got ${where} at offset ${offset + i - (i === metric.length ? 1 : 0)} in ${quote(raw)}; want non-empty segments between dots`;
    }
    if (segBytes > limits.maxSegmentLength) {
      return `got a ${segBytes}-byte segment at offset ${offset + segStart} in ${quote(raw)}; want at most ${limits.maxSegmentLength}`;
    }
    segStart = i + 1;
    segBytes = 0;
  }
  return null;
}

function checkLength(name: string, ascii: boolean, limits: NameLimits): NameResult {
  const bytes = ascii ? name.length : Buffer.byteLength(name, 'utf8');
  if (bytes > limits.maxLength) {
    return fail(`got a ${bytes}-byte name ${quote(name)}; want at most ${limits.maxLength} bytes`);
  }
  return { ok: true, name };
}

function isOpenMetrics(raw: string): boolean {
  // The same test as carbon's TaggedSeries.parse.
  return raw.endsWith('"}') && raw.includes('{');
}

function stripTildes(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) === 0x7e) i++;
  return i === 0 ? s : s.slice(i);
}

/** Whitespace as Python's str.split() sees it, beyond the ASCII controls already refused. */
function isSpace(c: number): boolean {
  return (
    c === 0x20 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function badChar(raw: string, i: number, what: string): NameResult {
  const c = raw.codePointAt(i)!;
  const hex = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
  return fail(`got ${what} (${hex}) at offset ${i} in ${quote(raw)}; want a printable metric name`);
}

/** Quotes a user string for an error message, cut to 120 characters so a flood stays readable. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s);
}

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}
