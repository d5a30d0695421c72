// The pure parts of bench/ingest: /proc parsers, the load, the whisper point counter, the ready line,
// the ratios. The benchmark's figures are only as good as these.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseReadyLine } from '../bench/ingest/carbonado.js';
import {
  buildLoad,
  type LoadShape,
  metricName,
  pointTimestamp,
  pointValue,
  splitWarmup,
  warmupShape,
} from '../bench/ingest/load.js';
import { persistedFromModified, type RunResult } from '../bench/ingest/measure.js';
import {
  parseProcNetTcp,
  parseProcStatMinorFaults,
  parseProcStatTicks,
  parseProcStatus,
} from '../bench/ingest/proc.js';
import { median, ratios, targets } from '../bench/ingest/report.js';
import { run as runTool } from '../bench/ingest/scratch-fs.js';
import { killRunning, runningServer } from '../bench/ingest/system.js';
import {
  countLoadPoints,
  openFilesBudget,
  PersistChecker,
  whisperPath,
} from '../bench/ingest/whisper-check.js';
import { WhisperStore } from '../src/storage/whisper/store.js';

describe('proc parsers', () => {
  test('status: VmHWM and VmRSS in bytes', () => {
    const text = 'Name:\tpython3\nVmPeak:\t  500 kB\nVmHWM:\t   98700 kB\nVmRSS:\t   51200 kB\nThreads:\t3\n';
    assert.deepEqual(parseProcStatus(text), { peakRss: 98700 * 1024, rss: 51200 * 1024 });
  });
  test('status without VmHWM (a zombie) fails naming the field', () => {
    assert.throws(() => parseProcStatus('Name:\tx\nState:\tZ (zombie)\n'), /no 'VmHWM:' line/);
  });

  test('stat: utime + stime, counted after the last parenthesis of the command', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const fields = 'S 1 2 3 0 -1 4194304 123 4 5 6 250 75 0 0 20 0 3 0';
    assert.equal(parseProcStatTicks(`4242 (python3) ${fields}`), 325);
    assert.equal(parseProcStatTicks(`4242 (a) b (c)) ${fields}`), 325);
  });
  test("stat: minor faults are field 10 (minflt), not its children's (cminflt)", () => {
    const fields = 'S 1 2 3 0 -1 4194304 123 4 5 6 250 75 0 0 20 0 3 0';
    assert.equal(parseProcStatMinorFaults(`4242 (node main) ${fields}`), 123);
    assert.throws(
      () => parseProcStatMinorFaults('4242 (x) S 1 2 3 0 -1 4 -9 0'),
      /minflt at field 10 got '-9'/,
    );
    assert.throws(() => parseProcStatMinorFaults('4242 (x) S 1 2'), /minflt at field 10 got 'undefined'/);
  });
  for (const bad of ['4242 python3 S 1', '4242 (x) S 1 2 3', '4242 (x) S 1 2 3 0 -1 4 10 0 0 0 ab 7']) {
    test(`stat must fail: ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseProcStatTicks(bad), /\/proc stat/);
    });
  }

  test('net/tcp: ports and queues, hex', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:07D3 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
      '   1: 0100007F:07D3 0100007F:A8FD 01 00000000:0001F400 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1',
      '   2: 0100007F:A8FD 0100007F:07D3 01 00000A00:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1',
      '',
    ].join('\n');
    assert.deepEqual(parseProcNetTcp(text), [
      { localPort: 2003, remotePort: 0, txQueue: 0, rxQueue: 0 },
      { localPort: 2003, remotePort: 43261, txQueue: 0, rxQueue: 128000 },
      { localPort: 43261, remotePort: 2003, txQueue: 2560, rxQueue: 0 },
    ]);
  });
  test('net/tcp must fail on a line without tx:rx, naming the line', () => {
    assert.throws(
      () => parseProcNetTcp('header\n 0: 0100007F:07D3 00000000:0000 0A 00000000\n'),
      /line 2: got/,
    );
  });
});

describe('load', () => {
  const shape: LoadShape = { metrics: 3, points: 2, step: 10, lastTimestamp: 1000 };
  test('time-major plaintext, split by metric over connections', () => {
    const load = buildLoad(shape, 2);
    assert.equal(
      load.buffers[0].toString(),
      'bench.m0.value 0 990\nbench.m2.value 2 990\nbench.m0.value 0.25 1000\nbench.m2.value 2.25 1000\n',
    );
    assert.equal(load.buffers[1].toString(), 'bench.m1.value 1 990\nbench.m1.value 1.25 1000\n');
    assert.equal(load.totalPoints, 6);
    assert.equal(load.totalBytes, load.buffers[0].length + load.buffers[1].length);
    assert.equal(pointTimestamp(shape, 0), 990);
  });
  test('one connection carries every line', () => {
    assert.equal(buildLoad(shape, 1).buffers[0].toString().split('\n').length - 1, 6);
  });
  const bad: [string, LoadShape, number, RegExp][] = [
    ['no connection', shape, 0, /connections got 0; want an integer in 1\.\.3/],
    ['more connections than metrics', shape, 4, /connections got 4/],
    [
      'last timestamp off the step',
      { ...shape, lastTimestamp: 1005 },
      1,
      /lastTimestamp got 1005; want a multiple of step 10/,
    ],
  ];
  for (const [name, s, c, re] of bad)
    test(`must fail: ${name}`, () => assert.throws(() => buildLoad(s, c), re));
});

describe('scratch file system', () => {
  test('must fail: a missing tool is named as not installed', () => {
    assert.throws(
      () => runTool('carbonado-no-such-mkfs', ['-q', 'x.img']),
      /--data-fs ext4: carbonado-no-such-mkfs -q x\.img failed: not installed \(needs root/,
    );
  });
  test('must fail: a tool that fails is named with its own error', () => {
    assert.throws(() => runTool('sh', ['-c', 'echo no room >&2; exit 1']), /sh -c .* failed: no room/);
  });
});

describe('warm-up load', () => {
  const shape: LoadShape = { metrics: 3000, points: 60, step: 10, lastTimestamp: 100_000 };
  test("with existing files: the load's own metrics, ending 10 steps before its first point", () => {
    const w = warmupShape(shape, 20_000, true);
    assert.deepEqual(w, { metrics: 3000, points: 7, step: 10, lastTimestamp: 99_300, prefix: undefined });
    assert.equal(metricName(5, w!), 'bench.m5.value');
    assert.equal(pointTimestamp(w!, 6), 99_300);
  });
  test('with existing files and no warm-up: one point per metric, which creates the files', () => {
    assert.equal(warmupShape(shape, 0, true)?.points, 1);
  });
  test('new files: more metrics of their own when 1,000 cannot hold the points', () => {
    const v = warmupShape({ ...shape, metrics: 5000 }, 600_000, false)!;
    assert.deepEqual([v.metrics, v.points], [3530, 170]);
    assert.equal(
      warmupShape({ ...shape, metrics: 500 }, 50_000, false)?.metrics,
      500,
      'no more than the load has',
    );
  });
  test("new files: 1,000 metrics of their own, so the load's files are still new", () => {
    const w = warmupShape(shape, 150_000, false)!;
    assert.equal(w.metrics, 1000);
    assert.equal(w.points, 150);
    assert.equal(
      buildLoad(w, 1).buffers[0].toString().split('\n')[0],
      `warm.m0.value 0 ${99_300 - 149 * 10}`,
    );
  });
  test('none asked, none needed: no warm-up', () => {
    assert.equal(warmupShape(shape, 0, false), null);
  });
  test('sent in two intervals: the older half first, then the rest, every point once', () => {
    const w = warmupShape(shape, 21_000, true)!;
    const [first, second] = splitWarmup(w);
    assert.deepEqual([first.points, second.points], [3, 4]);
    assert.equal(second.lastTimestamp, w.lastTimestamp);
    const all = [0, 1, 2, 3, 4, 5, 6].map((j) => pointTimestamp(w, j));
    const parts = [
      ...[0, 1, 2].map((j) => pointTimestamp(first, j)),
      ...[0, 1, 2, 3].map((j) => pointTimestamp(second, j)),
    ];
    assert.deepEqual(parts, all);
    assert.deepEqual([first.metrics, first.prefix, second.metrics], [3000, undefined, 3000]);
  });
  test('a warm-up of one point per metric is sent whole', () => {
    const one = warmupShape(shape, 0, true)!;
    assert.deepEqual(splitWarmup(one), [one]);
  });
  test("must fail: more points per metric than half the retention's hour of slack holds", () => {
    assert.throws(() => warmupShape(shape, 3000 * 171, true), /needs 171 points per metric; at most 170 fit/);
    assert.throws(
      () => warmupShape({ ...shape, metrics: 1000 }, 351_000, false),
      /needs 351 points per metric/,
    );
  });
});

/** A one-archive whisper file (whisper.py's layout) with `slots` slots and the given points written. */
function whisperBytes(step: number, slots: number, points: [number, number][]): Buffer {
  const b = Buffer.alloc(16 + 12 + slots * 12);
  b.writeUInt32BE(1, 0); // average
  b.writeUInt32BE(step * slots, 4);
  b.writeFloatBE(0.5, 8);
  b.writeUInt32BE(1, 12);
  b.writeUInt32BE(28, 16);
  b.writeUInt32BE(step, 20);
  b.writeUInt32BE(slots, 24);
  // As whisper writes: the first point goes to slot 0 (the archive's base), each later one to its
  // distance from the base in steps, modulo the slots; a later point overwrites an earlier one.
  const base = points[0]?.[0] ?? 0;
  for (const [ts, v] of points) {
    const slot = ((((ts - base) / step) % slots) + slots) % slots;
    b.writeUInt32BE(ts, 28 + slot * 12);
    b.writeDoubleBE(v, 28 + slot * 12 + 4);
  }
  return b;
}

describe('whisper point counter', () => {
  const shape: LoadShape = { metrics: 10, points: 3, step: 10, lastTimestamp: 1000 };
  test('counts the load points of a metric and the wrong values among them', () => {
    // metric 7: values 7, 7.25, 7.5 at 980, 990, 1000; one wrong, one stray point outside the load.
    const bytes = whisperBytes(10, 20, [
      [980, 7],
      [990, 99],
      [1000, 7.5],
      [970, 1],
    ]);
    assert.deepEqual(countLoadPoints(bytes, shape, 7), { present: 3, wrong: 1 });
  });
  test('a preallocated, never written file holds no points', () => {
    assert.deepEqual(countLoadPoints(whisperBytes(10, 20, []), shape, 0), { present: 0, wrong: 0 });
  });
  test('a point overwritten by a later interval in the same slot no longer counts', () => {
    // 20 slots of 10 s: 1190 lands in 990's slot.
    assert.deepEqual(countLoadPoints(whisperBytes(10, 20, [[990, 0.25]]), shape, 0).present, 1);
    assert.deepEqual(
      countLoadPoints(
        whisperBytes(10, 20, [
          [990, 0.25],
          [1190, 0.25],
        ]),
        shape,
        0,
      ).present,
      0,
    );
  });
  test('points before the base slot (a wrapped archive) are found at the end of the archive', () => {
    const bytes = whisperBytes(10, 20, [
      [1000, 0.5],
      [980, 0],
      [990, 0.25],
    ]);
    assert.deepEqual(countLoadPoints(bytes, shape, 0), { present: 3, wrong: 0 });
  });
  test("an interval in a slot other than its own (not whisper's layout) is not counted", () => {
    const bytes = whisperBytes(10, 20, [[980, 0]]);
    bytes.writeUInt32BE(990, 28 + 5 * 12); // 990 belongs in slot 1
    assert.deepEqual(countLoadPoints(bytes, shape, 0), { present: 1, wrong: 0 });
  });
  test('must fail: a file shorter than one archive header', () => {
    assert.throws(() => countLoadPoints(Buffer.alloc(20), shape, 0), /file of 20 bytes; want at least 28/);
  });
  test('must fail: an archive running past the end of the file', () => {
    assert.throws(
      () => countLoadPoints(whisperBytes(10, 20, []).subarray(0, 100), shape, 0),
      /runs past the file's 100 bytes/,
    );
  });
  test('must fail: an archive whose precision is not the load step', () => {
    assert.throws(
      () => countLoadPoints(whisperBytes(60, 20, []), shape, 0),
      /secondsPerPoint got 60; want the load's step 10/,
    );
  });
  test('open files budget: the soft limit less 1024; 8192 when the limits cannot be read', () => {
    const limits = (v: string) =>
      `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${v}                20000                files\n`;
    assert.equal(openFilesBudget(limits('20000')), 18976);
    assert.equal(openFilesBudget(limits('1024')), 64);
    assert.equal(openFilesBudget(limits('unlimited')), (1 << 20) - 1024);
    assert.equal(openFilesBudget(''), 8192);
  });
  test('path: dots become directories', () => {
    assert.equal(whisperPath('/d', 'bench.m1.value'), '/d/bench/m1/value.wsp');
  });
});

describe('ready line', () => {
  test('ports from the ready line; other lines are not it', () => {
    assert.deepEqual(parseReadyLine('carbonado ready {"line":40001,"udp":40002,"pickle":0,"http":40004}'), {
      line: 40001,
      udp: 40002,
      pickle: 0,
      http: 40004,
    });
    assert.equal(parseReadyLine('2026-01-01T00:00:00Z INFO [serve] loading schemas'), null);
  });
  const bad: [string, RegExp][] = [
    ['carbonado ready {"line":1', /column 17: got "\{\\"line\\":1"; want a JSON object/],
    ['carbonado ready {"line":1,"udp":2,"pickle":3}', /'http' got undefined; want a port/],
    ['carbonado ready {"line":70000,"udp":2,"pickle":3,"http":4}', /'line' got 70000/],
  ];
  for (const [line, re] of bad)
    test(`must fail: ${line}`, () => assert.throws(() => parseReadyLine(line), re));
});

describe('ratios and targets', () => {
  const run = (
    system: string,
    connections: number,
    accepted: number,
    persisted: number | null,
  ): RunResult => ({
    system,
    connections,
    points: 600_000,
    bytes: 1,
    acceptedSeconds: 600_000 / accepted,
    acceptedPointsPerSecond: accepted,
    persistedSeconds: persisted === null ? null : 600_000 / persisted,
    detectedSeconds: persisted === null ? null : 600_000 / persisted + 0.05,
    persistedPointsPerSecond: persisted,
    persistedPoints: 600_000,
    wrongValues: 0,
    peakRssBytes: 200e6,
    cpuSeconds: 2,
    minorFaults: 1000,
    exitMs: 10,
    killedOnStop: false,
  });
  test('Carbonado over carbon-cache per connection count', () => {
    const runs = [
      run('carbon-cache', 1, 60_000, 30_000),
      run('carbonado', 1, 1_200_000, 450_000),
      run('carbon-cache', 4, 40_000, 30_000),
      run('carbonado', 4, 900_000, null),
    ];
    const r = ratios(runs);
    assert.deepEqual(r, [
      { connections: 1, accepted: 20, persisted: 15, peakRss: 1, cpu: 1 },
      { connections: 4, accepted: 22.5, persisted: null, peakRss: 1, cpu: 1 },
    ]);
    assert.deepEqual(targets(runs, r), {
      acceptedOneConnectionAtLeast1M: true,
      persistedAtLeast10xCarbonCache: true,
    });
  });
  test('targets missed are false, not absent', () => {
    const runs = [run('carbon-cache', 1, 60_000, 30_000), run('carbonado', 1, 999_999, 290_000)];
    assert.deepEqual(targets(runs, ratios(runs)), {
      acceptedOneConnectionAtLeast1M: false,
      persistedAtLeast10xCarbonCache: false,
    });
  });
  test('repeats: ratios of the medians, a timeout ranking below every rate', () => {
    const runs = [
      run('carbon-cache', 1, 50_000, 20_000),
      run('carbon-cache', 1, 70_000, 40_000),
      run('carbon-cache', 1, 60_000, 30_000),
      run('carbonado', 1, 900_000, null),
      run('carbonado', 1, 1_500_000, 600_000),
      run('carbonado', 1, 1_200_000, 450_000),
    ];
    assert.equal(
      median(runs, 'carbonado', 1, (r) => r.acceptedPointsPerSecond),
      1_200_000,
    );
    assert.equal(
      median(runs, 'carbonado', 1, (r) => r.persistedPointsPerSecond),
      450_000,
    );
    assert.equal(
      median(runs, 'carbonado', 4, (r) => r.acceptedPointsPerSecond),
      undefined,
    );
    assert.deepEqual(ratios(runs), [{ connections: 1, accepted: 20, persisted: 15, peakRss: 1, cpu: 1 }]);
    const allTimedOut = [...runs.slice(0, 3), run('carbonado', 1, 1e6, null), run('carbonado', 1, 1e6, null)];
    assert.equal(
      median(allTimedOut, 'carbonado', 1, (r) => r.persistedPointsPerSecond),
      null,
    );
  });
});

/**
 * Runs `fn` over a temp whisper root holding one 10 s archive per metric, with `write(i, js)` writing
 * metric i's load points js as Carbonado's store does; the root is removed afterwards.
 */
function withLoadFiles(
  shape: LoadShape,
  fn: (root: string, write: (i: number, js: number[]) => void, store: WhisperStore) => void,
): void {
  const root = mkdtempSync(join(tmpdir(), 'carbonado-bench-check-'));
  try {
    const store = new WhisperStore({
      root,
      schemaFor: () => ({
        archives: [{ secondsPerPoint: 10, points: 60 }],
        xFilesFactor: 0,
        aggregationMethod: 'average',
      }),
    });
    const write = (i: number, js: number[]) =>
      store.writeSync(
        metricName(i),
        js.map((j) => pointTimestamp(shape, j)),
        js.map((j) => pointValue(i, j)),
      );
    fn(root, write, store);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A load shape of `metrics` x `points` whose last point is one step before the current one. */
function recentShape(metrics: number, points: number): LoadShape {
  const now = Math.floor(Date.now() / 1000);
  return { metrics, points, step: 10, lastTimestamp: now - (now % 10) - 10 };
}

describe('persisted time from the files', () => {
  const t0 = 1_800_000_000_000;
  test('the last write after the first byte, in seconds; never before the acceptance', () => {
    assert.equal(persistedFromModified(t0 + 612.5, t0, 0.4, 0.7), 0.6125);
    assert.equal(
      persistedFromModified(t0 + 395, t0, 0.4, 0.7),
      0.4,
      'written before the last poll saw it taken',
    );
    assert.equal(persistedFromModified(t0 + 701, t0, 0.4, 0.7), 0.701, "within the wall clock's millisecond");
  });
  test('must fail: a last write after the checker found every point (something else writes)', () => {
    assert.throws(
      () => persistedFromModified(t0 + 750, t0, 0.4, 0.7),
      /0\.750 s after the first byte, after the checker found every point \(0\.700 s\)/,
    );
  });
  test('must fail: every file last written before the run', () => {
    assert.throws(() => persistedFromModified(t0 - 5000, t0, 0.4, 0.7), /5\.000 s before the first byte/);
  });

  test('lastModifiedMs: the newest mtime among the load files, to the microsecond', () => {
    const shape = recentShape(3, 1);
    withLoadFiles(shape, (root, write) => {
      for (let i = 0; i < 3; i++) write(i, [0]);
      const paths = [0, 1, 2].map((i) => whisperPath(root, metricName(i, shape)));
      utimesSync(paths[0], 1_000, 1_700_000_000.25);
      utimesSync(paths[1], 1_000, 1_700_000_003.5);
      utimesSync(paths[2], 1_000, 1_700_000_001);
      const checker = new PersistChecker(root, shape);
      assert.equal(checker.lastModifiedMs(), 1_700_000_003_500);
      checker.close();
    });
  });
});

describe('PersistChecker', () => {
  test('polls pending files, keeps reading a file it holds open, and is done when every point is there', () => {
    const shape = recentShape(3, 4);
    withLoadFiles(shape, (root, write, store) => {
      const checker = new PersistChecker(root, shape);
      assert.equal(checker.poll(), false, 'no files yet');
      write(0, [0, 1, 2, 3]);
      write(1, [0, 1]);
      checker.openExisting();
      assert.equal(checker.poll(), false);
      assert.deepEqual(checker.progress(), { present: 6, wrong: 0, completeMetrics: 1 });
      // Metric 1's file is open from the last poll: later writes to it are seen through that descriptor.
      write(1, [2, 3]);
      write(2, [0, 1, 2]);
      store.writeSync(metricName(2), [pointTimestamp(shape, 3)], [99]);
      assert.equal(checker.poll(), true, 'every point present (one with the wrong value)');
      assert.deepEqual(checker.progress(), { present: 12, wrong: 1, completeMetrics: 3 });
      checker.close();
      checker.close();
    });
  });

  test('a poll stops at the first file still missing points; a full poll reads every pending file', () => {
    const shape = recentShape(3, 2);
    withLoadFiles(shape, (root, write) => {
      write(0, [0]);
      write(1, [0, 1]);
      write(2, [0, 1]);
      const checker = new PersistChecker(root, shape);
      assert.equal(checker.poll(), false);
      assert.deepEqual(
        checker.progress(),
        { present: 1, wrong: 0, completeMetrics: 0 },
        'stopped at metric 0',
      );
      assert.equal(checker.poll(true), false);
      assert.deepEqual(checker.progress(), { present: 5, wrong: 0, completeMetrics: 2 }, 'read all three');
      write(0, [1]);
      assert.equal(checker.poll(), true, 'metric 0 complete, the others were already');
      assert.deepEqual(checker.progress(), { present: 6, wrong: 0, completeMetrics: 3 });
      checker.close();
    });
  });
});

describe('servers left running', () => {
  test('killRunning kills every server still running and waits for its exit; exited ones are let go', async () => {
    const start = (seconds: number) => {
      const child = spawn('sleep', [String(seconds)], { stdio: 'ignore' });
      return { child, server: runningServer(child, 0, '', () => '') };
    };
    const quick = start(0);
    await once(quick.child, 'exit');
    const slow = [start(60), start(60)];
    await killRunning();
    for (const { child } of slow) {
      assert.equal(child.signalCode, 'SIGKILL', `pid ${child.pid} killed`);
    }
    assert.equal(quick.child.exitCode, 0, 'the exited one was not signalled');
    await killRunning(); // nothing left: resolves at once
  });
});
