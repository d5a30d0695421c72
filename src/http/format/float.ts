/**
 * The shortest round-trip digits of a double, written as ASCII bytes straight into a buffer: the hot
 * path of a json answer (846,000 points for 100 series of a day), where `String(v)` costs a trip into
 * V8's runtime and a string per point.
 *
 * Only the positional range 1e-4 <= |v| < 1e16 is handled, where JavaScript's `String(v)` and Python's
 * `repr(v)` write the same digits the same way (repr adds ".0" to whole numbers; the caller does that).
 * The contract is certainty: `writeShortest` either writes exactly the bytes of `String(v)` or answers -1
 * and the caller falls back to `String(v)`. It falls back on exact ties and anything within a relative
 * 1e-9 of a rounding boundary, so it never has to reproduce V8's or CPython's tie-breaking (round-half-
 * even in both), only to recognise where it would matter. Powers of two (whose interval is lopsided)
 * come from a table String() filled; whole numbers are written digit by digit.
 *
 * The method, for v = m * 2^e (m < 2^53 with the hidden bit):
 *   P = v * 10^k = (m * 5^k) * 2^(e+k), k chosen so that 1e15 <= P < 1e16, held exactly as a pair of
 *   doubles (hi + lo) by Dekker's TwoProduct (T. J. Dekker, "A floating-point technique for extending
 *   the available precision", Numer. Math. 18, 1971) with Veltkamp's split: m * 5^k < 2^98 needs more
 *   than one double, and the scaling by 2^(e+k) is exact.
 *   The doubles next to v are (m ± 1) * 2^e, so every decimal strictly within h = 5^k * 2^(e+k-1) of P
 *   (half the gap, in P's units) reads back as v. Among those the shortest is wanted, the closest to P
 *   among equally short ones: the ECMAScript Number::toString rule, and what CPython's repr (David
 *   Gay's dtoa, mode 0) gives. 0.055 < h <= 1.11 because P >= 1e15 and m >= 2^52; hence
 *   - an integer D within h of P gives at most 16 digits; then a multiple of 10 can be within h only
 *     if it is D - 1, D or D + 1, and beyond that the digits are D's with trailing zeros dropped,
 *   - otherwise the nearest multiple of 0.1 is always within h: 17 significant digits.
 */

// v's bits, read through a shared buffer: no allocation per call. Every platform Node 20 runs on is
// little-endian; the check keeps a big-endian one exact (it takes the fallback every time).
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Veltkamp's splitter for binary64: 2^27 + 1. */
const SPLITTER = 134217729;

/** 10^i for i in -4..16 at index i + 4, as the nearest doubles. */
const POW10 = Array.from({ length: 21 }, (_, i) => Number(`1e${i - 4}`));
/** 5^k for k in 0..19 (all below 2^45, exact), and Veltkamp's split of each into two 26-bit halves. */
const POW5 = Array.from({ length: 20 }, (_, k) => 5 ** k);
const POW5_HIGH = POW5.map((b) => veltkampHigh(b));
const POW5_LOW = POW5.map((b, k) => b - (POW5_HIGH[k] as number));
/** 2^s for s in -80..20 at index s + 80 (s = e + k lies in about -48..1). */
const POW2 = Array.from({ length: 101 }, (_, i) => 2 ** (i - 80));

/** A comparison this close (relative to the half-gap) to a boundary is not trusted: fall back. */
const MARGIN = 1e-9;

/** String(2^p) for p in -14..53 at index p + 14, as ASCII (2^-14 is below the range, never used). */
const POWERS_OF_TWO = Array.from({ length: 68 }, (_, i) => Buffer.from(String(2 ** (i - 14)), 'latin1'));

function veltkampHigh(a: number): number {
  const c = SPLITTER * a;
  return c - (c - a);
}

/**
 * Writes `String(v)` for a finite v with 1e-4 <= |v| < 1e16 as ASCII into `buf` at `at` (sign, digits,
 * '.', never an exponent; no ".0" on whole numbers) and returns the position after it, or returns -1
 * when v is outside that range or the answer is not certain; the caller then writes `String(v)`
 * itself. `buf` must have 25 bytes free after `at`: they are scratch either way (digits are written
 * before trailing zeros are dropped), so the bytes after the returned end are arbitrary.
 */
