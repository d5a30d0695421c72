import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { create } from './create.js';
import { fetch } from './fetch.js';
import { AGGREGATION_METHODS, type AggregationMethod } from './format.js';
import { updateMany } from './update.js';

// Odd series through a tiny file (1s:10, 5s:6; xFilesFactor 0.5) with hand-computed expectations.
const dir = mkdtempSync(join(tmpdir(), 'carbonado-whisper-rt-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const NOW = 100_000;
const _ = Number.NaN;
let n = 0;

function file(method: AggregationMethod, xFilesFactor = 0.5): string {
  const path = join(dir, `${method}-${n++}.wsp`);
  create(
    path,
    [
      { secondsPerPoint: 1, points: 10 },
      { secondsPerPoint: 5, points: 6 },
    ],
    { aggregationMethod: method, xFilesFactor },
  );
  return path;
}

function values(path: string, archive: number, from: number, until = NOW, now = NOW): number[] {
  const r = fetch(path, from, until, now, archive);
  assert.ok(r);
  return Array.from(r.values);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// Rising 1..10 at 99991..100000. Coarse interval 99990 holds [-, 1, 2, 3, 4] (4/5 known, written);
// 99995 holds [5..9]; 100000 holds only 10 (1/5 < 0.5: not written).
const RISING: Record<AggregationMethod, [number, number]> = {
  average: [2.5, 7],
  sum: [10, 35],
  last: [4, 9],
  max: [4, 9],
  min: [1, 5],
  avg_zero: [2, 7],
  absmax: [4, 9],
  absmin: [1, 5],
};

for (const method of AGGREGATION_METHODS) {
  test(`rising series, ${method}: fine archive as written, coarse archive aggregated`, () => {
    const path = file(method);
    const ts = range(99_991, 100_000);
    updateMany(
      path,
      ts,
      ts.map((t) => t - 99_990),
      NOW,
    );
    const fine = fetch(path, NOW - 10, NOW, NOW);
    assert.deepEqual(fine && { start: fine.start, end: fine.end, step: fine.step }, {
      start: 99_991,
      end: 100_001,
      step: 1,
    });
    assert.deepEqual(Array.from(fine?.values ?? []), range(1, 10));
    // from NOW-30: slots 99975 .. 100000
    assert.deepEqual(values(path, 5, NOW - 30), [_, _, _, ...RISING[method], _]);
  });

  test(`constant series, ${method}`, () => {
    const path = file(method);
    const ts = range(99_991, 100_000);
    updateMany(
      path,
      ts,
      ts.map(() => 7),
      NOW,
    );
    const coarse = method === 'sum' ? [28, 35] : method === 'avg_zero' ? [5.6, 7] : [7, 7];
    assert.deepEqual(values(path, 5, NOW - 30), [_, _, _, ...coarse, _]);
  });

  test(`out-of-order points give the same file as in order, ${method}`, () => {
    const ts = range(99_991, 100_000);
    const inOrder = file(method);
    updateMany(
      inOrder,
      ts,
      ts.map((t) => t % 7),
      NOW,
    );
    const shuffled = file(method);
    const order = [3, 9, 0, 5, 1, 8, 2, 7, 4, 6];
    updateMany(
      shuffled,
      order.map((i) => ts[i]),
      order.map((i) => ts[i] % 7),
      NOW,
    );
    assert.deepEqual(readFileSync(shuffled).subarray(40), readFileSync(inOrder).subarray(40));
  });
}

test('negative values: absmax and absmin keep the sign of the winner', () => {
  const ts = range(99_991, 100_000);
  const vs = ts.map((t) => t - 99_996); // -5 .. 4
  const absmax = file('absmax');
  updateMany(absmax, ts, vs, NOW);
  assert.deepEqual(values(absmax, 5, NOW - 30), [_, _, _, -5, 3, _]);
  const absmin = file('absmin');
  updateMany(absmin, ts, vs, NOW);
  assert.deepEqual(values(absmin, 5, NOW - 30), [_, _, _, -2, 0, _]);
});

test('NaN gaps: points every other second, xFilesFactor decides what propagates', () => {
  const ts = [99_991, 99_993, 99_995, 99_997, 99_999];
  const half = file('average');
  updateMany(half, ts, [1, 2, 3, 4, 5], NOW);
  assert.deepEqual(values(half, 1, NOW - 10), [1, _, 2, _, 3, _, 4, _, 5, _]);
  // 99990: 2 of 5 known (0.4 < 0.5) -> nothing; 99995: 3 of 5 -> average of 3, 4, 5.
  assert.deepEqual(values(half, 5, NOW - 30), [_, _, _, _, 4, _]);
  const any = file('average', 0);
  updateMany(any, ts, [1, 2, 3, 4, 5], NOW);
  assert.deepEqual(values(any, 5, NOW - 30), [_, _, _, 1.5, 4, _]);
});

test('a stored NaN value reads as NaN and counts as known for propagation', () => {
  const path = file('max');
  updateMany(path, range(99_995, 99_999), [_, 1, 2, 3, 4], NOW);
  // Python's max over [nan, 1, 2, 3, 4] keeps nan: nothing compares greater than it.
  assert.deepEqual(values(path, 5, NOW - 10), [_, _]);
  const sum = file('sum');
  updateMany(sum, range(99_995, 99_999), [1, 2, _, 3, 4], NOW);
  assert.deepEqual(values(sum, 5, NOW - 10), [_, _]);
  assert.deepEqual(values(sum, 1, NOW - 6, NOW - 1), [1, 2, _, 3, 4]);
});

test('points older than the whole file are dropped; older than the fine archive go to the coarse one', () => {
  const path = file('average');
  const before = readFileSync(path);
  updateMany(path, [NOW - 31, NOW - 100], [1, 2], NOW);
  assert.deepEqual(readFileSync(path), before);
  updateMany(path, [NOW - 20, NOW - 23], [5, 6], NOW);
  // 99980 and 99977 both land in coarse slot 99975 / 99980: aligned to 5 s.
  assert.deepEqual(values(path, 5, NOW - 30), [6, 5, _, _, _, _]);
  assert.deepEqual(values(path, 1, NOW - 10), Array(10).fill(_));
});

test('future points are stored (whisper.update_many keeps them) and read once time catches up', () => {
  const path = file('last');
  updateMany(path, [NOW + 3], [42], NOW);
  assert.deepEqual(values(path, 1, NOW - 10), Array(10).fill(_));
  assert.deepEqual(values(path, 1, NOW - 5, NOW + 5, NOW + 5), [_, _, _, _, _, _, _, 42, _, _]);
});

test('duplicate timestamps in one call: the first given wins, as in whisper.update_many', () => {
  const path = file('last');
  updateMany(path, [NOW - 1, NOW - 1, NOW - 1], [1, 2, 3], NOW);
  assert.deepEqual(values(path, 1, NOW - 2, NOW - 1), [1]);
  // Same slot from different timestamps: the later timestamp wins.
  const coarse = file('last');
  updateMany(coarse, [NOW - 25, NOW - 24], [8, 9], NOW);
  assert.deepEqual(values(coarse, 5, NOW - 30, NOW - 21), [9]);
});

test('one point a second for 50 s: the fine ring wraps, the coarse archive keeps averages', () => {
  const path = file('average');
  for (let t = 100_001; t <= 100_050; t++) updateMany(path, [t], [t - 100_000], t);
  const now = 100_050;
  assert.deepEqual(values(path, 1, now - 10, now, now), range(41, 50));
  // coarse slots 100025..100050: averages of 25..29, 30..34, ..., 45..49; 100050 has 1/5 known.
  assert.deepEqual(values(path, 5, now - 30, now, now), [27, 32, 37, 42, 47, _]);
  // Default archive selection: from within 10 s -> fine archive, beyond -> coarse.
  assert.equal(fetch(path, now - 10, now, now)?.step, 1);
  assert.equal(fetch(path, now - 11, now, now)?.step, 5);
});

test('fetch outside retention or in the future returns null; from > until throws', () => {
  const path = file('average');
  assert.equal(fetch(path, NOW + 1, NOW + 5, NOW), null);
  assert.equal(fetch(path, NOW - 100, NOW - 31, NOW), null);
  assert.throws(() => fetch(path, NOW, NOW - 1, NOW), /from 100000 is after until 99999/);
  assert.throws(() => fetch(path, NOW - 5, NOW, NOW, 60), /invalid granularity 60s; the file has 1s, 5s/);
  // An empty file returns a full series of NaN.
  const r = fetch(path, NOW - 5, NOW, NOW);
  assert.deepEqual(r && { start: r.start, end: r.end, n: r.values.length }, {
    start: 99_996,
    end: 100_001,
    n: 5,
  });
});
