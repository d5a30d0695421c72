/**
 * The StatsD line protocol, as Etsy's statsd 0.9.0 reads it (stats.js handlePacket, lib/helpers.js
 * is_valid_packet), minus what it wrongly lets through:
 *
 *     <key>:<value>|<type>[|@<sample rate>][:<value>|<type>…][|#<tag>:<value>,…]
 *
 * Types: c (counter), ms (timer), h (histogram: a timer, as DogStatsD has it — Etsy counts it as a
 * counter by falling through its type switch), g (gauge; a leading + or - is a delta), s (set).
 * Several `value|type` groups may follow one key; each bad group is one bad line, the good ones count.
 *
 * Stricter than Etsy: values must be finite decimal numbers (Etsy's isNumber accepts "0x1f",
 * "Infinity", " 5" and "1e400", which becomes Infinity); sample rates must be decimals in (0, 1] (Etsy
 * takes @0, which divides by zero, and @2, and reads "@1e-3" as 1); timers and histograms must not be
 * negative (as Etsy); extra `|` fields are refused (Etsy ignores them); the key must not be empty and
 * must make a valid Graphite name once sanitized (no empty `a..b` segment, tags `k=v`).
 */
import { DEFAULT_NAME_LIMITS, normalizeMetricName, quote } from '../names.js';

/** A metric type of the line protocol. */
export type StatsdType = 'c' | 'ms' | 'h' | 'g' | 's';

/** One `value|type[|@rate]` group. */
export interface StatsdSample {
  type: StatsdType;
  /** The number (0 for sets). */
  value: number;
  /** The set member as sent (sets only; '' otherwise). */
  member: string;
  /** A gauge value written with a leading + or - adjusts the gauge instead of setting it. */
  delta: boolean;
  /** In (0, 1]; counters and timers count each sample as 1/sampleRate. */
  sampleRate: number;
}

/** A key made ready for Graphite. */
export type KeyResult = { ok: true; key: string } | { ok: false; error: string };

/** A parsed line: its key and good samples, plus one error per bad group. */
export interface ParsedLine {
  /** The canonical key ('' when the key itself is bad; then samples is empty). */
  key: string;
  samples: StatsdSample[];
  errors: string[];
}

/**
 * Name bytes kept free for what the flush adds around a key (namespace, `.timers`, `.sum_squares_99_9`,
 * `.histogram.bin_…`, the global suffix), so that every flushed name stays within the name limits.
 */
export const KEY_NAME_RESERVE = 160;
const KEY_LIMITS = { ...DEFAULT_NAME_LIMITS, maxLength: DEFAULT_NAME_LIMITS.maxLength - KEY_NAME_RESERVE };

/**
 * Etsy's sanitizeKeyName (stats.js): runs of whitespace become `_`, `/` becomes `-`, and everything
 * but letters, digits, `_ - . ; =` is dropped.
 */
