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

test('AsciiWriter.point writes [value, timestamp] as graphite-web json does', () => {
  for (const [v, t, want] of points) {
    const out = new AsciiWriter(1);
    out.point(v, t, true);
    assert.equal(out.toString(), want, `${v} at ${t}`);
    const next = new AsciiWriter(1);
    next.point(v, t, false);
    assert.equal(next.toString(), `, ${want}`);
  }
});

test('AsciiWriter.point writes every width of timestamp as String() does', () => {
  const stamps = [0, 7, 10, 99, 100, 12345, 999999999, 1e9, 1000000001, 1795433430, 1999999999, 2147483647];
  for (let t = 1; t < 2147483647; t = t * 3 + 7) stamps.push(t);
  for (const t of stamps) {
    const out = new AsciiWriter(1);
    out.point(2.5, t, true);
    assert.equal(out.toString(), `[2.5, ${t}]`);
  }
});

test('AsciiWriter.point agrees with pyFloat on awkward floats', () => {
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
  const out = new AsciiWriter(16);
  const want: string[] = [];
  floats.forEach((v, i) => {
    out.point(v, i, i === 0);
    want.push(`[${pyFloat(v)}, ${i}]`);
  });
  assert.equal(out.toString(), want.join(', '));
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
  const pts = [a, b].map((s) => ({
    values: s.values,
    timestamps: Float64Array.of(60, 70, 80, 90).subarray(0, s.values.length),
  }));
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
