/**
 * Micro benchmark of writeShortest against String(v), and of AsciiWriter.datapoints over a json answer's
 * worth of points. Not a test: run it with
 *
 *     node --import tsx src/http/format/float.bench.ts
 *
 * Prints ns per value, best of five rounds (the first rounds include V8's optimising compile).
 */
import { AsciiWriter } from './ascii.js';
import { writeShortest } from './float.js';

const N = 1_000_000;
const ROUNDS = 5;

/** movingAverage(…, 60) over bench/render/tree.ts's values: eighths, a gap every 97th point. */
function movingAverages(count: number): Float64Array {
  const out = new Float64Array(count);
  const window = 60;
  let i = 0;
  for (let k = 0; i < count; k++) {
    const raw = (p: number) =>
      p > 0 && (p + k) % 97 === 0 ? Number.NaN : ((p * 7919 + k * 104729) % 1000) / 8 - 25 + (k % 10);
    for (let p = window; p < 8640 + window && i < count; p++) {
      let sum = 0;
      let n = 0;
      for (let q = p - window + 1; q <= p; q++) {
        const v = raw(q);
        if (!Number.isNaN(v)) {
          sum += v;
          n++;
        }
      }
      out[i++] = sum / n;
    }
  }
  return out;
}

/** Random bit patterns whose value lies in the positional range 1e-4 <= |v| < 1e16. */
function randomInRange(count: number): Float64Array {
  const out = new Float64Array(count);
  const words = new Uint32Array(out.buffer);
  let i = 0;
  while (i < count) {
    words[2 * i] = (Math.random() * 2 ** 32) >>> 0;
    words[2 * i + 1] = (Math.random() * 2 ** 32) >>> 0;
    const a = Math.abs(out[i] as number);
    if (a >= 1e-4 && a < 1e16) i++;
  }
  return out;
}

/** Short decimals such as 123.45 or 0.07: up to 6 digits, 0 to 4 of them after the point. */
function shortDecimals(count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = (1 + Math.floor(Math.random() * 999999)) / 10 ** (i % 5);
  return out;
}

const buf = Buffer.allocUnsafe(32 * N);

function viaString(values: Float64Array): number {
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const s = String(values[i]);
    for (let c = 0; c < s.length; c++) buf[at++] = s.charCodeAt(c);
  }
  return at;
}

function viaWriteShortest(values: Float64Array): number {
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const end = writeShortest(buf, at, v);
    if (end >= 0) at = end;
    else {
      const s = String(v);
      for (let c = 0; c < s.length; c++) buf[at++] = s.charCodeAt(c);
    }
  }
  return at;
}

function best(run: () => unknown, count: number): number {
  let ns = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    run();
    ns = Math.min(ns, Number(process.hrtime.bigint() - t) / count);
  }
  return ns;
}

function fallbacks(values: Float64Array): number {
  let n = 0;
  for (const v of values) if (writeShortest(buf, 0, v) < 0) n++;
  return n;
}

const sets: [string, Float64Array][] = [
  ['(a) movingAverage of tree values', movingAverages(N)],
  ['(b) random doubles in range', randomInRange(N)],
  ['(c) short decimals', shortDecimals(N)],
];
for (const [name, values] of sets) {
  const string = best(() => viaString(values), values.length);
  const fast = best(() => viaWriteShortest(values), values.length);
  const rate = (100 * fallbacks(values)) / values.length;
  console.log(
    `${name}: String ${string.toFixed(1)} ns, writeShortest ${fast.toFixed(1)} ns ` +
      `(${(string / fast).toFixed(1)}x), fallback ${rate.toFixed(4)}%`,
  );
}

// AsciiWriter.datapoints over 100 series x 8,460 points of movingAverage, against the loop it replaced.
const POINTS = 846_000;
const values = movingAverages(POINTS);

function pointsBefore(): number {
  const out = Buffer.allocUnsafe(40 * POINTS);
  let at = 0;
  for (let i = 0; i < POINTS; i++) {
    const v = values[i] as number;
    if (i > 0) {
      out[at++] = 44;
      out[at++] = 32;
    }
    out[at++] = 91;
    const s = String(v);
    for (let c = 0; c < s.length; c++) out[at++] = s.charCodeAt(c);
    if (Number.isInteger(v)) {
      out[at++] = 46;
      out[at++] = 48;
    }
    out[at++] = 44;
    out[at++] = 32;
    const t = String(1700000000 + 10 * i);
    for (let c = 0; c < t.length; c++) out[at++] = t.charCodeAt(c);
    out[at++] = 93;
  }
  return at;
}

function pointsAfter(): number {
  const out = new AsciiWriter(40 * POINTS);
  out.datapoints(values, 1700000000, 10, false);
  return out.bytes().length;
}

const before = best(pointsBefore, POINTS);
const after = best(pointsAfter, POINTS);
console.log(
  `AsciiWriter.datapoints x ${POINTS}: String() loop ${((before * POINTS) / 1e6).toFixed(1)} ms, ` +
    `AsciiWriter.datapoints ${((after * POINTS) / 1e6).toFixed(1)} ms (${before.toFixed(1)} -> ${after.toFixed(1)} ns/point)`,
);
