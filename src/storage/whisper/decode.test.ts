import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPointDecoder, decodePointsJs } from './decode.js';

// Points as whisper writes them: interval u32 and value f64, big-endian.
function encode(points: [number, number][]): Buffer {
  const buf = Buffer.alloc(points.length * 12);
  points.forEach(([t, v], i) => {
    buf.writeUInt32BE(t, i * 12);
    buf.writeDoubleBE(v, i * 12 + 4);
  });
  return buf;
}

function decodeWith(kind: 'wasm' | 'js', raw: Buffer, n: number, start: number, step: number): number[] {
  const decoder = createPointDecoder(kind);
  raw.copy(decoder.readBuffer(raw.length));
  const values = new Float64Array(n).fill(12345);
  decoder.decode(n, start, step, values);
  return [...values];
}

test('Node 20 runs the WebAssembly decoder', () => {
  assert.equal(createPointDecoder().kind, 'wasm');
  assert.equal(createPointDecoder('js').kind, 'js');
});

test('a decoder gives each slot its value, NaN where the interval is not the expected one', () => {
  const raw = encode([
    [1000, 1.5],
    [1010, -0],
    [400, 7], // a stale point from an earlier lap of the ring
    [1030, Number.POSITIVE_INFINITY],
    [1040, Number.NaN],
    [1050, 5e-324],
    [0, 0], // never written
    [1070, -1.7976931348623157e308],
  ]);
  const want = [
    1.5,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NaN,
    5e-324,
    Number.NaN,
    -1.7976931348623157e308,
  ];
  for (const kind of ['wasm', 'js'] as const)
    assert.deepEqual(decodeWith(kind, raw, 8, 1000, 10), want, kind);
  // Decoding fewer points than were read leaves the rest of values alone.
  assert.deepEqual(decodeWith('wasm', raw, 2, 1000, 10), [1.5, -0]);
});

test('the wasm decoder agrees with the JavaScript loop on a day of points, including u32 intervals past 2^31', () => {
  for (const start of [1795356160, 2 ** 31 - 40_000, 4_294_000_000]) {
    const step = 10;
    const points: [number, number][] = Array.from({ length: 8460 }, (_, i) => [
      i % 97 === 5 ? start + (i - 3) * step : start + i * step,
      i % 13 === 0 ? Number.NaN : (i * 7919) / 8 - 3000,
    ]);
    const raw = encode(points);
    const js = new Float64Array(points.length);
    decodePointsJs(new DataView(raw.buffer, raw.byteOffset, raw.length), points.length, start, step, js);
    const wasm = decodeWith('wasm', raw, points.length, start, step);
    assert.deepEqual(wasm, [...js], `start ${start}`);
    // 88 stale slots (i % 97 === 5), 651 NaN values (i % 13 === 0), 6 slots both.
    assert.equal(js.filter(Number.isNaN).length, 88 + 651 - 6);
  }
});

test('the wasm decoder grows its memory for a long read and keeps decoding right after', () => {
  const decoder = createPointDecoder('wasm');
  const long = encode(Array.from({ length: 100_000 }, (_, i) => [1000 + i, i / 4] as [number, number]));
  long.copy(decoder.readBuffer(long.length));
  const values = new Float64Array(100_000);
  decoder.decode(100_000, 1000, 1, values);
  assert.equal(values[99_999], 99_999 / 4);
  assert.equal(values[0], 0);
  const short = encode([[60, 2.5]]);
  short.copy(decoder.readBuffer(short.length));
  const one = new Float64Array(1);
  decoder.decode(1, 60, 60, one);
  assert.equal(one[0], 2.5);
});
