import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setQuiet } from '../log.js';
import type { FetchResult, MetricNode, MetricPoints, PointSource, Store } from '../storage/store.js';
import { WhisperStore } from '../storage/whisper/store.js';
import { MetricCache } from './cache.js';
import { WriteAheadLog } from './wal.js';
import { CacheWriter } from './writer.js';

/** A Store in memory: the last value per timestamp, and hooks to fail or slow writes. */
class MemoryStore implements Store {
  readonly data = new Map<string, Map<number, number>>();
  writes: string[] = [];
  failFor = new Map<string, number>();
  onWrite: ((batch: MetricPoints) => void) | undefined;
  writesOffThread = false;

  async *find(): AsyncIterable<MetricNode> {}
  async fetch(): Promise<FetchResult | null> {
    return null;
  }
  async exists(metric: string): Promise<boolean> {
    return this.data.has(metric);
  }
  async write(batch: MetricPoints): Promise<boolean> {
    this.onWrite?.(batch);
    const fails = this.failFor.get(batch.metric) ?? 0;
    if (fails > 0) {
      this.failFor.set(batch.metric, fails - 1);
      throw new Error(`corrupt file for ${batch.metric}`);
    }
    this.writes.push(batch.metric);
    let points = this.data.get(batch.metric);
    const created = points === undefined;
    if (!points) {
      points = new Map();
      this.data.set(batch.metric, points);
    }
    for (let i = 0; i < batch.timestamps.length; i++) points.set(batch.timestamps[i], batch.values[i]);
    return created;
  }
  points(metric: string): [number, number][] {
    return [...(this.data.get(metric) ?? [])].sort((a, b) => a[0] - b[0]);
  }
}

/** A MemoryStore that takes a whole slice in one writeMany call, as WhisperStore's write thread does. */
class SliceStore extends MemoryStore {
  slices = 0;
  constructor() {
    super();
    this.writesOffThread = true;
  }
  async writeMany(points: PointSource): Promise<Array<boolean | Error>> {
    this.slices++;
    // Read during the call, as the contract says: the points are the cache's until the call returns.
    const batches: MetricPoints[] = [];
    for (let i = 0; i < points.length; i++) {
      const n = points.count(i);
      const out = new Float64Array(2 * n);
      points.copy(i, out, 0);
      batches.push({ metric: points.metric(i), timestamps: out.subarray(0, n), values: out.subarray(n) });
    }
    return Promise.all(batches.map((b) => this.write(b).catch((err: Error) => err)));
  }
}

/** Waits, turn by turn of the event loop, until `cond` holds (never for a fixed time). */
async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

