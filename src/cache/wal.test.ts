import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setQuiet } from '../log.js';
import { MetricCache } from './cache.js';
import { segmentSizes, type WalOptions, WriteAheadLog } from './wal.js';

let root: string;
let n = 0;
before(() => {
  setQuiet(true);
  root = mkdtempSync(join(tmpdir(), 'carbonado-wal-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

function freshDir(): string {
  return join(root, `wal${n++}`);
}

/** A cache with its WAL, opened (replaying whatever `dir` holds). */
async function openPair(dir: string, opts: Partial<WalOptions> = {}) {
  const wal = new WriteAheadLog({ dir, flushInterval: 3_600_000, fsync: false, ...opts });
  const cache = new MetricCache({ log: wal });
  const report = await wal.open(cache);
  return { wal, cache, report };
}

function files(dir: string): string[] {
  return readdirSync(dir).sort();
}

describe('WriteAheadLog', () => {
  test('points appended and flushed are replayed into a new cache, in order', async () => {
    const dir = freshDir();
    const one = await openPair(dir);
    assert.equal(one.wal.segment, 1);
    one.cache.add('a.b', 10, 1);
    one.cache.add('a.b', 20, 2);
    one.cache.add('c', 10, 3);
    one.cache.add('a.b', 10, 4);
    await one.wal.flush();
    assert.deepEqual(files(dir), ['00000000000000000001.wal']);
    // No close: as after kill -9.
    const two = await openPair(dir);
    assert.deepEqual(two.report, {
      segments: 1,
      points: 4,
      corruptBlocks: 0,
      tornTails: 0,
      badSegments: 0,
      refusedLines: 0,
    });
    assert.deepEqual(two.cache.peek('a.b'), { timestamps: [10, 20, 10], values: [1, 2, 4] });
    assert.deepEqual(two.cache.peek('c'), { timestamps: [10], values: [3] });
    assert.equal(two.wal.segment, 2, 'new points go to a new segment');
    assert.equal(two.cache.oldestSegment(), 1, 'replayed points keep segment 1 alive');
    assert.deepEqual(files(dir), ['00000000000000000001.wal', '00000000000000000002.wal']);
    const s = two.wal.stats();
    assert.equal(s['wal.replayedPoints'], 4);
    assert.equal(s['wal.segments'], 2);
    await one.wal.close();
    await two.wal.close();
  });

  test('points not flushed before a crash are not in the log', async () => {
    const dir = freshDir();
    const one = await openPair(dir);
    one.cache.add('kept', 1, 1);
    await one.wal.flush();
    one.cache.add('lost', 1, 1);
    const two = await openPair(dir);
    assert.deepEqual([...two.cache.names()], ['kept']);
    await two.wal.close();
  });

  test('the timer flushes every flushInterval', async () => {
    const dir = freshDir();
    const { wal, cache } = await openPair(dir, { flushInterval: 20 });
    cache.add('m', 1, 1);
    // Wait for the flush by watching the counter, not the clock.
    while (wal.stats()['wal.flushes'] === 0) await new Promise((r) => setImmediate(r));
    assert.equal(wal.stats()['wal.writtenPoints'], 1);
    await wal.close();
  });

  test('segments rotate by size and are deleted once their points are persisted', async () => {
    const dir = freshDir();
    const { wal, cache } = await openPair(dir, { segmentBytes: 100 });
    // Each record is 2 + 4 + 16 = 22 bytes; 5 records and a block header go over 100 bytes.
    for (let i = 0; i < 5; i++) cache.add('m.aa', i, i);
    await wal.flush();
    assert.equal(wal.segment, 2);
    for (let i = 0; i < 5; i++) cache.add('m.bb', i, i);
    await wal.flush();
    assert.equal(wal.segment, 3);
    cache.add('m.cc', 1, 1);
    await wal.flush();
    assert.deepEqual([...(await segmentSizes(dir)).keys()].sort(), [1, 2, 3]);
    assert.equal(wal.stats()['wal.bytes'], 8 + 122 + (8 + 122) + (8 + 12 + 22));
    // m.bb (segment 2) persisted: segment 1 is still needed by m.aa.
    cache.release(cache.pop('m.bb')!);
    await wal.flush();
    assert.deepEqual([...(await segmentSizes(dir)).keys()].sort(), [1, 2, 3]);
    cache.release(cache.pop('m.aa')!);
    await wal.flush();
    assert.deepEqual([...(await segmentSizes(dir)).keys()].sort(), [3], 'all closed segments went');
    assert.equal(wal.stats()['wal.deletedSegments'], 2);
    assert.equal(wal.stats()['wal.segments'], 1);
    cache.release(cache.pop('m.cc')!);
    await wal.close();
    assert.deepEqual(files(dir), [], 'a clean close after persisting everything leaves nothing');
  });

  test('segments rotate by age, and an empty segment is not rotated', async () => {
    const dir = freshDir();
    const { wal, cache } = await openPair(dir, { segmentMaxAge: 0 });
    await wal.flush();
    assert.equal(wal.segment, 1);
    cache.add('m', 1, 1);
    await wal.flush();
    assert.equal(wal.segment, 2);
    await wal.close();
  });

  test('close with unpersisted points keeps their segments for the next start', async () => {
    const dir = freshDir();
    const one = await openPair(dir);
    one.cache.add('m', 1, 1);
    await one.wal.close();
    assert.deepEqual(files(dir), ['00000000000000000001.wal']);
    one.cache.add('after.close', 1, 1);
    assert.equal(one.wal.stats()['wal.skippedPoints'], 1);
    const two = await openPair(dir);
    assert.deepEqual(two.cache.peek('m'), { timestamps: [1], values: [1] });
    two.cache.release(two.cache.pop('m')!);
    await two.wal.close();
    assert.deepEqual(files(dir), []);
  });

  test('replay skips a flipped byte and a torn tail, counts them, and reads the rest', async () => {
    const dir = freshDir();
    const one = await openPair(dir);
    for (const name of ['b1', 'b2', 'b3']) {
      one.cache.add(name, 1, 1);
      one.cache.add(name, 2, 2);
      await one.wal.flush(); // one block per flush
    }
    const path = join(dir, '00000000000000000001.wal');
    const bytes = readFileSync(path);
    // Blocks are 12 + 2 * 20 = 52 bytes: b1 at 8, b2 at 60, b3 at 112. Flip a byte of b2's payload, and
    // add half a block after b3 (a write cut short by the crash).
    assert.equal(bytes.length, 8 + 3 * 52);
    bytes[60 + 12 + 5] ^= 0x01;
    writeFileSync(path, Buffer.concat([bytes, bytes.subarray(8, 8 + 30)]));
    const two = await openPair(dir);
    assert.deepEqual(two.report, {
      segments: 1,
      points: 4,
      corruptBlocks: 1,
      tornTails: 1,
      badSegments: 0,
      refusedLines: 0,
    });
    assert.deepEqual([...two.cache.names()].sort(), ['b1', 'b3']);
    assert.equal(two.wal.stats()['wal.corruptBlocks'], 1);
    assert.equal(two.wal.stats()['wal.tornTails'], 1);
    await one.wal.close();
    await two.wal.close();
  });

  test('a segment with a bad header is set aside as .corrupt and the rest replayed', async () => {
    const dir = freshDir();
    const one = await openPair(dir, { segmentBytes: 1 });
    one.cache.add('first', 1, 1);
    await one.wal.flush();
    one.cache.add('second', 1, 1);
    await one.wal.flush();
    writeFileSync(join(dir, '00000000000000000001.wal'), 'not a wal segment');
    writeFileSync(join(dir, 'README'), 'other files are left alone');
    const two = await openPair(dir);
    assert.equal(two.report.badSegments, 1);
    assert.deepEqual([...two.cache.names()], ['second']);
    assert.deepEqual(files(dir), [
      '00000000000000000001.wal.corrupt',
      '00000000000000000002.wal',
      '00000000000000000003.wal', // the first instance's open segment, empty
      '00000000000000000004.wal',
      'README',
    ]);
    await one.wal.close();
    await two.wal.close();
  });

  test('open is safe to call twice; appends before open are counted, not logged', async () => {
    const dir = freshDir();
    const wal = new WriteAheadLog({ dir, fsync: false });
    const cache = new MetricCache({ log: wal });
    cache.add('early', 1, 1);
    const [r1, r2] = await Promise.all([wal.open(cache), wal.open(cache)]);
    assert.equal(r1, r2);
    assert.equal(wal.stats()['wal.skippedPoints'], 1);
    assert.deepEqual(files(dir), ['00000000000000000001.wal']);
    await wal.close();
    await wal.close();
  });

  test('fsync on: flushes still complete (fdatasync per flush)', async () => {
    const dir = freshDir();
    const { wal, cache } = await openPair(dir, { fsync: true });
    for (let i = 0; i < 1000; i++) cache.add(`m${i % 10}`, i, i);
    await wal.flush();
    assert.equal(wal.stats()['wal.writtenPoints'], 1000);
    await wal.close();
  });
});
