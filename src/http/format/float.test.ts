import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeShortest } from './float.js';

// The contract: whenever writeShortest answers, its bytes are String(v)'s; -1 means "use String()".
// Every check below compares with String(v) itself, so V8 is the oracle (and python.test.ts pins that
// Python's repr has the same digits in this range).

const buf = new Uint8Array(64);

/** writeShortest's text for v, or null when it takes the fallback. */
function fast(v: number): string | null {
  const end = writeShortest(buf, 0, v);
  if (end < 0) return null;
  let s = '';
  for (let i = 0; i < end; i++) s += String.fromCharCode(buf[i] as number);
  return s;
}

const bits = new Float64Array(1);
const words = new BigUint64Array(bits.buffer);

/** The double `steps` representable values away from v (v > 0), through its bit pattern. */
function nextTo(v: number, steps: number): number {
  bits[0] = v;
  words[0] = (words[0] as bigint) + BigInt(steps);
  return bits[0] as number;
}

// Good cases: each must take the fast path and write exactly String(v).
const good: number[] = [
  0.1,
  0.2,
  0.3,
  0.1 + 0.2,
  1 / 3,
  2 / 3,
  -1 / 3,
  1e-4,
  -1e-4,
  0.00012345,
  0.001,
  0.01,
  123.45,
  -3.5,
  12.345833333333333,
  99.99,
  1.5,
  0.5,
  0.25,
  0.125,
  1,
  -1,
  2,
  1024,
  2 ** 52,
  2 ** 53,
  2 ** 53 - 1,
  2 ** 53 + 2,
  2 ** 52 + 0.5,
  2 ** 52 - 0.5,
  1e15,
  1e15 + 0.125,
  999999999999999.9,
  9999999999999998,
  9.999999999999998e15,
  123456789012345.67,
  1234567890.1234567,
  0.30000000000000004,
  1.0000000000000002,
  0.9999999999999999,
  Math.PI,
  Math.E,
  -Math.SQRT2,
  4.35,
  0.07,
  25.5 / 60,
  1700000000.5,
];

test('writeShortest writes exactly String(v) for awkward values, on its fast path', () => {
  for (const v of good) assert.equal(fast(v), String(v), `${v}`);
});

test('writeShortest writes at the offset given and returns the end', () => {
  buf.fill(33);
  const end = writeShortest(buf, 5, -0.1);
  assert.equal(end, 9);
  // The byte before is kept; bytes after the end are scratch (trailing zeros were written there).
  assert.deepEqual([...buf.subarray(4, 9)], [33, 45, 48, 46, 49]); // !-0.1
});

// Must fall back (-1): outside the positional range, not finite, zero, or an exact tie where the
// digit chosen depends on round-half-even (the caller's String() resolves it).
const mustFallBack: [number, string][] = [
  [Number.NaN, 'NaN'],
  [Number.POSITIVE_INFINITY, 'Infinity'],
  [Number.NEGATIVE_INFINITY, '-Infinity'],
  [0, 'zero'],
  [-0, 'negative zero'],
  [1e16, 'exponent form in Python'],
  [-1e16, 'exponent form in Python'],
  [1e-5, 'exponent form in Python, not in JavaScript'],
  [5e-5, 'exponent form in Python, not in JavaScript'],
  [nextTo(1e-4, -1), 'just below 1e-4'],
  [nextTo(1e16, -1) + 2, 'rounds to 1e16'],
  [5e-324, 'subnormal'],
  [1.7976931348623157e308, 'largest double'],
  [1234567890123456 + 0.25, 'P = x.25: 17th digit 2 or 3, a tie'],
  [2 ** 49 + 0.25, 'P = x.5 with both integers inside: a tie'],
];

test('writeShortest falls back where it is not certain or out of range', () => {
  for (const [v, why] of mustFallBack) assert.equal(writeShortest(buf, 0, v), -1, `${v}: ${why}`);
});

test('the in-range powers of ten below 1 round up as doubles (the exponent estimate relies on it)', () => {
  for (let n = 1; n <= 4; n++) {
    const v = Number(`1e-${n}`);
    bits[0] = v;
    const w = words[0] as bigint;
    const m = (w & ((1n << 52n) - 1n)) | (1n << 52n);
    const shift = 1075n - (w >> 52n); // v = m / 2^shift
    assert.ok(m * 10n ** BigInt(n) > 1n << shift, `fl(1e-${n}) > 1e-${n}`);
  }
});

