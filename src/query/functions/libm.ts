// exp and log as graphite-web gets them from Python's math module, which calls glibc: glibc's exp
// and log are correctly rounded in practice (glibc 2.28+, "< 1 ULP" and in fact nearly always the
// nearest double), while V8's Math.exp and Math.log (fdlibm ports) are off by one in the last bit
// now and then, which shows in answers compared point by point. These compute in double-double
// arithmetic (about 106 bits) and round once, which gives the nearest double except in
// astronomically rare hard cases.

/** A double-double: the unevaluated sum hi + lo, |lo| <= half an ulp of hi. */
interface DD {
  hi: number;
  lo: number;
}

// Knuth's TwoSum: s + e == a + b exactly.
function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return { hi: s, lo: a - (s - bb) + (b - bb) };
}

// Dekker's product: p + e == a * b exactly (for |a|, |b| well below 2^996).
const SPLITTER = 134217729; // 2^27 + 1
function split(a: number): [number, number] {
  const c = SPLITTER * a;
  const hi = c - (c - a);
  return [hi, a - hi];
}
function twoProd(a: number, b: number): DD {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return { hi: p, lo: ah * bh - p + ah * bl + al * bh + al * bl };
}

function add(a: DD, b: DD): DD {
  const s = twoSum(a.hi, b.hi);
  const t = twoSum(a.lo, b.lo);
  let r = twoSum(s.hi, s.lo + t.hi);
  r = twoSum(r.hi, r.lo + t.lo);
  return r;
}

function mul(a: DD, b: DD): DD {
  const p = twoProd(a.hi, b.hi);
  return twoSum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

function mulNumber(a: DD, b: number): DD {
  const p = twoProd(a.hi, b);
  return twoSum(p.hi, p.lo + a.lo * b);
}

// a / b: the quotient of hi, then the remainder (exact by twoProd) divided again.
function divNumber(a: DD, b: number): DD {
  const q1 = a.hi / b;
  const p = twoProd(q1, b);
  const remainder = a.hi - p.hi - p.lo + a.lo;
  return twoSum(q1, remainder / b);
}

// ln 2 to about 107 bits.
const LN2: DD = { hi: Math.LN2, lo: 2.3190468138462996e-17 };

/** e^x as double-double for x (a double-double) inside the double range (|x| < 709.8). */
function expDD(x: DD): DD {
  // x = k ln2 + r, |r| <= ln2 / 2; then r / 2^8 keeps the Taylor series short.
  const k = Math.round(x.hi / LN2.hi);
  const r = add(x, mulNumber(LN2, -k));
  const s = { hi: r.hi / 256, lo: r.lo / 256 };
  // e^s - 1 = s + s^2/2! + ... ; |s| < 0.0014, so 10 terms reach below 2^-106.
  let term = s;
  let sum = s;
  for (let n = 2; n <= 10; n++) {
    term = divNumber(mul(term, s), n);
    sum = add(sum, term);
  }
  // (e^s)^256 via e' = 2e + e^2, keeping e = e^s - 1 small for precision.
  let e = sum;
  for (let i = 0; i < 8; i++) e = add(mulNumber(e, 2), mul(e, e));
  const one = add({ hi: 1, lo: 0 }, e);
  // Scaling by 2^k is exact while the result stays normal; in two steps, as 2^1024 is not a double.
  const half = 2 ** Math.trunc(k / 2);
  const rest = 2 ** (k - Math.trunc(k / 2));
  return { hi: one.hi * half * rest, lo: one.lo * half * rest };
}

/** ln x as double-double for a positive normal x: one Newton step from Math.log. */
function logDD(x: number): DD {
  const y = Math.log(x);
  // y + (x - e^y) / e^y, with e^y and x - e^y in double-double; the step is tiny, so its own
  // rounding is far below the last bit of y.
  const e = expDD({ hi: y, lo: 0 });
  const d = add({ hi: x, lo: 0 }, { hi: -e.hi, lo: -e.lo });
  return twoSum(y, (d.hi + d.lo) / e.hi);
}

/** Python's math.exp(x) as glibc computes it (Infinity where Python raises OverflowError). */
export function exp(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x > 709.782712893384) return Number.POSITIVE_INFINITY;
  if (x < -708) return Math.exp(x); // results near or below the subnormal range
  if (x === 0) return 1;
  const r = expDD({ hi: x, lo: 0 });
  return r.hi + r.lo;
}

/** Python's math.log(x) as glibc computes it (NaN where Python raises ValueError). */
export function log(x: number): number {
  if (Number.isNaN(x) || x < 0) return Number.NaN;
  if (x === 0) return Number.NEGATIVE_INFINITY;
  if (x === Number.POSITIVE_INFINITY || x === 1) return x === 1 ? 0 : x;
  if (x < 2.2250738585072014e-308) return Math.log(x);
  const r = logDD(x);
  return r.hi + r.lo;
}

/**
 * Python's math.pow(x, y) as glibc computes it; NaN where Python raises ValueError (a negative
 * base with a fractional exponent, 0 to a negative power) and Infinity where it raises
 * OverflowError (safe.safePow turns both into None).
 */
export function pow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x ** y;
  const integer = Number.isInteger(y);
  if (x < 0 && !integer) return Number.NaN;
  if (x === 0) return y < 0 ? Number.NaN : x ** y;
  const odd = integer && Math.abs(y) < 2 ** 53 && Math.abs(y % 2) === 1;
  const a = Math.abs(x);
  if (a < 2.2250738585072014e-308) return x ** y;
  const l = logDD(a);
  const t = add(mulNumber(l, y), { hi: 0, lo: 0 });
  let r: number;
  if (t.hi > 709.782712893384) r = Number.POSITIVE_INFINITY;
  else if (t.hi < -708) r = a ** y;
  else {
    const e = expDD(t);
    r = e.hi + e.lo;
  }
  return x < 0 && odd ? -r : r;
}
