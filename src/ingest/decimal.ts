/**
 * Decimal numbers from bytes, for the value and timestamp fields of every protocol.
 *
 * Carbon converts both fields with Python's `float()` (carbon/protocols.py MetricLineReceiver and
 * MetricPickleReceiver). We take the same decimal syntax — optional sign, digits with an optional
 * fraction, optional exponent: `12`, `-1.5`, `.5`, `5.`, `1e3`, `+2.5E-3` — and refuse the rest of what
 * `float()` would take: `nan` (carbon drops NaN values anyway), `inf`/`infinity` (graphite-web cannot
 * serialise them), and the digit-group underscores Python 3.6 allows (`1_000`), which no client emits
 * on purpose. Hex (`0x10`) is refused by both.
 */

// Exact powers of ten: every one up to 1e22 is exactly representable as a double.
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Parses `buf[start, end)` as a decimal number; NaN when it is not one (see `explainBadDecimal`).
 * Up to 15 significant digits and an exponent within ±22 take Clinger's fast path (one exact
 * integer, one correctly rounded multiply or divide); anything longer goes to `Number()` on the
 * already-validated text, so every result is the correctly rounded double, as Python's `float()`.
 */
export function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (i < end) {
    const c = buf[i];
    if (c === 0x2d) {
      negative = true;
      i++;
    } else if (c === 0x2b) i++;
  }
  let mantissa = 0;
  let digits = 0; // significant digits in mantissa (leading zeros do not count)
  let exponent = 0;
  let sawDigit = false;
  for (; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) break;
    sawDigit = true;
    if (digits > 0 || d !== 0) {
      digits++;
      mantissa = mantissa * 10 + d;
    }
  }
  if (i < end && buf[i] === 0x2e) {
    for (i++; i < end; i++) {
      const d = buf[i] - 0x30;
      if (d < 0 || d > 9) break;
      sawDigit = true;
      exponent--;
      if (digits > 0 || d !== 0) {
        digits++;
        mantissa = mantissa * 10 + d;
      }
    }
  }
  if (!sawDigit) return Number.NaN;
  if (i < end && (buf[i] | 0x20) === 0x65) {
    i++;
    let expNegative = false;
    if (i < end && (buf[i] === 0x2d || buf[i] === 0x2b)) expNegative = buf[i++] === 0x2d;
    let e = 0;
    const expStart = i;
    for (; i < end; i++) {
      const d = buf[i] - 0x30;
      if (d < 0 || d > 9) break;
      if (e < 1e6) e = e * 10 + d;
    }
    if (i === expStart) return Number.NaN;
    exponent += expNegative ? -e : e;
  }
  if (i !== end) return Number.NaN;
  if (digits === 0) return negative ? -0 : 0;
  if (digits <= 15 && exponent >= -22 && exponent <= 22) {
    const v = exponent < 0 ? mantissa / POW10[-exponent] : mantissa * POW10[exponent];
    return negative ? -v : v;
  }
  return Number(latin1(buf, start, end));
}

/** Parses a whole string as `parseDecimal` does (for pickled strings). */
export function parseDecimalString(s: string): number {
  // Every accepted character is ASCII; refuse the rest before latin1 would fold them into bytes.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Number.NaN;
  const bytes = Buffer.from(s, 'latin1');
  return parseDecimal(bytes, 0, bytes.length);
}

/** Why `text` is not a number `parseDecimal` accepts, or is not finite: "got X; want Y". */
export function explainBadDecimal(text: string): string {
  const shown = JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
  if (text.length === 0) return 'got an empty field; want a decimal number';
  const body = text.replace(/^[+-]/, '').toLowerCase();
  if (body === 'nan') return `got ${shown}; want a number, not NaN`;
  if (body === 'inf' || body === 'infinity') return `got ${shown}; want a finite number`;
  if (body.startsWith('0x')) return `got ${shown}; want a decimal number, not hex`;
  if (Number(body) === Number.POSITIVE_INFINITY) return `got ${shown}; want a number within ±1.8e308`;
  return `got ${shown}; want a decimal number such as 42, -1.5 or 1e3`;
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');
}
