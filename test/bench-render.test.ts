import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { dashboardTargets } from '../bench/render/cases.js';
import { answerDifference, percentile } from '../bench/render/stats.js';
import { writeTree } from '../bench/render/tree.js';
import { WhisperStore } from '../src/storage/whisper/store.js';

test('bench/render percentile: nearest rank', () => {
  const xs = [5, 1, 4, 2, 3];
  assert.equal(percentile(xs, 50), 3);
  assert.equal(percentile(xs, 99), 5);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('bench/render answerDifference: names, lengths, values beyond 1e-9', () => {
  const a = '[{"target": "x", "datapoints": [[1.0, 10], [null, 20]]}]';
  assert.equal(answerDifference(a, a), null);
  assert.equal(
    answerDifference(a, '[{"target": "x", "datapoints": [[1.0000000000001, 10], [null, 20]]}]'),
    null,
  );
  assert.match(answerDifference(a, '[{"target": "x", "datapoints": [[1.5, 10], [null, 20]]}]')!, /point 0/);
  assert.match(answerDifference(a, '[{"target": "y", "datapoints": []}]')!, /series 0 is x; graphite-web y/);
  assert.match(answerDifference(a, '[]')!, /1 series; graphite-web 0/);
});

test('bench/render dashboard: 50 targets over 50 hosts', () => {
  const t = dashboardTargets(100);
  assert.equal(t.length, 50);
  assert.equal(t[0], 'bench.h000.*');
  assert.equal(t[49], 'alias(scale(bench.h049.m2, 8), "bench.h049 x8")');
});

test('bench/render tree: files whisper reads back with their values and gaps', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carbonado-bench-tree-'));
  try {
    const now = 1_700_000_005;
    const names = writeTree(dir, { hosts: 2, metricsPerHost: 3, step: 10, points: 100 }, now);
    assert.deepEqual(names, [
      'bench.h000.m0',
      'bench.h000.m1',
      'bench.h000.m2',
      'bench.h001.m0',
      'bench.h001.m1',
      'bench.h001.m2',
    ]);
    const store = new WhisperStore({
      root: dir,
      schemaFor: () => ({ archives: [], xFilesFactor: 0, aggregationMethod: 'average' }),
    });
    const r = await store.fetch('bench.h000.m1', now - 1000, now, now);
    assert.ok(r);
    assert.equal(r.step, 10);
    // The newest point is one step before now's slot; slot 0 (the oldest) is never a gap.
    const last = now - (now % 10) - 10;
    const values = Array.from(r.values);
    const at = (ts: number) => values[(ts - r.start) / 10];
    assert.equal(at(last), ((99 * 7919 + 104729) % 1000) / 8 - 25 + 1);
    assert.ok(Number.isNaN(at(last - 99 * 10 + 96 * 10)), 'point 96 of metric 1 is a gap');
    // Points 1..99 are in the window (point 0 is just before it), one of them a gap.
    assert.equal(values.filter((v) => !Number.isNaN(v)).length, 98);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