export function writeShortest(buf: Uint8Array, at: number, v: number): number {
  const negative = v < 0;
  const a = negative ? -v : v;
  // Also rejects NaN, ±Infinity and ±0: every comparison with NaN is false.
  if (!(a >= 1e-4 && a < 1e16) || !LITTLE_ENDIAN) return -1;
  bits[0] = a;
  const top = words[1] as number;
  const fractionTop = top & 0xfffff;
  const bottom = words[0] as number;
  const e2 = (top >>> 20) - 1023; // 2^e2 <= a < 2^(e2+1), -14 <= e2 <= 53
  // A power of two has a gap below it half the gap above, so the search below (which assumes a
  // symmetric interval) does not apply; there are only 67 in range and they are common (1, 2, 0.5,
  // 1024...), so their text is taken from String() once, when this module loads.
  if (fractionTop === 0 && bottom === 0) {
    if (negative) buf[at++] = 45;
    return copy(buf, at, POWERS_OF_TWO[e2 + 14] as Uint8Array);
  }
  // Whole numbers (counts, sums of counts) are their own digits, at a fraction of the search's cost.
  // Below 2^53 no other integer reads back as a; from 2^53 to 1e16 (a even, neighbours 2 apart) the
  // only other candidates are a ± 1, on the interval's edge, odd, so never shorter than a itself.
  if (Math.floor(a) === a) {
    if (negative) buf[at++] = 45;
    return writeWhole(buf, at, a);
  }
  const m = (fractionTop + 0x100000) * 4294967296 + bottom;
  // floor(log10 a) is floor(e2 * log10 2) or one more. The in-range powers of ten below 1 round up as
  // doubles (fl(1e-4) > 1e-4 ...), so `a >= fl(10^n)` says exactly whether a >= 10^n.
  let exp10 = Math.floor(e2 * 0.3010299956639812);
  if (a >= (POW10[exp10 + 5] as number)) exp10++;
  const k = 15 - exp10; // 0..19
  const s = e2 - 52 + k;
  const scale = POW2[s + 80];
  if (scale === undefined) return -1;

  // Dekker's TwoProduct: hi + lo = m * 5^k exactly (hi the rounded product, lo its error). Each
  // partial product of 26-bit halves is exact; so is each step of the error sum (Dekker 1971, his mul12).
  const f = POW5[k] as number;
  const fHigh = POW5_HIGH[k] as number;
  const fLow = POW5_LOW[k] as number;
  const mHigh = veltkampHigh(m);
  const mLow = m - mHigh;
  const product = m * f;
  const error = mHigh * fHigh - product + mHigh * fLow + mLow * fHigh + mLow * fLow;
  const hi = product * scale;
  const lo = error * scale;
  const h = f * scale * 0.5;

  // The nearest integer D to P, in two int32-sized halves so that it stays exact above 2^53, and
  // d = D - P. `high` may be one off (hi * 1e-8 rounds); the normalising below absorbs that.
  // hi - high * 1e8 is exact (Sterbenz), rem is a multiple of ulp(hi) >= 1/8 so Math.round(rem) - rem
  // is exact; only d's last subtraction rounds (by 2^-53 relative, far inside MARGIN).
  let high = Math.floor(hi * 1e-8);
  const rem = hi - high * 1e8;
  let low = Math.round(rem);
  let d = low - rem - lo;
  if (d > 0.5) {
    low -= 1;
    d -= 1;
  } else if (d < -0.5) {
    low += 1;
    d += 1;
  }
  if (low < 0) {
    low += 1e8;
    high -= 1;
  } else if (low >= 1e8) {
    low -= 1e8;
    high += 1;
  }
  const ad = d < 0 ? -d : d;
  let last = -1; // the 17th digit, when there is one
  if (ad < h) {
    // P is halfway between two integers and both may read back as v: a tie, left to String().
    if (h - ad <= h * MARGIN || 0.5 - ad <= MARGIN) return -1;
    // A multiple of 10 within h of P must be D - 1, D or D + 1 (h <= 1.11): at most one of them, as
    // they are 10 apart. If it exists, dropping D's trailing zeros after it is still within h.
    const unit = (low | 0) % 10; // int32 arithmetic: low < 1e8
    if (unit === 1 || unit === 9) {
      const step = unit === 1 ? -1 : 1;
      const gap = d + step;
      const agap = gap < 0 ? -gap : gap;
      if (h - agap > h * MARGIN) {
        low += step;
        if (low >= 1e8) {
          low -= 1e8;
          high += 1;
        }
      } else if (agap - h <= h * MARGIN) return -1;
      // else D's 16 digits stand (its last digit is not 0)
    }
  } else {
    if (ad - h <= h * MARGIN) return -1;
    // 17 digits: the nearest multiple of 0.1 to P = D - d is D + tenths / 10.
    const x = -10 * d;
    const tenths = Math.round(x);
    const off = x - tenths;
    if (0.5 - (off < 0 ? -off : off) <= MARGIN) return -1; // an exact tie between two 17th digits
    const gap = tenths / 10 + d;
    if (tenths === 0 || h - (gap < 0 ? -gap : gap) <= h * MARGIN) return -1;
    if (tenths < 0) {
      low -= 1;
      if (low < 0) {
        low += 1e8;
        high -= 1;
      }
    }
    last = tenths < 0 ? 10 + tenths : tenths;
  }
  // D has exactly 16 digits when 1e15 <= P < 1e16; anything else would be a flaw above: fall back.
  if (high < 1e7 || high >= 1e8) return -1;

  // The text, as ECMAScript's Number::toString lays out digits d1..dn of a value with `point` digits
  // before the decimal point (here -3..16): "0.000ddd", "ddd.ddd" or "ddd" (never "ddd000": a whole
  // number took the branch above and D stands for a number that is not whole).
  const point = 16 - k;
  if (negative) buf[at++] = 45; // -
  let start = at + 1; // D's digits go one byte right of where the integer part will be
  if (point <= 0) {
    buf[at] = 48; // 0
    buf[at + 1] = 46; // .
    for (let i = 2; i < 2 - point; i++) buf[at + i] = 48;
    start = at + 2 - point;
  }
  put8(buf, start, high | 0);
  put8(buf, start + 8, low | 0);
  let end = start + 16;
  if (last >= 0) buf[end++] = 48 + last;
  else while (buf[end - 1] === 48) end--; // D's first digit is not 0: this stops
  if (point > 0) {
    if (end - start <= point) return -1; // a whole number: see above
    for (let i = 0; i < point; i++) buf[at + i] = buf[at + i + 1] as number;
    buf[at + point] = 46; // .
  }
  return end;
}

