import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PointBatch } from '../ingest/batch.js';
import { FNV_BASIS, fnvStep, NameInterner } from '../ingest/intern.js';
import { MetricCache, type PointLog } from './cache.js';
import { lastPerTimestamp } from './points.js';
import { createStrategy } from './strategy.js';

function fill(cache: MetricCache, counts: Record<string, number>): void {
  for (const [name, n] of Object.entries(counts)) for (let i = 0; i < n; i++) cache.add(name, 100 + i, i);
}

describe('MetricCache', () => {
  test('peek returns points the moment they are accepted, in arrival order, as copies', () => {
    const cache = new MetricCache();
    assert.equal(cache.peek('a.b'), undefined);
    cache.add('a.b', 20, 2);
    cache.add('a.b', 10, 1);
    cache.add('c', 10, 5);
    const seen = cache.peek('a.b')!;
    assert.deepEqual(seen, { timestamps: [20, 10], values: [2, 1] });
    seen.timestamps.push(99);
    assert.deepEqual(cache.peek('a.b')!.timestamps, [20, 10]);
    assert.equal(cache.size, 3);
    assert.equal(cache.queueCount, 2);
    assert.deepEqual([...cache.names()].sort(), ['a.b', 'c']);
  });

  test('pop takes all of a metric, sorted by timestamp, the later point of a timestamp winning', () => {
    const cache = new MetricCache();
    cache.add('m', 30, 3);
    cache.add('m', 10, 1);
    cache.add('m', 20, 2);
    cache.add('m', 10, 11);
    cache.add('other', 5, 5);
    assert.equal(cache.size, 5, 'size counts every accepted point, duplicates included');
    const batch = cache.pop('m')!;
    assert.deepEqual(batch.timestamps, [10, 20, 30]);
    assert.deepEqual(batch.values, [11, 2, 3]);
    assert.equal(cache.size, 1);
    assert.equal(cache.queueLength('m'), 0);
    assert.equal(cache.pop('m'), undefined);
  });

  test('a batch in flight stays readable until released, and is read before newer points', () => {
    const cache = new MetricCache();
    cache.add('m', 10, 1);
    const batch = cache.pop('m')!;
    cache.add('m', 10, 2);
    assert.deepEqual(cache.peek('m'), { timestamps: [10, 10], values: [1, 2] });
    assert.deepEqual([...cache.names()], ['m']);
    cache.release(batch);
    assert.deepEqual(cache.peek('m'), { timestamps: [10], values: [2] });
    assert.throws(() => cache.release(batch), /BUG: flight \d+ of m is not in flight/);
  });

  test('requeue puts a batch back ahead of newer points', () => {
    const cache = new MetricCache();
    cache.add('m', 10, 1);
    cache.add('m', 20, 2);
    const batch = cache.pop('m')!;
    cache.add('m', 20, 22);
    cache.requeue(batch);
    assert.equal(cache.size, 3);
    const again = cache.pop('m')!;
    assert.deepEqual(again.timestamps, [10, 20]);
    assert.deepEqual(again.values, [1, 22]);
  });

  test('flights: several of one metric stay readable oldest first; each lands or goes back on its own', () => {
    const cache = new MetricCache();
    cache.add('m', 1, 10);
    cache.add('m', 2, 20);
    cache.add('other', 1, 5);
    const first = cache.take('m');
    assert.equal(cache.flightLength(first), 2);
    assert.equal(cache.size, 1, 'points in flight are not counted in size');
    cache.add('m', 3, 30);
    const second = cache.take('m');
    assert.notEqual(second, first);
    assert.equal(cache.take('m'), -1, 'nothing queued');
    cache.add('m', 4, 40);
    assert.deepEqual(cache.peek('m'), { timestamps: [1, 2, 3, 4], values: [10, 20, 30, 40] });
    // copyFlight packs timestamps then values, at the offset asked for, and nothing else.
    const out = new Float64Array(6).fill(-1);
    cache.copyFlight(first, out, 1);
    assert.deepEqual([...out], [-1, 1, 2, 10, 20, -1]);
    // The newer flight lands first: the older one stays readable, ahead of what is queued.
    cache.land('m', second);
    assert.deepEqual(cache.peek('m'), { timestamps: [1, 2, 4], values: [10, 20, 40] });
    assert.throws(() => cache.land('m', second), /BUG: flight \d+ of m is not in flight/);
    // The older one goes back ahead of the newer point; it is queued again and counted.
    cache.putBack('m', first);
    assert.equal(cache.size, 4);
    assert.deepEqual(cache.peek('m'), { timestamps: [1, 2, 4], values: [10, 20, 40] });
    assert.deepEqual([...cache.names()].sort(), ['m', 'other']);
    const again = cache.pop('m')!;
    assert.deepEqual(
      [again.timestamps, again.values],
      [
        [1, 2, 4],
        [10, 20, 40],
      ],
    );
    cache.release(again);
    assert.equal(cache.peek('m'), undefined);
    assert.deepEqual(cache.peek('other'), { timestamps: [1], values: [5] });
  });

  test('flow control: paused at maxSize, overflow counted past it, resume below the low watermark', () => {
    const cache = new MetricCache({ maxSize: 100, lowWatermark: 0.9 });
    let resumes = 0;
    cache.onResume(() => resumes++);
    fill(cache, { a: 50, b: 30, c: 19 });
    assert.equal(cache.size, 99);
    assert.equal(cache.paused, false);
    cache.add('d', 1, 1);
    assert.equal(cache.size, 100);
    assert.equal(cache.paused, true);
    assert.equal(cache.overflow, 0);
    cache.add('d', 2, 2);
    cache.add('d', 3, 3);
    assert.equal(cache.overflow, 2, 'points past maxSize are kept and counted');
    assert.equal(cache.size, 102);
    // 102 - 3 = 99 and 99 - 19 = 80: still >= 90 after the first, below after the second.
    cache.pop('d');
    assert.equal(cache.paused, true);
    assert.equal(resumes, 0);
    cache.pop('c');
    assert.equal(cache.size, 80);
    assert.equal(cache.paused, false);
    assert.equal(resumes, 1);
    cache.pop('b');
    assert.equal(resumes, 1, 'callbacks run on the transition only');
  });

  test('default low watermark is 95% of maxSize, as carbon', () => {
    const cache = new MetricCache({ maxSize: 40 });
    fill(cache, { a: 2, b: 38 });
    assert.equal(cache.paused, true);
    cache.pop('a');
    assert.equal(cache.size, 38, '38 = 95% of 40 is not below the watermark');
    assert.equal(cache.paused, true);
    cache.add('c', 1, 1);
    cache.pop('c');
    cache.add('a', 1, 1);
    cache.pop('b');
    assert.equal(cache.paused, false);
  });

  test('rejects settings out of range', () => {
    assert.throws(() => new MetricCache({ maxSize: 0 }), /maxSize got 0; want a number above 0/);
    assert.throws(
      () => new MetricCache({ lowWatermark: 1.5 }),
      /lowWatermark got 1.5; want a fraction in \(0, 1\]/,
    );
    assert.throws(() => new MetricCache({ lowWatermark: 0 }), /lowWatermark got 0/);
  });

  test('segment references: oldest segment with unpersisted points, through pop, release and requeue', () => {
    const log: PointLog & { segment: number; appended: number } = {
      segment: 1,
      appended: 0,
      append() {
        this.appended++;
      },
      appendBatch(batch) {
        this.appended += batch.length;
      },
    };
    const cache = new MetricCache({ log });
    assert.equal(cache.oldestSegment(), Number.POSITIVE_INFINITY);
    cache.add('a', 1, 1);
    log.segment = 2;
    cache.add('a', 2, 2);
    cache.add('b', 1, 1);
    assert.equal(log.appended, 3);
    assert.equal(cache.oldestSegment(), 1, 'a started in segment 1');
    const a = cache.pop('a')!;
    assert.equal(a.segment, 1);
    assert.equal(cache.oldestSegment(), 1, 'in flight still needs segment 1');
    log.segment = 3;
    cache.add('a', 3, 3);
    cache.requeue(a);
    assert.equal(cache.oldestSegment(), 1, 'requeued points keep their segment');
    cache.release(cache.pop('a')!);
    assert.equal(cache.oldestSegment(), 2, 'only b (segment 2) is left');
    cache.release(cache.pop('b')!);
    assert.equal(cache.oldestSegment(), Number.POSITIVE_INFINITY);
  });

  test('restore takes replayed points with their segment, keeping the oldest per queue', () => {
    const cache = new MetricCache();
    cache.restore('m', 1, 1, 7);
    cache.restore('m', 2, 2, 5);
    cache.restore('n', 1, 1, 9);
    assert.equal(cache.size, 3);
    assert.equal(cache.oldestSegment(), 5);
    assert.equal(cache.pop('m')!.segment, 5);
  });

  test('whenNewQueue fires once, for a metric not queued before', () => {
    const cache = new MetricCache();
    cache.add('a', 1, 1);
    let fired = 0;
    cache.whenNewQueue(() => fired++);
    cache.add('a', 2, 2);
    assert.equal(fired, 0);
    cache.add('b', 1, 1);
    cache.add('c', 1, 1);
    assert.equal(fired, 1);
  });
});

