import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startJsonPair } from '../../test/support/json-pair.js';
import { setQuiet } from '../log.js';
import { reusedBuffers } from '../query/arena.js';
import { WhisperStore } from '../storage/whisper/store.js';
import type { HttpService } from './server.js';

// /render json answers put the fetched values in memory that later answers reuse (query/arena.ts).
// Whatever order and overlap requests come in, every answer must be the one a fresh server gives.
const T = 1_700_000_000;
const dir = mkdtempSync(join(tmpdir(), 'carbonado-http-arena-'));
const store = new WhisperStore({
  root: dir,
  schemaFor: () => ({
    archives: [{ secondsPerPoint: 10, points: 1000 }],
    xFilesFactor: 0,
    aggregationMethod: 'average',
  }),
  clock: () => T,
});
const metrics = ['a.x', 'b.x', 'c.x'];
let streaming: HttpService;
let whole: HttpService;
let stop: () => Promise<void>;

before(async () => {
  setQuiet(true);
  metrics.forEach((metric, k) => {
    // 300 points, each series its own values (k * 1000 + i / 8) and its own gaps.
    const timestamps = Array.from({ length: 300 }, (_, i) => T - 3000 + 10 * i);
    const values = timestamps.map((_, i) => (i % (7 + k) === 0 ? Number.NaN : k * 1000 + i / 8));
    store.writeSync(
      metric,
      timestamps.filter((_, i) => !Number.isNaN(values[i])),
      values.filter((v) => !Number.isNaN(v)),
    );
  });
  ({ streaming, whole, stop } = await startJsonPair({ store, clock: () => T }));
});
after(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The datapoints of metric k as written: 419 empty slots, 300 points (some gaps), the slot at T. */
function written(k: number): [number | null, number][] {
  return Array.from({ length: 720 }, (_, slot) => {
    const i = slot - 419;
    const value = i < 0 || i >= 300 || i % (7 + k) === 0 ? null : k * 1000 + i / 8;
    return [value, T - 7190 + 10 * slot];
  });
}

/** Checks an answer to `*.x` and to `sumSeries(*.x)` against the points written. */
function checkAgainstWritten(target: string, answer: string): void {
  const parsed = JSON.parse(answer) as { target: string; datapoints: [number | null, number][] }[];
  if (target === '*.x') {
    assert.deepEqual(
      parsed.map((s) => s.target),
      metrics,
    );
    metrics.forEach((_, k) => {
      assert.deepEqual(parsed[k].datapoints, written(k), metrics[k]);
    });
  } else if (target === 'sumSeries(*.x)') {
    const each = metrics.map((_, k) => written(k));
    const sums = each[0].map(([, t], slot) => {
      const present = each.map((w) => w[slot][0]).filter((v) => v !== null);
      return [present.length === 0 ? null : present.reduce((a, b) => a + b, 0), t];
    });
    assert.deepEqual(parsed[0].datapoints, sums);
  }
}

async function get(server: HttpService, target: string): Promise<string> {
  const q = `target=${encodeURIComponent(target)}&from=${T - 7200}&until=${T}&format=json`;
  const res = await fetch(`http://127.0.0.1:${server.address().port}/render?${q}`);
  assert.equal(res.status, 200);
  return res.text();
}

test('json answers stay right while the memory of earlier answers is reused', async () => {
  const targets = ['a.x', 'b.x', 'c.x', 'sumSeries(*.x)', 'movingAverage(b.x, 5)', '*.x'];
  for (const server of [whole, streaming]) {
    // The first answers, one at a time.
    const first = new Map<string, string>();
    for (const t of targets) first.set(t, await get(server, t));
    const a = JSON.parse(first.get('a.x') as string);
    // 720 slots (5,760 bytes, enough to be pooled). The first is the one after from (T - 7190): 419
    // empty slots, then the points written, the first of them (i = 0) a gap.
    assert.deepEqual(a[0].datapoints.slice(419, 422), [
      [null, T - 3000],
      [0.125, T - 2990],
      [0.25, T - 2980],
    ]);
    const c = JSON.parse(first.get('c.x') as string);
    assert.deepEqual(c[0].datapoints[420], [2000.125, T - 2990]);
    // Then each target again, many at once and in another order: reused memory under every answer.
    const reusedBefore = reusedBuffers();
    for (let round = 0; round < 3; round++) {
      const again = [...targets].reverse();
      const answers = await Promise.all(again.map((t) => get(server, t)));
      again.forEach((t, i) => {
        assert.equal(answers[i], first.get(t), `${t}, round ${round}`);
        checkAgainstWritten(t, answers[i]);
      });
    }
    // 3 rounds of 12 series fetched (a, b, c, three for the sum, b twice for movingAverage, three
    // for *.x), all in memory given back by earlier answers but the first few of a round in flight.
    assert.ok(reusedBuffers() - reusedBefore >= 24, `${reusedBuffers() - reusedBefore} reused`);
  }
  assert.equal(await get(whole, 'sumSeries(*.x)'), await get(streaming, 'sumSeries(*.x)'));
});
