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

/**
 * Parses one `value|type[|@rate]` group that starts at `offset` in `line`. Returns the sample or an
 * error that quotes the bad part and the line (the hot path leaves `line` out and asks again on error,
 * so that it need not cut each line out of its packet).
 */
export function parseSample(group: string, offset: number, line = ''): StatsdSample | string {
  const bar = group.indexOf('|');
  if (bar === -1) return at(group, offset, line, 'value|type');
  const text = group.slice(0, bar);
  const bar2 = group.indexOf('|', bar + 1);
  const typeText = bar2 === -1 ? group.slice(bar + 1) : group.slice(bar + 1, bar2);
  let type: StatsdType;
  switch (typeText) {
    case 'c':
    case 'ms':
    case 'h':
    case 'g':
    case 's':
      type = typeText;
      break;
    default:
      return at(typeText, offset + bar + 1, line, 'a type: c, ms, h, g or s');
  }
  let sampleRate = 1;
  if (bar2 !== -1) {
    const rateText = group.slice(bar2 + 1);
    if (rateText.indexOf('|') !== -1) {
      return at(
        rateText.slice(rateText.indexOf('|')),
        offset + bar2 + 1 + rateText.indexOf('|'),
        line,
        'nothing after the sample rate',
      );
    }
    const r = rateText.charCodeAt(0) === 0x40 && RATE.test(rateText.slice(1)) ? Number(rateText.slice(1)) : 0;
    if (!(r > 0 && r <= 1)) return at(rateText, offset + bar2 + 1, line, 'a sample rate @r with 0 < r <= 1');
    sampleRate = r;
  }
  if (type === 's') {
    if (text.length === 0) return at(text, offset, line, 'a set member');
    return { type, value: 0, member: text, delta: false, sampleRate };
  }
  // Adding 0 turns -0 into 0, so "-0" cannot print as "-0" or sort before 0 in a timer.
  const value = NUMBER.test(text) ? Number(text) + 0 : Number.NaN;
  if (!Number.isFinite(value)) return at(text, offset, line, 'a finite decimal number');
  if ((type === 'ms' || type === 'h') && value < 0) return at(text, offset, line, 'a duration >= 0');
  const c = text.charCodeAt(0);
  const delta = type === 'g' && (c === 0x2b || c === 0x2d);
  return { type, value, member: '', delta, sampleRate };
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
