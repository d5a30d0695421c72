/**
 * Text exactly as graphite-web's Python writes it: `repr(float)` and `json.dumps` (separators ", " and
 * ": ", ensure_ascii). Clients diff these bytes against graphite-web, so the last digit matters.
 */

/**
 * Python's repr of a float: the shortest round-trip digits (the same digits as JavaScript's), written
 * positional when the exponent is in [-4, 16) with ".0" for whole numbers (1.0, 0.0001, 1e+16,
 * 1e-05, 1.5e+300). `nan`/`inf` become the JSON spellings graphite-web emits (NaN, Infinity).
 */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'Infinity';
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // Hot path (every point of a json answer): where both languages write positional digits, JavaScript's
  // String() already has Python's digits; only whole numbers need the ".0".
  const magnitude = Math.abs(x);
  if (magnitude >= 1e-4 && magnitude < 1e16) {
    const text = String(x);
    return Number.isInteger(x) ? `${text}.0` : text;
  }
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let out: string;
  if (exp >= -4 && exp < 16) {
    if (exp < 0) out = `0.${'0'.repeat(-exp - 1)}${digits}`;
    else if (digits.length <= exp + 1) out = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
    else out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  } else {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return negative ? `-${out}` : out;
}

/** A string as Python's json.dumps writes it; with ensureAscii every UTF-16 unit outside printable ASCII is \uXXXX (Python escapes DEL too). */
export function pyJsonString(s: string, ensureAscii = true): string {
  // JSON.stringify already escapes as Python does (\" \\ \n \r \t \b \f, other controls as \u00xx).
  const json = JSON.stringify(s);
  if (!ensureAscii) return json;
  return json.replace(/[\x7f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A JSON value of strings, integers, booleans, null, arrays and objects, as json.dumps writes it. */
export type PyJsonValue =
  | string
  | number
  | boolean
  | null
  | PyJsonValue[]
  | Map<string, PyJsonValue>
  | { [key: string]: PyJsonValue };

/**
 * json.dumps(value) with Python's default separators (a Map is an object in insertion order). Numbers are written as integers (the find
 * endpoints only carry 0/1 flags); floats go through pyFloat in the render writers.
 */
export function pyJson(value: PyJsonValue, ensureAscii = true): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return pyJsonString(value, ensureAscii);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`BUG: pyJson writes integers only, got ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map((v) => pyJson(v, ensureAscii)).join(', ')}]`;
  // A Map keeps insertion order for integer-like keys, which a plain object would move first.
  const entries = value instanceof Map ? [...value] : Object.entries(value);
  const fields = entries.map(([k, v]) => `${pyJsonString(k, ensureAscii)}: ${pyJson(v, ensureAscii)}`);
  return `{${fields.join(', ')}}`;
}