describe('lastPerTimestamp', () => {
  const cases: [number[], number[], number[], number[]][] = [
    [[], [], [], []],
    [
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ],
    [
      [3, 1, 2],
      [30, 10, 20],
      [1, 2, 3],
      [10, 20, 30],
    ],
    [[1, 1, 1], [1, 2, 3], [1], [3]],
    [
      [2, 1, 2, 1],
      [1, 2, 3, 4],
      [1, 2],
      [4, 3],
    ],
    [
      [1, 2, 2],
      [5, 6, 7],
      [1, 2],
      [5, 7],
    ],
  ];
  for (const [ts, vs, wantTs, wantVs] of cases) {
    test(`${JSON.stringify(ts)} ${JSON.stringify(vs)}`, () => {
      assert.deepEqual(lastPerTimestamp(ts, vs), { timestamps: wantTs, values: wantVs });
    });
  }
});

describe('drain strategies (carbon/cache.py)', () => {
  const counts = { small: 1, big: 5, mid: 3, other: 2 };

  function drainOrder(name: 'max' | 'sorted' | 'naive', cache: MetricCache, rounds: number): string[] {
    const strategy = createStrategy(name, cache);
    const order: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const m = strategy.next();
      if (m === undefined) break;
      order.push(m);
      cache.pop(m);
    }
    return order;
  }

  test('max: always the longest queue, re-checked on each choice', () => {
    const cache = new MetricCache();
    fill(cache, counts);
    const strategy = createStrategy('max', cache);
    assert.equal(strategy.next(), 'big');
    cache.pop('big');
    fill(cache, { small: 9 });
    assert.equal(strategy.next(), 'small', 'small grew to 10 points');
    assert.equal(
      strategy.next((m) => m === 'small'),
      'mid',
    );
  });

  test('sorted: a round in descending size, metrics arriving meanwhile wait for the next round', () => {
    const cache = new MetricCache();
    fill(cache, counts);
    const strategy = createStrategy('sorted', cache);
    const first = strategy.next()!;
    cache.pop(first);
    fill(cache, { late: 100 });
    const rest: string[] = [];
    for (let m = strategy.next(); m !== undefined; m = strategy.next()) {
      rest.push(m);
      cache.pop(m);
    }
    assert.deepEqual([first, ...rest], ['big', 'mid', 'other', 'small', 'late']);
  });

  test('naive: each queued metric once per round', () => {
    const cache = new MetricCache();
    fill(cache, counts);
    const order = drainOrder('naive', cache, 10);
    assert.deepEqual([...order].sort(), ['big', 'mid', 'other', 'small']);
  });

  test('skip passes over metrics; undefined when none qualifies', () => {
    for (const name of ['max', 'sorted', 'naive'] as const) {
      const cache = new MetricCache();
      fill(cache, counts);
      const strategy = createStrategy(name, cache);
      assert.equal(
        strategy.next(() => true),
        undefined,
        name,
      );
      assert.equal(
        strategy.next((m) => m !== 'mid'),
        'mid',
        name,
      );
    }
  });

  test('an empty cache yields undefined', () => {
    for (const name of ['max', 'sorted', 'naive'] as const)
      assert.equal(createStrategy(name, new MetricCache()).next(), undefined);
  });

  test('an unknown strategy is refused by name', () => {
    assert.throws(
      () => createStrategy('timesorted' as 'max', new MetricCache()),
      /write strategy got 'timesorted'; want max, sorted, naive/,
    );
  });
});