test('writeShortest next to powers of two and of ten, and at every power of two in range', () => {
  let answered = 0;
  let total = 0;
  const anchors: number[] = [];
  for (let p = -13; p <= 53; p++) anchors.push(2 ** p);
  for (let n = -4; n <= 15; n++) anchors.push(Number(`1e${n}`));
  for (const anchor of anchors)
    for (let step = -40; step <= 40; step++) {
      const v = nextTo(anchor, step);
      if (!(v >= 1e-4 && v < 1e16)) continue;
      for (const x of [v, -v]) {
        total++;
        const got = fast(x);
        if (got === null) continue;
        answered++;
        assert.equal(got, String(x), `${x} (${step} from ${anchor})`);
      }
    }
  assert.ok(answered / total > 0.97, `answered ${answered} of ${total}`);
  for (let p = -13; p <= 53; p++) assert.equal(fast(2 ** p), String(2 ** p));
});

/** A seeded generator (splitmix32), so that a failure can be replayed with FLOAT_SEED. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

const seed = Number(process.env.FLOAT_SEED ?? Date.now() % 4294967296);

/** Checks every value against String(v); returns how many took the fallback. */
function check(values: Float64Array, what: string): number {
  let fallbacks = 0;
  for (const v of values) {
    const end = writeShortest(buf, 0, v);
    if (end < 0) {
      fallbacks++;
      continue;
    }
    const want = String(v);
    let same = end === want.length;
    for (let i = 0; same && i < end; i++) same = buf[i] === want.charCodeAt(i);
    if (!same) assert.fail(`${what}: ${v} written as ${fast(v)}, want ${want} (FLOAT_SEED=${seed})`);
  }
  return fallbacks;
}

test('writeShortest agrees with String() on 10 million random doubles', () => {
  const random = generator(seed);
  const n = 3_500_000;

  // Random bit patterns: every exponent of the range equally, every significand.
  const patterns = new Float64Array(n);
  const halves = new Uint32Array(patterns.buffer);
  for (let i = 0; i < n; ) {
    halves[2 * i] = random() * 4294967296;
    // Exponent bits 1009..1076 cover 2^-14 .. 2^53; the sign bit at random.
    halves[2 * i + 1] = ((1009 + Math.floor(random() * 68)) << 20) + Math.floor(random() * 0x100000);
    if (random() < 0.5) halves[2 * i + 1] = (halves[2 * i + 1] as number) | 0x80000000;
    const a = Math.abs(patterns[i] as number);
    if (a >= 1e-4 && a < 1e16) i++;
  }
  const patternFallbacks = check(patterns, 'bit pattern');

  // Computed values: averages of 1..120 decimals, as a consolidation or movingAverage makes them, and
  // rates (differences over a step), at magnitudes from 1e-3 to 1e12.
  const computed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const count = 1 + Math.floor(random() * 120);
    const scale = 10 ** Math.floor(random() * 16 - 3);
    let sum = 0;
    for (let j = 0; j < count; j++) sum += Math.round(random() * 100000) / 100 - 300;
    computed[i] = i % 3 === 2 ? (sum * scale - (sum - 1) * scale) / 60 : (sum / count) * scale;
  }
  const computedFallbacks = check(computed, 'computed');

  // Short decimals such as 123.45 or 0.0703: 1 to 9 digits, the point anywhere.
  const short = new Float64Array(3_000_000);
  for (let i = 0; i < short.length; i++) {
    const digits = 1 + Math.floor(random() * 9);
    short[i] = Math.floor(random() * 10 ** digits) / 10 ** Math.floor(random() * 12);
  }
  const shortFallbacks = check(short, 'short decimal');

  // Only zeros and values below 1e-4 may fall back among computed and short values; measured
  // 0.0000% of computed values otherwise. Ties make up about 1.5% of random bit patterns (they
  // cluster at 1e13..1e16, where P has few fraction bits).
  let computedInRange = 0;
  for (const v of computed) if (Math.abs(v) >= 1e-4 && Math.abs(v) < 1e16) computedInRange++;
  const computedRate = (computedFallbacks - (n - computedInRange)) / computedInRange;
  assert.ok(computedRate < 0.01, `computed values fell back at ${computedRate}`);
  assert.ok(patternFallbacks / n < 0.03, `bit patterns fell back at ${patternFallbacks / n}`);
  let shortInRange = 0;
  for (const v of short) if (v >= 1e-4 && v < 1e16) shortInRange++;
  assert.ok((shortFallbacks - (short.length - shortInRange)) / shortInRange < 0.01);
});