/** The ASCII digits of 0..99 as pairs: two digits per lookup halves the divisions. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** Writes the 8 digits of 0 <= x < 1e8, with leading zeros: two independent halves, unrolled. */
function put8(buf: Uint8Array, at: number, x: number): void {
  const a = (x / 10000) | 0;
  const b = x - a * 10000;
  const a1 = (a / 100) | 0;
  const b1 = (b / 100) | 0;
  const p0 = a1 << 1;
  const p1 = (a - a1 * 100) << 1;
  const p2 = b1 << 1;
  const p3 = (b - b1 * 100) << 1;
  buf[at] = PAIRS[p0] as number;
  buf[at + 1] = PAIRS[p0 + 1] as number;
  buf[at + 2] = PAIRS[p1] as number;
  buf[at + 3] = PAIRS[p1 + 1] as number;
  buf[at + 4] = PAIRS[p2] as number;
  buf[at + 5] = PAIRS[p2 + 1] as number;
  buf[at + 6] = PAIRS[p3] as number;
  buf[at + 7] = PAIRS[p3 + 1] as number;
}

function copy(buf: Uint8Array, at: number, text: Uint8Array): number {
  for (let i = 0; i < text.length; i++) buf[at++] = text[i] as number;
  return at;
}

/** Writes the digits of a whole number 1 <= a < 1e16. */
function writeWhole(buf: Uint8Array, at: number, a: number): number {
  if (a < 1e8) return writeInt(buf, at, a);
  let high = Math.floor(a / 1e8);
  let low = a - high * 1e8; // exact: high * 1e8 < 2^53 * 2^8 has at most 45 significant bits
  if (low < 0) {
    // a / 1e8 rounded up to the next integer
    high -= 1;
    low += 1e8;
  }
  at = writeInt(buf, at, high);
  put8(buf, at, low | 0);
  return at + 8;
}

/** Writes the digits of a whole number 0 < x < 1e8. */
function writeInt(buf: Uint8Array, at: number, x: number): number {
  let n = 1;
  while (n < 8 && x >= (POW10[n + 4] as number)) n++;
  for (let i = at + n - 1; i >= at; i--) {
    const q = (x / 10) | 0;
    buf[i] = 48 + x - q * 10;
    x = q;
  }
  return at + n;
}