test('addBatch leaves the cache as add of each point would: queues, size, pause, overflow, log', () => {
  const points: [string, number, number][] = [];
  for (let i = 0; i < 40; i++) points.push([`m${i % 7}`, 1000 + (i % 5), i * 0.5]);
  for (const maxSize of [Number.POSITIVE_INFINITY, 1, 10, 25, 39, 40, 41]) {
    for (const cut of [1, 3, 16, 40]) {
      const logged = { one: 0, batch: 0 };
      const logOf = (key: 'one' | 'batch'): PointLog => ({
        segment: 0,
        append: () => {
          logged[key]++;
        },
        appendBatch: (b) => {
          logged[key] += b.length;
        },
      });
      const one = new MetricCache({ maxSize, log: logOf('one') });
      const many = new MetricCache({ maxSize, log: logOf('batch') });
      for (const [n, t, v] of points) one.add(n, t, v);
      const batch = new PointBatch(2);
      for (let i = 0; i < points.length; i += cut) {
        for (const [n, t, v] of points.slice(i, i + cut)) batch.push(n, t, v);
        many.addBatch(batch);
        batch.clear();
      }
      const what = `maxSize ${maxSize}, batches of ${cut}`;
      assert.deepEqual([many.size, many.paused, many.overflow], [one.size, one.paused, one.overflow], what);
      assert.equal(logged.batch, logged.one, what);
      for (let m = 0; m < 7; m++) assert.deepEqual(many.peek(`m${m}`), one.peek(`m${m}`), `${what}, m${m}`);
    }
  }
});