export function sanitizeKeyName(key: string): string {
  return key
    .replace(/\s+/g, '_')
    .replace(/\//g, '-')
    .replace(/[^a-zA-Z_\-0-9.;=]/g, '');
}

/**
 * Builds the key Etsy builds from the text before the first `:` and the text after `|#`: each tag gets
 * its first `;` turned into `_` and its first `:` into `=`, the tags are joined to the key with `;`,
 * and the whole is sanitized (when `sanitize`). Then, beyond Etsy, the result must be a valid Graphite
 * name (see names.ts) and is returned in carbon's canonical form: tags sorted, so `a|#y:1,x:2` and
 * `a|#x:2,y:1` aggregate together. With `sanitize` off only the metric part is sanitized, as Etsy's
 * graphite backend does for keyNameSanitize = false; the tags are kept as sent (carbon's rules still
 * apply to them).
 */
export function parseKey(rawKey: string, tagText: string, sanitize: boolean): KeyResult {
  let key = rawKey;
  if (tagText.length > 0) {
    const bar = tagText.indexOf('|');
    if (bar !== -1) {
      return { ok: false, error: `got ${quote(tagText.slice(bar))} after the tags; want the tags last` };
    }
    for (const tag of tagText.split(',')) key += `;${tag.replace(';', '_').replace(':', '=')}`;
  }
  let name = key;
  if (sanitize) name = sanitizeKeyName(key);
  else {
    const semi = key.indexOf(';');
    name = semi === -1 ? sanitizeKeyName(key) : sanitizeKeyName(key.slice(0, semi)) + key.slice(semi);
  }
  if (name.length === 0 || name.charCodeAt(0) === 0x3b) {
    return {
      ok: false,
      error: `got key ${quote(rawKey)}: nothing left after sanitizing; want a metric name`,
    };
  }
  const r = normalizeMetricName(name, KEY_LIMITS);
  if (!r.ok) return { ok: false, error: `bad key: ${r.error}` };
  return { ok: true, key: r.name };
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const RATE = /^(?:\d+\.?\d*|\.\d+)$/;
/** Powers of ten that are exact doubles (10^0 … 10^22). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Reads the plain decimal `[+-]digits[.digits]` in text[start, end) without cutting it out, or returns
 * NaN when it is anything else (exponent, more than 15 digits, stray characters) so the caller falls
 * back to the regex and Number(). Up to 15 digits the mantissa is an exact integer and 10^k an exact
 * double, so one division gives the correctly rounded double: the same number Number(text) gives.
 */
function plainDecimal(text: string, start: number, end: number, signed: boolean): number {
  let i = start;
  let c = text.charCodeAt(i);
  const negative = c === 0x2d;
  if (signed && (negative || c === 0x2b)) i++;
  let mantissa = 0;
  let digits = 0;
  let decimals = -1;
  for (; i < end; i++) {
    c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (c === 0x2e && decimals < 0) decimals = 0;
    else return Number.NaN;
  }
  if (digits === 0 || digits > 15) return Number.NaN;
  const v = decimals > 0 ? mantissa / POW10[decimals] : mantissa;
  // Adding 0 turns -0 into 0, so "-0" cannot print as "-0" or sort before 0 in a timer.
  return negative ? -v + 0 : v;
}

/**
 * Parses the `value|type[|@rate]` group text[start, end) into `out` (reused by the hot path, so a
 * sample costs no allocation; only a set member is cut out). `offset` is where `start` sits in
 * `line`, for the error. Returns null, or the error: it quotes the bad part and `line`.
 */
export function parseSampleAt(
  text: string,
  start: number,
  end: number,
  offset: number,
  line: string,
  out: StatsdSample,
): string | null {
  let bar = text.indexOf('|', start);
  if (bar >= end) bar = -1;
  if (bar === -1) return at(text.slice(start, end), offset, line, 'value|type');
  let bar2 = text.indexOf('|', bar + 1);
  if (bar2 >= end) bar2 = -1;
  const typeEnd = bar2 === -1 ? end : bar2;
  const c0 = text.charCodeAt(bar + 1);
  const typeLength = typeEnd - bar - 1;
  let type: StatsdType;
  if (typeLength === 1 && c0 === 0x63) type = 'c';
  else if (typeLength === 2 && c0 === 0x6d && text.charCodeAt(bar + 2) === 0x73) type = 'ms';
  else if (typeLength === 1 && c0 === 0x67) type = 'g';
  else if (typeLength === 1 && c0 === 0x73) type = 's';
  else if (typeLength === 1 && c0 === 0x68) type = 'h';
  else {
    return at(text.slice(bar + 1, typeEnd), offset + bar + 1 - start, line, 'a type: c, ms, h, g or s');
  }
  let sampleRate = 1;
  if (bar2 !== -1) {
    let bar3 = text.indexOf('|', bar2 + 1);
    if (bar3 >= end) bar3 = -1;
    if (bar3 !== -1) {
      return at(text.slice(bar3, end), offset + bar3 - start, line, 'nothing after the sample rate');
    }
    let r = 0;
    if (text.charCodeAt(bar2 + 1) === 0x40) {
      r = plainDecimal(text, bar2 + 2, end, false);
      if (Number.isNaN(r)) {
        const rateText = text.slice(bar2 + 2, end);
        r = RATE.test(rateText) ? Number(rateText) : 0;
      }
    }
    if (!(r > 0 && r <= 1)) {
      return at(
        text.slice(bar2 + 1, end),
        offset + bar2 + 1 - start,
        line,
        'a sample rate @r with 0 < r <= 1',
      );
    }
    sampleRate = r;
  }
  out.type = type;
  out.sampleRate = sampleRate;
  out.delta = false;
  if (type === 's') {
    if (bar === start) return at('', offset, line, 'a set member');
    out.value = 0;
    out.member = text.slice(start, bar);
    return null;
  }
  let value = plainDecimal(text, start, bar, true);
  if (Number.isNaN(value)) {
    const valueText = text.slice(start, bar);
    value = NUMBER.test(valueText) ? Number(valueText) + 0 : Number.NaN;
    if (!Number.isFinite(value)) return at(valueText, offset, line, 'a finite decimal number');
  }
  if ((type === 'ms' || type === 'h') && value < 0) {
    return at(text.slice(start, bar), offset, line, 'a duration >= 0');
  }
  const c = text.charCodeAt(start);
  out.value = value;
  out.member = '';
  out.delta = type === 'g' && (c === 0x2b || c === 0x2d);
  return null;
}

/**
 * Parses one `value|type[|@rate]` group that starts at `offset` in `line`. Returns the sample or an
 * error that quotes the bad part and the line.
 */
export function parseSample(group: string, offset: number, line = ''): StatsdSample | string {
  const out: StatsdSample = { type: 'c', value: 0, member: '', delta: false, sampleRate: 1 };
  return parseSampleAt(group, 0, group.length, offset, line, out) ?? out;
}

/**
 * Parses one line (without its newline; one trailing `\r` is ignored, as Etsy's trim() of the type
 * ignores it). An empty line is not a metric: the caller skips it, as Etsy does.
 */
export function parseLine(line: string, sanitize = true): ParsedLine {
  const text = line.charCodeAt(line.length - 1) === 0x0d ? line.slice(0, -1) : line;
  const hash = text.indexOf('|#');
  const head = hash === -1 ? text : text.slice(0, hash);
  const colon = head.indexOf(':');
  if (colon === -1) return { key: '', samples: [], errors: [at(head, 0, line, 'key:value|type')] };
  const k = parseKey(head.slice(0, colon), hash === -1 ? '' : text.slice(hash + 2), sanitize);
  if (!k.ok) return { key: '', samples: [], errors: [`${k.error} in ${quote(line)}`] };
  const out: ParsedLine = { key: k.key, samples: [], errors: [] };
  let start = colon + 1;
  for (;;) {
    const end = head.indexOf(':', start);
    const group = end === -1 ? head.slice(start) : head.slice(start, end);
    const s = parseSample(group, start, line);
    if (typeof s === 'string') out.errors.push(s);
    else out.samples.push(s);
    if (end === -1) break;
    start = end + 1;
  }
  return out;
}

function at(part: string, offset: number, line: string, want: string): string {
  return `got ${quote(part)} at offset ${offset} in ${quote(line)}; want ${want}`;
}