let root: string;
before(() => {
  setQuiet(true);
  root = mkdtempSync(join(tmpdir(), 'carbonado-writer-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('CacheWriter', () => {
  test('persists the cache into a real WhisperStore; the later point of a timestamp wins', async () => {
    const now = 1_700_000_000;
    const store = new WhisperStore({
      root: join(root, 'whisper'),
      schemaFor: () => ({
        archives: [{ secondsPerPoint: 1, points: 60 }],
        xFilesFactor: 0.5,
        aggregationMethod: 'average',
      }),
      clock: () => now,
    });
    const cache = new MetricCache();
    for (let i = 0; i < 10; i++) {
      cache.add('servers.a.load', now - 10 + i, i);
      cache.add('servers.b.load', now - 10 + i, 100 + i);
    }
    cache.add('servers.a.load', now - 5, 55);
    const writer = new CacheWriter({ cache, store });
    await writer.start();
    await until(() => writer.stats().committedPoints === 20, 'the writer to commit 20 points');
    await writer.stop();
    const a = await store.fetch('servers.a.load', now - 10, now, now);
    const b = await store.fetch('servers.b.load', now - 10, now, now);
    assert.deepEqual([a!.start, a!.end, a!.step], [now - 9, now + 1, 1]);
    assert.deepEqual(Array.from(a!.values), [1, 2, 3, 4, 55, 6, 7, 8, 9, Number.NaN]);
    assert.deepEqual(Array.from(b!.values), [101, 102, 103, 104, 105, 106, 107, 108, 109, Number.NaN]);
    const s = writer.stats();
    assert.equal(s.creates, 2);
    assert.equal(s.updateOperations, 2);
    assert.equal(s.pointsPerUpdate, 10);
    assert.equal(s['cache.size'], 0);
    assert.ok(s.avgUpdateTime > 0 && s.avgUpdateTime < 1, `avgUpdateTime ${s.avgUpdateTime} s`);
  });

  test('keeps writing points that arrive after it went idle', async () => {
    const store = new MemoryStore();
    const cache = new MetricCache();
    const writer = new CacheWriter({ cache, store });
    await writer.start();
    cache.add('late', 1, 1);
    await until(() => store.data.has('late'), 'the late metric to be written');
    cache.add('late', 2, 2);
    cache.add('later', 1, 1);
    await until(() => writer.stats().committedPoints === 3, 'all three points');
    await writer.stop();
    assert.deepEqual(store.points('late'), [
      [1, 1],
      [2, 2],
    ]);
  });

  test('gathers: after a slice of one-point writes, it waits while points keep coming, and writes once they stop', async () => {
    const store = new MemoryStore();
    const cache = new MetricCache();
    const names = Array.from({ length: 10 }, (_, i) => `g.m${i}`);
    for (const n of names) cache.add(n, 1, 1);
    // Each metric's next point arrives while its first is being written, as from a busy receiver (after
    // the slice has taken its metrics, as with a write thread); then a point every 5 ms, to one metric
    // after another, until the test stops them.
    store.writesOffThread = true;
    store.onWrite = (batch) => {
      if (batch.timestamps[0] === 1) queueMicrotask(() => cache.add(batch.metric, 2, 2));
    };
    let t = 3;
    const feed = setInterval(() => {
      cache.add(names[t % 10], t, t);
      t++;
    }, 5);
    const writer = new CacheWriter({ cache, store, gatherMs: 60_000 });
    try {
      await writer.start();
      await until(() => writer.stats().committedPoints === 10, 'the first slice');
      // One point per write and more arriving: the writer holds back (up to a minute) instead of writing.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(writer.stats().committedPoints, 10);
      assert.ok(cache.size > 20, `${cache.size} points gathered`);
    } finally {
      clearInterval(feed);
    }
    // Points stopped: the rest is written at once (within the 10 s `until` allows), not a minute later.
    const sent = 10 + cache.size;
    await until(() => writer.stats().committedPoints === sent, 'the gathered points written');
    await writer.stop();
    assert.equal(writer.stats().committedPoints, sent);
    for (const n of names) {
      const got = store.points(n);
      assert.deepEqual(got.slice(0, 2), [
        [1, 1],
        [2, 2],
      ]);
      assert.ok(got.length > 2, `${n} got the later points too`);
    }
  });

  test('create limit: metrics without a token stay in the cache, queryable, none dropped', async () => {
    const store = new MemoryStore();
    store.data.set('old', new Map());
    const cache = new MetricCache();
    for (const m of ['old', 'new1', 'new2', 'new3', 'new4', 'new5']) cache.add(m, 1, 1);
    const writer = new CacheWriter({ cache, store, maxCreatesPerMinute: 2, strategy: 'naive' });
    await writer.start();
    await until(() => writer.stats().deferredCreates === 3, 'three deferred creates');
    await until(() => writer.stats().committedPoints === 3, 'old and two new metrics written');
    const s = writer.stats();
    assert.equal(s.creates, 2);
    assert.equal(s.droppedCreates, 0);
    assert.equal(s['cache.size'], 3);
    assert.equal(s['cache.queues'], 3);
    const waiting = [...cache.names()].sort();
    assert.equal(waiting.length, 3);
    for (const m of waiting) assert.deepEqual(cache.peek(m), { timestamps: [1], values: [1] });
    // stop() drains everything regardless of the limit (carbon's MAX_UPDATES_PER_SECOND_ON_SHUTDOWN).
    await writer.stop();
    assert.equal(store.data.size, 6);
    assert.equal(writer.stats().creates, 5);
  });

  test('update limit: no more store writes than the bucket allows', async () => {
    const store = new MemoryStore();
    const cache = new MetricCache();
    for (let i = 0; i < 100; i++) cache.add(`m${i}`, 1, 1);
    const rate = 50;
    const writer = new CacheWriter({ cache, store, maxUpdatesPerSecond: rate });
    const started = performance.now();
    await writer.start();
    await until(() => store.writes.length >= 75, '75 updates');
    const elapsed = (performance.now() - started) / 1000;
    // The bucket starts with one second's worth (50); 25 more take at least 0.5 s at 50/s.
    assert.ok(elapsed >= 0.45, `75 updates in ${elapsed.toFixed(3)} s; want at least 0.5 s at ${rate}/s`);
    await writer.stop();
    assert.equal(store.writes.length, 100);
  });

  test('a failed write keeps the points, backs off and retries; other metrics go on', async () => {
    const store = new MemoryStore();
    store.failFor.set('bad', 1000);
    const cache = new MetricCache();
    cache.add('bad', 1, 1);
    cache.add('good', 1, 1);
    const writer = new CacheWriter({ cache, store, retryDelay: 5 });
    await writer.start();
    await until(() => store.data.has('good') && writer.stats().errors >= 1, 'good, and a failure of bad');
    cache.add('bad', 2, 2);
    await until(() => writer.stats().errors >= 3, 'two retries of bad');
    assert.deepEqual(cache.peek('bad'), { timestamps: [1, 2], values: [1, 2] }, 'still queryable');
    store.failFor.delete('bad');
    await until(() => store.data.has('bad'), 'bad, once the store is repaired');
    assert.deepEqual(store.points('bad'), [
      [1, 1],
      [2, 2],
    ]);
    assert.equal(writer.stats().errorDroppedPoints, 0);
    await writer.stop();
  });

  test('a store with writeMany gets whole slices; failures in a slice back off and retry alone', async () => {
    const store = new SliceStore();
    store.failFor.set('bad', 2);
    const cache = new MetricCache();
    for (let i = 0; i < 50; i++) cache.add(`s.m${i}`, 1, i);
    cache.add('bad', 1, 1);
    const writer = new CacheWriter({ cache, store, retryDelay: 5, gatherMs: 0 });
    await writer.start();
    await until(() => store.data.has('bad'), 'bad, after two failures');
    await writer.stop();
    const s = writer.stats();
    assert.deepEqual([s.committedPoints, s.updateOperations, s.creates, s.errors], [51, 51, 51, 2]);
    assert.ok(store.slices < 51 - 2, `${store.slices} writeMany calls for 51 metrics`);
    for (let i = 0; i < 50; i++) assert.deepEqual(store.points(`s.m${i}`), [[1, i]]);
  });

  test('a write that keeps failing is dropped after maxWriteRetries, and counted', async () => {
    const store = new MemoryStore();
    store.failFor.set('broken', 1000);
    const cache = new MetricCache();
    cache.add('broken', 1, 1);
    cache.add('broken', 2, 2);
    const writer = new CacheWriter({ cache, store, retryDelay: 1, maxRetryDelay: 2, maxWriteRetries: 3 });
    await writer.start();
    await until(() => writer.stats().errorDroppedPoints === 2, 'the points to be dropped');
    assert.equal(writer.stats().errors, 4, 'first try and 3 retries');
    assert.equal(cache.size, 0);
    await writer.stop();
  });

  test('stop drains the cache, then closes the WAL and removes its segments', async () => {
    const dir = join(root, 'wal-clean');
    const store = new MemoryStore();
    const wal = new WriteAheadLog({ dir, fsync: false });
    const cache = new MetricCache({ log: wal });
    const writer = new CacheWriter({ cache, store, wal, maxUpdatesPerSecond: 1 });
    await writer.start();
    for (let i = 0; i < 50; i++) cache.add(`m${i % 5}`, i, i);
    await writer.stop();
    await writer.stop();
    assert.equal(store.data.size, 5);
    assert.equal(writer.stats().committedPoints, 50);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('points whose write fails at stop stay in the WAL and come back at the next start', async () => {
    const dir = join(root, 'wal-failing');
    const store = new MemoryStore();
    store.failFor.set('stuck', 1000);
    const wal = new WriteAheadLog({ dir, fsync: false });
    const cache = new MetricCache({ log: wal });
    const writer = new CacheWriter({ cache, store, wal, retryDelay: 60_000 });
    await writer.start();
    cache.add('stuck', 1, 7);
    cache.add('fine', 1, 1);
    await writer.stop();
    assert.ok(store.data.has('fine'));
    assert.equal(readdirSync(dir).length, 1);
    // Next start: the store is repaired.
    store.failFor.clear();
    const wal2 = new WriteAheadLog({ dir, fsync: false });
    const cache2 = new MetricCache({ log: wal2 });
    const writer2 = new CacheWriter({ cache: cache2, store, wal: wal2 });
    await writer2.start();
    assert.equal(writer2.stats()['wal.replayedPoints'], 2, 'fine was persisted too late to drop the segment');
    await writer2.stop();
    assert.deepEqual(store.points('stuck'), [[1, 7]]);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('yields to the event loop between slices while draining a slow store', async () => {
    const store = new MemoryStore();
    store.onWrite = () => {
      // Synchronous I/O stand-in: 2 ms of busy work per metric.
      const end = performance.now() + 2;
      while (performance.now() < end);
    };
    const cache = new MetricCache();
    for (let i = 0; i < 60; i++) cache.add(`m${i}`, 1, 1);
    let turns = 0;
    let running = true;
    const tick = () => {
      turns++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const writer = new CacheWriter({ cache, store, sliceMs: 10 });
    await writer.start();
    await writer.stop();
    running = false;
    // 60 writes of 2 ms in 10 ms slices: about 12 slices, each followed by a turn of the loop.
    assert.ok(turns >= 8, `event loop ran ${turns} times during 120 ms of writes; want about 12`);
  });
});

test('while the writer runs, WAL segments go once their points are persisted', async () => {
  const dir = join(root, 'wal-running');
  const store = new MemoryStore();
  const wal = new WriteAheadLog({ dir, fsync: false, flushInterval: 3_600_000, segmentBytes: 1 });
  const cache = new MetricCache({ log: wal });
  const writer = new CacheWriter({ cache, store, wal });
  await writer.start();
  for (let round = 0; round < 3; round++) {
    cache.add(`m${round}`, 1, 1);
    await until(() => store.data.has(`m${round}`), `m${round} persisted`);
    await wal.flush(); // writes the point to a segment and rotates (segmentBytes: 1)
  }
  await wal.flush(); // deletes what the last flush closed
  assert.equal(wal.stats()['wal.deletedSegments'], 3);
  assert.deepEqual(readdirSync(dir), ['00000000000000000004.wal']);
  await writer.stop();
  assert.deepEqual(readdirSync(dir), []);
});
