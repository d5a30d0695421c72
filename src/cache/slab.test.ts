import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PointSlab } from './slab.js';

/** A seeded generator (mulberry32), so a failure replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function contents(slab: PointSlab, q: number): { timestamps: number[]; values: number[] } {
  const c = slab.copy(q);
  return { timestamps: Array.from(c.timestamps), values: Array.from(c.values) };
}

describe('PointSlab', () => {
  it('keeps each queue in push order across block sizes (3, 7, 15 ... points per block)', () => {
    const slab = new PointSlab();
    const a = slab.open();
    const b = slab.open();
    for (let i = 0; i < 1000; i++) {
      slab.push(a, i, i / 4);
      if (i % 3 === 0) slab.push(b, -i, i * 2);
    }
    assert.equal(slab.count(a), 1000);
    assert.equal(slab.count(b), 334);
    const got = contents(slab, a);
    assert.deepEqual(
      got.timestamps,
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assert.deepEqual(
      got.values,
      Array.from({ length: 1000 }, (_, i) => i / 4),
    );
    const seen: number[] = [];
    slab.forEach(b, (t, v) => seen.push(t, v));
    assert.deepEqual(seen.slice(0, 6), [-0, 0, -3, 6, -6, 12]);
    assert.equal(seen.length, 2 * 334);
  });

  it('holds exactly full blocks and an empty queue', () => {
    const slab = new PointSlab();
    const q = slab.open();
    assert.deepEqual(contents(slab, q), { timestamps: [], values: [] });
    // 3 + 7 + 15 points fill the first three blocks exactly.
    for (let i = 0; i < 25; i++) slab.push(q, i, -i);
    assert.equal(slab.count(q), 25);
    assert.deepEqual(
      contents(slab, q).timestamps,
      Array.from({ length: 25 }, (_, i) => i),
    );
    slab.push(q, 25, -25);
    assert.deepEqual(contents(slab, q).values.slice(-2), [-24, -25]);
  });

  it('keeps values as doubles: NaN, -0, infinities, fractions', () => {
    const slab = new PointSlab();
    const q = slab.open();
    const values = [Number.NaN, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1, 2 ** 60 + 0.5];
    for (const v of values) slab.push(q, 1_700_000_000, v);
    assert.deepEqual(Array.from(slab.copy(q).values), values);
  });

  it('matches a model of arrays under random pushes, releases and reuse over many pages', () => {
    const random = rng(7);
    const slab = new PointSlab();
    const model = new Map<number, number[]>();
    let pushed = 0;
    for (let step = 0; step < 400_000; step++) {
      const r = random();
      if (r < 0.002 || model.size === 0) {
        model.set(slab.open(), []);
      } else if (r < 0.003) {
        const ids = [...model.keys()];
        const q = ids[Math.floor(random() * ids.length)];
        assert.deepEqual(contents(slab, q).timestamps, model.get(q));
        slab.release(q);
        model.delete(q);
      } else {
        const ids = [...model.keys()];
        // A few queues get most points, so some grow past a page (65,535 points per block at most).
        const q = random() < 0.5 ? ids[0] : ids[Math.floor(random() * ids.length)];
        const t = pushed++;
        slab.push(q, t, t * 0.5);
        model.get(q)?.push(t);
      }
    }
    assert.ok(
      slab.allocatedBytes > 2 * 1024 * 1024,
      `allocated ${slab.allocatedBytes} bytes; want several pages`,
    );
    for (const [q, ts] of model) {
      const got = contents(slab, q);
      assert.equal(slab.count(q), ts.length);
      assert.deepEqual(got.timestamps, ts);
      assert.deepEqual(
        got.values,
        ts.map((t) => t * 0.5),
      );
      // copyInto: timestamps then values, from the offset asked for, and nothing outside them.
      const n = ts.length;
      const out = new Float64Array(2 * n + 4).fill(-1);
      slab.copyInto(q, out, 3);
      assert.deepEqual(Array.from(out.subarray(3, 3 + n)), ts);
      assert.deepEqual(
        Array.from(out.subarray(3 + n, 3 + 2 * n)),
        ts.map((t) => t * 0.5),
      );
      assert.deepEqual([out[2], out[3 + 2 * n]], [-1, -1]);
    }
    assert.equal(slab.live, model.size);
  });

  it('reuses queue ids and blocks after release, and drops all but one page once empty', () => {
    const slab = new PointSlab();
    const qs = Array.from({ length: 100 }, () => slab.open());
    for (let i = 0; i < 300_000; i++) slab.push(qs[i % 100], i, i);
    const full = slab.allocatedBytes;
    assert.ok(full >= 300_000 * 16, `allocated ${full} bytes for 300,000 points`);
    for (const q of qs) slab.release(q);
    assert.equal(slab.live, 0);
    assert.equal(slab.allocatedBytes, 1 << 20);
    const again = slab.open();
    assert.ok(qs.includes(again), 'a released id is handed out again');
    slab.push(again, 5, 6);
    assert.deepEqual(contents(slab, again), { timestamps: [5], values: [6] });
  });

  it('keeps the pages it drops when empty, up to 32, and fills them again before making new ones', () => {
    const slab = new PointSlab();
    const fill = (n: number, base: number) => {
      const qs = Array.from({ length: 50 }, () => slab.open());
      for (let i = 0; i < n; i++) slab.push(qs[i % 50], base + i, -(base + i));
      return qs;
    };
    const first = fill(300_000, 0);
    const pages = slab.allocatedBytes / (1 << 20);
    assert.ok(pages >= 5, `${pages} pages for 300,000 points`);
    for (const q of first) slab.release(q);
    assert.equal(slab.spareBytes, (pages - 1) * (1 << 20), 'every page but the first set aside');
    // Stale doubles in a reused page never show: each queue reads back exactly what it was given.
    const second = fill(300_000, 1_000_000);
    assert.equal(slab.spareBytes, 0, 'the spare pages were used first');
    assert.equal(slab.allocatedBytes, pages * (1 << 20), 'and no page was added');
    for (let k = 0; k < 50; k++) {
      const got = contents(slab, second[k]);
      assert.equal(got.timestamps.length, 6000);
      assert.deepEqual(got.timestamps.slice(0, 3), [1_000_000 + k, 1_000_050 + k, 1_000_100 + k]);
      assert.deepEqual(got.values.slice(-1), [-(1_000_000 + k + 50 * 5999)]);
    }
    for (const q of second) slab.release(q);
    // A spike past 32 spare pages keeps only 32.
    const big = fill(3_000_000, 0);
    for (const q of big) slab.release(q);
    assert.equal(slab.spareBytes, 32 * (1 << 20));
  });

  it('takes about 16 bytes per point for long queues', () => {
    const slab = new PointSlab();
    const qs = Array.from({ length: 1000 }, () => slab.open());
    // 3+7+15+31+63+127 = 246 points fill six blocks exactly: no slack.
    for (let i = 0; i < 246_000; i++) slab.push(qs[i % 1000], i, i);
    const perPoint = slab.allocatedBytes / 246_000;
    assert.ok(perPoint < 17.5, `${perPoint.toFixed(1)} bytes per point`);
  });
});
