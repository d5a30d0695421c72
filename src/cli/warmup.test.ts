import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEFAULT_POINT_LIMITS } from '../ingest/datapoint.js';
import { fetch } from '../storage/whisper/fetch.js';
import { WhisperStore } from '../storage/whisper/store.js';
import { warmUpWrites } from '../storage/whisper/warm-up.js';
import { warmUp } from './warmup.js';

const base = mkdtempSync(join(tmpdir(), 'carbonado-warmup-test-'));
after(() => rmSync(base, { recursive: true, force: true }));

const schema = {
  archives: [{ secondsPerPoint: 10, points: 360 }],
  xFilesFactor: 0,
  aggregationMethod: 'last',
};

/** A data root (not made: the store makes what it writes), a scratch parent and a store with two write threads. */
function setUp(name: string) {
  const root = join(base, name, 'data');
  const tmp = join(base, name, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const store = new WhisperStore({ root, schemaFor: () => schema, writeThread: true, writeThreads: 2 });
  return { root, tmp, store };
}

/** Every file and directory under `dir`, relative; [] when it does not exist. */
function tree(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true }).map(String).sort();
  } catch {
    return [];
  }
}

test('warmUp: receives every scratch point and writes on every thread, then leaves no trace', async () => {
  const { root, tmp, store } = setUp('full');
  try {
    const report = await warmUp({
      points: 25_000,
      limits: DEFAULT_POINT_LIMITS,
      maxLineLength: 16384,
      store,
      tmp,
    });
    assert.deepEqual(report.failures, []);
    assert.equal(report.points, 25_000);
    assert.equal(report.writesPerThread, 500 * 40);
    assert.deepEqual(tree(tmp), [], 'the scratch directory is removed');
    assert.deepEqual(tree(root), [], 'nothing reaches the data directory');
    // The real store writes as before.
    const now = Math.floor(Date.now() / 1000);
    const ts = now - (now % 10);
    await store.write({ metric: 'after.warmup', timestamps: [ts], values: [42] });
    const got = fetch(join(root, 'after', 'warmup.wsp'), ts - 10, ts + 10, now);
    assert.ok(got !== null);
    assert.ok(Array.from(got.values).includes(42), `read back ${Array.from(got.values)}`);
  } finally {
    await store.close();
  }
});

test('warmUp: a scratch directory it cannot make is reported, not thrown', async () => {
  const { store } = setUp('no-tmp');
  try {
    const report = await warmUp({
      points: 1000,
      limits: DEFAULT_POINT_LIMITS,
      maxLineLength: 16384,
      store,
      tmp: join(base, 'does', 'not', 'exist'),
    });
    assert.equal(report.points, 0);
    assert.equal(report.failures.length, 1);
    assert.match(report.failures[0], /^scratch directory: ENOENT/);
  } finally {
    await store.close();
  }
});

test('warmUp: points the receiver refuses end the receive part at the timeout, reported', async () => {
  const tmp = join(base, 'refused', 'tmp');
  mkdirSync(tmp, { recursive: true });
  // Every warm-up timestamp is over this limit, so no point is accepted.
  const limits = { ...DEFAULT_POINT_LIMITS, maxTimestamp: 1000 };
  const report = await warmUp({ points: 500, limits, maxLineLength: 16384, tmp, timeoutMs: 200 });
  assert.equal(report.points, 0);
  assert.deepEqual(report.failures, ['receive path: 0 of 500 points arrived in 200 ms']);
  assert.deepEqual(tree(tmp), [], 'the scratch directory is removed after a failure too');
});

test('warmUpThreads: a thread that cannot write its scratch files says so and keeps writing real ones', async () => {
  const { root, store } = setUp('thread-fails');
  try {
    const failures = await store.warmUpThreads('/dev/null/scratch', 3, 2);
    assert.equal(failures.length, 2, 'one failure per thread');
    for (const f of failures) assert.match(f, /ENOTDIR/);
    const now = Math.floor(Date.now() / 1000);
    const ts = now - (now % 10);
    await store.write({ metric: 'still.written', timestamps: [ts], values: [7] });
    const got = fetch(join(root, 'still', 'written.wsp'), ts - 10, ts + 10, now);
    assert.ok(got !== null && Array.from(got.values).includes(7));
  } finally {
    await store.close();
  }
});

test('warmUpWrites: writes each scratch file every round, readable as whisper', () => {
  const dir = join(base, 'writes');
  const writes = warmUpWrites(dir, 3, 5, true);
  assert.equal(writes, 15);
  assert.deepEqual(tree(dir), ['warmup', 'warmup/m0.wsp', 'warmup/m1.wsp', 'warmup/m2.wsp']);
  const now = Math.floor(Date.now() / 1000);
  const got = fetch(join(dir, 'warmup', 'm2.wsp'), now - 3600, now, now);
  assert.ok(got !== null);
  const values = Array.from(got.values).filter((v) => !Number.isNaN(v));
  // 5 rounds x 4 points, each slot written once: m2's values are 2, 2.25, 2.5, 2.75 per round.
  assert.equal(values.length, 20);
  assert.deepEqual([...new Set(values)].sort(), [2, 2.25, 2.5, 2.75]);
});
