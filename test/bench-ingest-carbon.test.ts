// bench/ingest end to end against Debian's carbon-cache on a tiny load: the harness starts it, times
// acceptance and persistence, and the point counter agrees with python3-whisper's own fetch.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { carbonCache } from '../bench/ingest/carbon-cache.js';
import { buildLoad, type LoadShape, metricName, pointTimestamp, pointValue } from '../bench/ingest/load.js';
import { measureRun } from '../bench/ingest/measure.js';
import { countLoadPoints, whisperPath } from '../bench/ingest/whisper-check.js';
import { DEBIAN_PYTHON, ensureDebianPackages } from './support/debian.js';

test('carbon-cache: every point accepted, persisted and read back with the values sent', async (t) => {
  const skip = ensureDebianPackages(['graphite-carbon', 'python3-whisper']);
  if (skip) return t.skip(skip);
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const now = Math.floor(Date.now() / 1000);
  const shape: LoadShape = {
    metrics: 40,
    points: 5,
    step: 10,
    lastTimestamp: Math.floor(now / 10) * 10 - 10,
  };
  const load = buildLoad(shape, 2);
  const schemas = '[everything]\npattern = .*\nretentions = 10s:1h\n';
  const server = await carbonCache.start({ dir, schemas, deferWrites: false, readyTimeoutMs: 30_000 });
  const whisperRoot = server.whisperRoot;
  const r = await measureRun('carbon-cache', server, load, {
    persistTimeoutMs: 30_000,
    acceptPollMs: 2,
    persistPollMs: 50,
    stopGraceMs: 30_000,
  });

  assert.equal(r.points, 200);
  assert.equal(r.persistedPoints, 200);
  assert.equal(r.wrongValues, 0);
  assert.ok(r.persistedSeconds !== null && r.persistedSeconds >= r.acceptedSeconds, JSON.stringify(r));
  // The last write (the files' newest mtime) comes before the checker found it, and after the start.
  assert.ok(r.detectedSeconds !== null && r.detectedSeconds + 0.002 >= r.persistedSeconds, JSON.stringify(r));
  assert.equal(r.acceptedPointsPerSecond, 200 / r.acceptedSeconds);
  // A Python interpreter with twisted loaded is tens of MB; a figure under 10 MB is a misread /proc.
  assert.ok(r.peakRssBytes > 10 * 1024 * 1024, `peak RSS ${r.peakRssBytes}`);
  assert.ok(r.cpuSeconds > 0);
  assert.equal(r.killedOnStop, false);

  // The counter and whisper.py's fetch agree on one file, value by value.
  const metric = 13;
  const path = whisperPath(whisperRoot, metricName(metric));
  assert.deepEqual(countLoadPoints(readFileSync(path), shape, metric), { present: 5, wrong: 0 });
  const py = spawnSync(
    DEBIAN_PYTHON,
    [
      '-c',
      'import sys, json, whisper; (s, e, st), v = whisper.fetch(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])); print(json.dumps([s, st, v]))',
      path,
      // whisper.fetch starts at the interval after `from` (whisper.py __archive_fetch).
      String(pointTimestamp(shape, 0) - 1),
      String(shape.lastTimestamp),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(py.status, 0, py.stderr);
  const expected = Array.from({ length: 5 }, (_, j) => pointValue(metric, j));
  assert.deepEqual(JSON.parse(py.stdout), [pointTimestamp(shape, 0), 10, expected]);
});