describe('MetricCache.addBatch with interner handles', () => {
  /** A batch of points whose names come through `names`, as a plaintext receiver makes them. */
  function batchOf(names: NameInterner, points: Array<[string, number]>): PointBatch {
    const batch = new PointBatch(2);
    batch.useInterner(names);
    for (const [name, t] of points) {
      const bytes = Buffer.from(name);
      let hash = FNV_BASIS;
      for (const b of bytes) hash = fnvStep(hash, b);
      let entry = names.find(bytes, 0, bytes.length, hash);
      if (entry < 0) entry = names.add(bytes, 0, bytes.length, hash, name);
      batch.push(names.nameOf(entry), t, t * 10, entry);
    }
    return batch;
  }

  test('points reach their own metric through handles, also after pops and requeues reuse queue ids', () => {
    const names = new NameInterner();
    const cache = new MetricCache();
    cache.addBatch(
      batchOf(names, [
        ['a', 1],
        ['b', 1],
        ['a', 2],
        ['c', 1],
      ]),
    );
    assert.deepEqual(cache.peek('a'), { timestamps: [1, 2], values: [10, 20] });
    // a's queue is taken; b's id may be reused for it, and the handles of a and b must not mix.
    const popped = cache.pop('a');
    assert.ok(popped);
    cache.release(popped);
    const pb = cache.pop('b');
    assert.ok(pb);
    cache.addBatch(
      batchOf(names, [
        ['b', 3],
        ['a', 3],
        ['b', 4],
      ]),
    );
    cache.requeue(pb);
    cache.addBatch(
      batchOf(names, [
        ['a', 5],
        ['b', 5],
        ['c', 2],
      ]),
    );
    assert.deepEqual(cache.peek('a'), { timestamps: [3, 5], values: [30, 50] });
    assert.deepEqual(cache.peek('b'), { timestamps: [1, 3, 4, 5], values: [10, 30, 40, 50] });
    assert.deepEqual(cache.peek('c'), { timestamps: [1, 2], values: [10, 20] });
    assert.equal(cache.size, 8);
    // Handles were kept: a's entry holds a's current queue.
    const aEntry = names.find(Buffer.from('a'), 0, 1, fnvStep(FNV_BASIS, 0x61));
    assert.ok(names.handles[2 * aEntry] >= 0);
  });

  test('a batch whose interner was cleared meanwhile goes by name (its entries mean other names now)', () => {
    const names = new NameInterner();
    const cache = new MetricCache();
    cache.addBatch(
      batchOf(names, [
        ['x', 1],
        ['y', 1],
      ]),
    );
    const batch = batchOf(names, [['x', 2]]);
    // The interner starts afresh (its byte budget was reached): entry 0 is now 'z'.
    names.clear();
    batchOf(names, [['z', 1]]);
    cache.addBatch(batch);
    assert.deepEqual(cache.peek('x'), { timestamps: [1, 2], values: [10, 20] });
    assert.equal(cache.peek('z'), undefined);
  });
});
