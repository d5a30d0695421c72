import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BlockBuilder, encodeBlock, readSegment, SEGMENT_HEADER } from './wal-format.js';

type P = { name: string; timestamp: number; value: number };

function read(bytes: Buffer) {
  const points: P[] = [];
  const report = readSegment(bytes, (name, timestamp, value) => points.push({ name, timestamp, value }));
  return { points, report };
}

function segment(...blocks: Buffer[]): Buffer {
  return Buffer.concat([SEGMENT_HEADER, ...blocks]);
}

const pts = (prefix: string, n: number): P[] =>
  Array.from({ length: n }, (_, i) => ({ name: `${prefix}.m${i % 3}`, timestamp: 1000 + i, value: i / 4 }));

describe('WAL byte format (docs/wal.md)', () => {
  test('one point encodes to the bytes docs/wal.md shows', () => {
    const bytes = segment(encodeBlock([{ name: 'a.b', timestamp: 1700000000, value: 1.5 }]));
    assert.equal(
      bytes.toString('hex'),
      [
        '4342445741 4c3032', // "CBDWAL02"
        'fe57414c 15000000 ab594551', // magic, length 21, crc32 0x514559ab (zlib.crc32 of the payload)
        '0300 612e62', // name length 3, "a.b"
        '00000040fc54d941', // 1700000000 float64 LE
        '000000000000f83f', // 1.5 float64 LE
      ]
        .join('')
        .replace(/ /g, ''),
    );
    assert.equal(bytes.length, 41);
  });

  test('round trip of odd values and names: NaN, infinities, -0, fractions, UTF-8', () => {
    const odd: P[] = [
      { name: 'const', timestamp: 1, value: 5 },
      { name: 'const', timestamp: 2, value: 5 },
      { name: 'nan', timestamp: 3, value: Number.NaN },
      { name: 'inf', timestamp: 4, value: Number.POSITIVE_INFINITY },
      { name: 'ninf', timestamp: 5, value: Number.NEGATIVE_INFINITY },
      { name: 'negzero', timestamp: 6, value: -0 },
      { name: 'frac.ts', timestamp: 1700000000.25, value: 1e-300 },
      { name: 'héllo.wörld.日本', timestamp: 7, value: -1.5 },
      { name: 'emoji.😀', timestamp: 8, value: 2 ** 53 },
    ];
    const { points, report } = read(segment(encodeBlock(odd)));
    assert.deepEqual(points, odd);
    assert.equal(report.points, odd.length);
    assert.equal(report.blocks, 1);
    assert.ok(Object.is(points[5].value, -0));
  });

  test('BlockBuilder splits into blocks at its chunk size, each whole, in order', () => {
    const b = new BlockBuilder(200);
    const input = pts('split', 40);
    for (const p of input) assert.equal(b.append(p.name, p.timestamp, p.value), true);
    const blocks = b.take();
    assert.ok(blocks.length > 3, `got ${blocks.length} blocks; want several`);
    for (const block of blocks) assert.ok(block.length <= 200);
    const { points, report } = read(segment(...blocks));
    assert.deepEqual(points, input);
    assert.equal(report.blocks, blocks.length);
    assert.equal(b.take().length, 0, 'take() empties the builder');
    b.append('after', 1, 1);
    assert.deepEqual(read(segment(...b.take())).points, [{ name: 'after', timestamp: 1, value: 1 }]);
  });

  test('blocks taken earlier stay intact while the builder goes on in the same chunk', () => {
    const b = new BlockBuilder(4096);
    b.append('first', 1, 1);
    const [first] = b.take();
    const copy = Buffer.from(first);
    b.append('second', 2, 2);
    b.take();
    assert.ok(first.equals(copy));
  });

  test('a name over 65535 bytes, or empty (the raw record marker), is refused, nothing appended', () => {
    const b = new BlockBuilder();
    assert.equal(b.append('', 1, 1), false);
    assert.equal(b.append('x'.repeat(65536), 1, 1), false);
    assert.equal(b.append('é'.repeat(40000), 1, 1), false, '80000 bytes in UTF-8');
    assert.equal(b.append('x'.repeat(65535), 1, 1), true);
    assert.equal(b.points, 1);
    const { points } = read(segment(...b.take()));
    assert.equal(points[0].name.length, 65535);
  });

  describe('damage', () => {
    const a = encodeBlock(pts('a', 5));
    const b = encodeBlock(pts('b', 7));
    const c = encodeBlock(pts('c', 3));

    test('a torn tail (the last block cut anywhere) is ignored; the blocks before it are read', () => {
      const whole = segment(a, b, c);
      for (const cut of [1, 5, 11, 12, 13, c.length - 1]) {
        const { points, report } = read(whole.subarray(0, whole.length - cut));
        assert.equal(report.tornTail, true, `cut ${cut}`);
        assert.equal(report.corruptBlocks, 0, `cut ${cut}`);
        assert.equal(points.length, 12, `cut ${cut}`);
        assert.match(report.problems[0], new RegExp(`^torn tail at byte ${8 + a.length + b.length}: `));
      }
    });

    test('a flipped payload byte: that block skipped and counted, the rest read', () => {
      const bytes = segment(a, b, c);
      bytes[8 + a.length + 12 + 20] ^= 0x10;
      const { points, report } = read(bytes);
      assert.equal(report.corruptBlocks, 1);
      assert.equal(report.tornTail, false);
      assert.deepEqual(points, [...pts('a', 5), ...pts('c', 3)]);
      assert.equal(a.length, 122, 'five 22-byte records and a header');
      assert.match(
        report.problems[0],
        /^block at byte 130 \(154 bytes\): crc32 got 0x[0-9a-f]{8}; want 0x[0-9a-f]{8}; skipped$/,
      );
    });

    test('a flipped byte in a length field: found again at the next magic', () => {
      for (const flip of [0x01, 0x80]) {
        const bytes = segment(a, b, c);
        bytes[8 + a.length + 4] ^= flip;
        const { points, report } = read(bytes);
        assert.equal(report.corruptBlocks, 1, `flip ${flip}`);
        assert.deepEqual(points, [...pts('a', 5), ...pts('c', 3)], `flip ${flip}`);
      }
    });

    test('a flipped magic byte and garbage between blocks are skipped', () => {
      const bytes = segment(a, b, c);
      bytes[8 + a.length] ^= 0xff;
      let r = read(bytes);
      assert.equal(r.report.corruptBlocks, 1);
      assert.match(r.report.problems[0], /got 0157414c; want magic fe57414c/);
      assert.deepEqual(r.points, [...pts('a', 5), ...pts('c', 3)]);
      r = read(segment(a, Buffer.from('garbage'), c));
      assert.equal(r.report.corruptBlocks, 1);
      assert.deepEqual(r.points, [...pts('a', 5), ...pts('c', 3)]);
    });

    test('trailing zeros (a file extended but never written) are a torn tail', () => {
      const { points, report } = read(segment(a, Buffer.alloc(100)));
      assert.equal(report.tornTail, true);
      assert.equal(points.length, 5);
    });

    test('a segment with a wrong header is refused whole', () => {
      const bytes = segment(a);
      bytes[0] = 0x58;
      const { points, report } = read(bytes);
      assert.equal(report.badHeader, true);
      assert.equal(points.length, 0);
      assert.equal(report.problems[0], 'segment header got "XBDWAL02"; want "CBDWAL02" or "CBDWAL01"');
      assert.equal(read(Buffer.from('CBD')).report.badHeader, true);
    });

    test('an empty segment (header only) reads as nothing, no damage', () => {
      const { points, report } = read(segment());
      assert.deepEqual(
        [points.length, report.blocks, report.corruptBlocks, report.tornTail],
        [0, 0, 0, false],
      );
    });
  });
});
