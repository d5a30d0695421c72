import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsciiWriter } from './ascii.js';
import { pyFloat } from './python.js';
import { renderJson } from './render.js';

// One point as renderViewJson writes it (Python 3.11 json.dumps, then upstream's NaN/Infinity replace).
const points: [number, number, string][] = [
  [0.1, 60, '[0.1, 60]'],
  [1, 0, '[1.0, 0]'],
  [-3.5, 9, '[-3.5, 9]'],
  [0, 10, '[0.0, 10]'],
  [-0, 10, '[-0.0, 10]'],
  [1e15, 1700000000, '[1000000000000000.0, 1700000000]'],
  [1e16, 1700000000, '[1e+16, 1700000000]'],
  [0.0001, 2147483647, '[0.0001, 2147483647]'],
  [1e-5, 2147483648, '[1e-05, 2147483648]'],
  [-1.7976931348623157e308, 4102444800, '[-1.7976931348623157e+308, 4102444800]'],
  [5e-324, 1, '[5e-324, 1]'],
  [12.345833333333333, 1234567890, '[12.345833333333333, 1234567890]'],
  [Number.NaN, 100, '[null, 100]'],
  [Number.POSITIVE_INFINITY, 100, '[1e9999, 100]'],
  [Number.NEGATIVE_INFINITY, 100, '[-1e9999, 100]'],
];

/** What datapoints() writes for the given values, value i at start + i * stride, as text. */
function written(values: number[], start: number, stride: number, noNullPoints = false): string {
  const out = new AsciiWriter(1);
  out.datapoints(Float64Array.from(values), start, stride, noNullPoints);
  return out.toString();
}

test('AsciiWriter.datapoints writes [value, timestamp] as graphite-web json does', () => {
  for (const [v, t, want] of points) {
    assert.equal(written([v], t, 60), want, `${v} at ${t}`);
    assert.equal(written([v, v], t, 0), `${want}, ${want}`);
  }
});

test('AsciiWriter.datapoints writes every width of timestamp as String() does', () => {
  const stamps = [0, 7, 10, 99, 100, 12345, 999999999, 1e9, 1000000001, 1795433430, 1999999999, 2147483647];
  stamps.push(2147483648, 4102444800, -1, 1.5);
  for (let t = 1; t < 2147483647; t = t * 3 + 7) stamps.push(t);
  for (const t of stamps) assert.equal(written([2.5], t, 10), `[2.5, ${t}]`);
});

test('AsciiWriter.datapoints counts a day of 10 s steps across 10,000 s boundaries, both ways', () => {
  const values = Array.from({ length: 8640 }, (_, i) => i / 8);
  for (const [start, stride] of [
    [1795356160, 10],
    [1795442550, -10],
    [1999990000, 7],
  ]) {
    const want = values.map((v, i) => `[${pyFloat(v)}, ${start + i * stride}]`).join(', ');
    assert.equal(written(values, start, stride), want, `${start} by ${stride}`);
  }
});

test('AsciiWriter.datapoints skips nulls when asked and says how many it wrote', () => {
  assert.equal(written([Number.NaN, 2, Number.NaN], 10, 10, true), '[2.0, 20]');
  assert.equal(written([Number.NaN, 2, Number.NaN], 10, 10), '[null, 10], [2.0, 20], [null, 30]');
  const out = new AsciiWriter(1);
  assert.equal(out.datapoints(Float64Array.of(Number.NaN, 1, 2), 1, 1, true), 2);
  assert.equal(out.datapoints(Float64Array.of(Number.NaN), 1, 1, true), 0);
  assert.equal(out.toString(), '[1.0, 2], [2.0, 3]');
});

test('AsciiWriter.datapoints agrees with pyFloat on awkward floats', () => {
  const floats = [
    1 / 3,
    2 / 3,
    1e-4 * (1 - 2 ** -52),
    1e16 * (1 - 2 ** -53),
    2 ** 53,
    123456.789e-3,
    9.999999999999998e15,
  ];
  for (let i = 0; i < 2000; i++) floats.push((i * 7919 - 5000) / 480, ((i * 104729) % 1000) / 8 - 25);
  assert.equal(written(floats, 0, 1), floats.map((v, i) => `[${pyFloat(v)}, ${i}]`).join(', '));
});

test('AsciiWriter.datapoints streamed in pieces writes the same bytes as whole', () => {
  // 40,000 points is about 1.1 MB: several pieces, with points split across piece boundaries.
  const values = Float64Array.from({ length: 40000 }, (_, i) => (i % 97 === 0 ? Number.NaN : i / 3));
  const whole = new AsciiWriter(1);
  whole.datapoints(values, 1795356160, 10, false);
  const pieces: Buffer[] = [];
  const streamed = new AsciiWriter(0, (piece) => pieces.push(Buffer.from(piece)));
  streamed.datapoints(values, 1795356160, 10, false);
  streamed.finish();
  assert.ok(pieces.length >= 4, `${pieces.length} pieces`);
  assert.ok(Buffer.concat(pieces).equals(whole.bytes()));
});

test('AsciiWriter grows past its initial size and keeps what was written', () => {
  const out = new AsciiWriter(4);
  out.byte(91);
  out.text('x'.repeat(40));
  out.text('abc');
  out.byte(93);
  assert.equal(out.toString(), `[${'x'.repeat(40)}abc]`);
});

test('json noNullPoints drops null points, and a series left without any', () => {
  const series = (name: string, values: number[]) => ({
    name,
    pathExpression: name,
    tags: { name },
    start: 60,
    end: 60 + 10 * values.length,
    step: 10,
    xFilesFactor: 0,
    values: Float64Array.from(values),
  });
  const a = series('a', [Number.NaN, 2, Number.NaN, 4]);
  const b = series('b', [Number.NaN, Number.NaN]);
  const pts = [a, b].map((s) => ({ values: s.values, start: 60, stride: 10 }));
  assert.equal(
    renderJson([b, a, b], [pts[1], pts[0], pts[1]], true).toString('latin1'),
    '[{"target": "a", "tags": {"name": "a"}, "datapoints": [[2.0, 70], [4.0, 90]]}]',
  );
  assert.equal(
    renderJson([a, b], pts, false).toString('latin1'),
    '[{"target": "a", "tags": {"name": "a"}, "datapoints": [[null, 60], [2.0, 70], [null, 80], [4.0, 90]]}, ' +
      '{"target": "b", "tags": {"name": "b"}, "datapoints": [[null, 60], [null, 70]]}]',
  );
  assert.equal(renderJson([b], [pts[1]], true).toString('latin1'), '[]');
});
