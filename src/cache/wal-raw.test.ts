import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PointBatch } from '../ingest/batch.js';
import { DEFAULT_POINT_LIMITS } from '../ingest/datapoint.js';
import { setQuiet } from '../log.js';
import { MetricCache } from './cache.js';
import type { WalTarget } from './wal.js';
import { WriteAheadLog } from './wal.js';
import {
  BlockBuilder,
  MAX_BLOCK_PAYLOAD,
  MAX_RAW_BYTES,
  type ReadOptions,
  readSegment,
  SEGMENT_HEADER,
  SEGMENT_HEADER_V1,
  sealBlock,
} from './wal-format.js';

type P = { name: string; timestamp: number; value: number };

let root: string;
before(() => {
  setQuiet(true);
  root = mkdtempSync(join(tmpdir(), 'carbonado-wal-raw-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

function read(bytes: Buffer, options?: ReadOptions) {
  const points: P[] = [];
  const report = readSegment(
    bytes,
    (name, timestamp, value) => points.push({ name, timestamp, value }),
    options,
  );
  return { points, report };
}

function rawBlock(now: number, lines: string): Buffer {
  const b = new BlockBuilder();
  assert.equal(b.appendLines(now, [Buffer.from(lines)], 0), true);
  const blocks = b.take();
  assert.equal(blocks.length, 1);
  return Buffer.from(blocks[0]);
}

/** A block of `payload` bytes, sealed (magic, length, CRC) whatever the payload holds. */
function blockOf(payload: Buffer): Buffer {
  const block = Buffer.concat([Buffer.alloc(12), payload]);
  sealBlock(block);
  return block;
}

/** A raw record's header for `length` bytes of lines, with any `kind`. */
function rawHeader(kind: number, now: number, length: number): Buffer {
  const h = Buffer.alloc(15);
  h[2] = kind;
  h.writeDoubleLE(now, 3);
  h.writeUInt32LE(length, 11);
  return h;
}

class Recorder implements WalTarget {
  points: P[] = [];
  restore(name: string, timestamp: number, value: number): void {
    this.points.push({ name, timestamp, value });
  }
  oldestSegment(): number {
    return 0; // keep every segment: the test reads them again
  }
}

describe('WAL raw records (docs/wal.md, "Raw record")', () => {
  test('one raw record encodes to the bytes docs/wal.md shows', () => {
    const bytes = Buffer.concat([SEGMENT_HEADER, rawBlock(1700000000, 'a.b 1.5 -1\n')]);
    assert.equal(
      bytes.toString('hex'),
      [
        '4342445741 4c3032', // "CBDWAL02"
        'fe57414c 1a000000 cd431fee', // magic, length 26, crc32 0xee1f43cd
        '0000 01', // name length 0: a special record; kind 1, plaintext lines
        '00000040fc54d941', // now = 1700000000 as float64 LE
        '0b000000', // 11 bytes of lines
        '612e62 20 312e35 20 2d31 0a', // "a.b 1.5 -1\n"
      ]
        .join('')
        .replace(/ /g, ''),
    );
    assert.deepEqual(read(bytes).points, [{ name: 'a.b', timestamp: 1700000000, value: 1.5 }]);
  });

  test('lines come back as the receiver parsed them: CRLF, tags, -1, blank lines, a last line without \\n', () => {
    const b = new BlockBuilder();
    const spans = [
      Buffer.from('a.b 1 1700000000\r\n'),
      // A view inside a bigger buffer, as a receiver's span of a socket chunk is.
      Buffer.from('xx  a.b;y=2;x=1  2.5 -1\n\n\nc.d 3 -1.5\nyy').subarray(2, 37),
      Buffer.from('last 4 1700000009'),
    ];
    assert.equal(spans[1].toString(), '  a.b;y=2;x=1  2.5 -1\n\n\nc.d 3 -1.5\n');
    assert.equal(b.appendLines(1700000123, spans, 4), true);
    assert.equal(b.points, 4);
    const { points, report } = read(Buffer.concat([SEGMENT_HEADER, ...b.take()]));
    assert.deepEqual(points, [
      { name: 'a.b', timestamp: 1700000000, value: 1 },
      { name: 'a.b;x=1;y=2', timestamp: 1700000123, value: 2.5 },
      { name: 'c.d', timestamp: 1700000123, value: 3 },
      { name: 'last', timestamp: 1700000009, value: 4 },
    ]);
    assert.deepEqual([report.points, report.blocks, report.refusedLines, report.version], [4, 1, 0, 2]);
  });

  test('a block mixing point records and raw records keeps their order', () => {
    const b = new BlockBuilder();
    b.append('p.one', 10, 1);
    b.appendLines(99, [Buffer.from('r.one 2 20\nr.two 3 -1\n')], 2);
    b.append('p.two', 30, 4);
    b.appendLines(98, [Buffer.from('r.three 5 -1\n')], 1);
    const blocks = b.take();
    assert.equal(blocks.length, 1);
    assert.deepEqual(read(Buffer.concat([SEGMENT_HEADER, ...blocks])).points, [
      { name: 'p.one', timestamp: 10, value: 1 },
      { name: 'r.one', timestamp: 20, value: 2 },
      { name: 'r.two', timestamp: 99, value: 3 },
      { name: 'p.two', timestamp: 30, value: 4 },
      { name: 'r.three', timestamp: 98, value: 5 },
    ]);
  });

  test('lines over one record are cut at a \\n into blocks of at most 4 MiB; one line over it is refused', () => {
    const line = `${'x'.repeat(90)}.n 7 1700000000\n`; // 108 bytes
    const count = Math.ceil((MAX_RAW_BYTES * 1.5) / line.length);
    const big = Buffer.from(line.repeat(count));
    const b = new BlockBuilder();
    assert.equal(b.appendLines(1, [Buffer.from('first 1 5\n'), big], count + 1), true);
    const blocks = b.take();
    assert.equal(blocks.length, 2);
    for (const block of blocks) assert.ok(block.length - 12 <= MAX_BLOCK_PAYLOAD);
    const { points, report } = read(Buffer.concat([SEGMENT_HEADER, ...blocks]));
    assert.equal(report.corruptBlocks, 0);
    assert.equal(points.length, count + 1);
    assert.deepEqual(points[0], { name: 'first', timestamp: 5, value: 1 });
    assert.deepEqual(points[count], { name: `${'x'.repeat(90)}.n`, timestamp: 1700000000, value: 7 });

    const b2 = new BlockBuilder();
    assert.equal(b2.appendLines(1, [Buffer.alloc(MAX_RAW_BYTES + 1, 0x61)], 1), false);
    assert.equal(b2.points, 0);
    assert.equal(b2.take().length, 0, 'nothing appended');
  });

  test('a CBDWAL01 segment built by hand (point records only, an empty name allowed) still replays', async () => {
    const records = [
      ['a.b', 1700000000, 1.5],
      ['', 1700000001, 2],
      ['c', 1700000002, -3],
    ] as const;
    const payload = Buffer.concat(
      records.map(([name, ts, value]) => {
        const r = Buffer.alloc(18 + name.length);
        r.writeUInt16LE(name.length, 0);
        r.write(name, 2, 'latin1');
        r.writeDoubleLE(ts, 2 + name.length);
        r.writeDoubleLE(value, 10 + name.length);
        return r;
      }),
    );
    const bytes = Buffer.concat([SEGMENT_HEADER_V1, blockOf(payload)]);
    const want = records.map(([name, timestamp, value]) => ({ name, timestamp, value }));
    const r = read(bytes);
    assert.deepEqual(r.points, want);
    assert.equal(r.report.version, 1);

    const dir = join(root, 'v1');
    const wal = new WriteAheadLog({ dir, fsync: false });
    await wal.open(new Recorder()); // creates the directory and segment 1
    await wal.close();
    writeFileSync(join(dir, '00000000000000000001.wal'), bytes);
    const target = new Recorder();
    const again = new WriteAheadLog({ dir, fsync: false });
    const report = await again.open(target);
    assert.equal(report.points, 3);
    assert.equal(report.corruptBlocks, 0);
    assert.deepEqual(target.points, want);
    assert.equal(again.segment, 2);
    await again.close();
  });

  describe('damage', () => {
    const good1 = rawBlock(5, 'one 1 10\n');
    const good2 = rawBlock(5, 'two 2 20\n');
    const cases: [string, Buffer, RegExp][] = [
      [
        'a length past the block end',
        blockOf(Buffer.concat([rawHeader(1, 5, 11), Buffer.from('bad 3 30\n')])),
        /raw record at byte 56: length 11 runs past the block end \(9 bytes left\)/,
      ],
      [
        'an unknown kind',
        blockOf(Buffer.concat([rawHeader(2, 5, 9), Buffer.from('bad 3 30\n')])),
        /raw record at byte 56: got kind 2; want 1 \(plaintext lines\)/,
      ],
      [
        'a header cut short',
        blockOf(rawHeader(1, 5, 0).subarray(0, 14)),
        /raw record at byte 56 cut short in its header/,
      ],
    ];
    for (const [what, bad, problem] of cases) {
      test(`a raw record with ${what} makes its block corrupt; the next block replays`, () => {
        const { points, report } = read(Buffer.concat([SEGMENT_HEADER, good1, bad, good2]));
        assert.deepEqual(
          points.map((p) => p.name),
          ['one', 'two'],
        );
        assert.equal(report.corruptBlocks, 1);
        assert.equal(report.tornTail, false);
        assert.match(report.problems[0], problem);
        assert.ok(report.problems[0].startsWith(`block at byte ${8 + good1.length} `), report.problems[0]);
      });
    }

    test('in a CBDWAL01 segment a name length of 0 is a point record, not a raw record', () => {
      const { points, report } = read(Buffer.concat([SEGMENT_HEADER_V1, good1]));
      // Read as version 1 the raw record is one 18-byte empty-named record and 17 stray bytes.
      assert.equal(report.corruptBlocks, 1);
      assert.equal(points.length, 0);
    });
  });

  test('lines the limits refuse at replay are counted and reported, never thrown; the rest replays', () => {
    const bytes = Buffer.concat([SEGMENT_HEADER, rawBlock(1700000000, 'ok 1 1000\nlate 2 2000\nok 3 -1\n')]);
    const errors: string[] = [];
    const { points, report } = read(bytes, {
      limits: { ...DEFAULT_POINT_LIMITS, maxTimestamp: 1500 },
      refused: (e) => errors.push(`${e.reason}: ${e.error}`),
    });
    // -1 is "now" whatever maxTimestamp says, at the receiver (toTimestamp) as at replay.
    assert.deepEqual(points, [
      { name: 'ok', timestamp: 1000, value: 1 },
      { name: 'ok', timestamp: 1700000000, value: 3 },
    ]);
    assert.equal(report.refusedLines, 1);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /^badTimestamp: got timestamp "2000"; want epoch seconds <= 1500/);
  });

  describe('WriteAheadLog.appendBatch', () => {
    test('a batch with raw lines is logged as its lines and replays to its points', async () => {
      const dir = join(root, 'batch');
      const wal = new WriteAheadLog({ dir, fsync: false, flushInterval: 3_600_000 });
      const cache = new MetricCache({ log: wal });
      await wal.open(cache);
      const batch = new PointBatch();
      batch.push('a', 100, 1);
      batch.push('b', 1700000001, 2);
      batch.rawLines.push(Buffer.from('a 1 100\n'), Buffer.from('b 2 1700000001'));
      batch.rawNow = 1700000001;
      cache.addBatch(batch);
      batch.clear();
      assert.equal(batch.rawLines.length, 0, 'clear() empties rawLines');
      batch.push('c', 5, 3); // no raw lines: point records
      cache.addBatch(batch);
      await wal.flush();
      const s = wal.stats();
      assert.equal(s['wal.appendedPoints'], 3);
      assert.equal(s['wal.writtenPoints'], 3);
      // header 8 + block header 12 + raw record 15 + "a 1 100\nb 2 1700000001\n" 23 + point record 18 + 1
      assert.equal(s['wal.bytes'], 8 + 12 + 15 + 23 + 19);

      const target = new Recorder();
      const two = new WriteAheadLog({ dir, fsync: false, limits: { maxTimestamp: 1000 } });
      const report = await two.open(target);
      assert.deepEqual(target.points, [
        { name: 'a', timestamp: 100, value: 1 },
        { name: 'c', timestamp: 5, value: 3 },
      ]);
      assert.equal(report.refusedLines, 1, 'b at 1700000001 is over the new limit');
      assert.equal(two.stats()['wal.replayRefusedLines'], 1);
      await wal.close();
      await two.close();
    });
  });
});
