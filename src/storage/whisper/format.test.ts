import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeHeader, encodeHeader, WhisperCorruptError } from './format.js';

test('header of a tiny file has the exact bytes whisper.create writes', () => {
  // whisper.create(p, [(1, 60), (10, 12)], 0.5, 'sum') writes this header (checked with xxd).
  const buf = encodeHeader('sum', 0.5, [
    { secondsPerPoint: 1, points: 60 },
    { secondsPerPoint: 10, points: 12 },
  ]);
  assert.equal(
    buf.toString('hex'),
    [
      '00000002', // aggregation type 2 = sum
      '00000078', // maxRetention 120 s
      '3f000000', // xFilesFactor 0.5 as a big-endian float32
      '00000002', // two archives
      '00000028',
      '00000001',
      '0000003c', // archive 0: offset 40, 1 s/point, 60 points
      '000002f8',
      '0000000a',
      '0000000c', // archive 1: offset 40 + 720 = 760, 10 s/point, 12 points
    ].join(''),
  );
  const header = decodeHeader(buf, 40 + 60 * 12 + 12 * 12, 'tiny.wsp');
  assert.deepEqual(header, {
    aggregationMethod: 'sum',
    maxRetention: 120,
    xFilesFactor: 0.5,
    archives: [
      { offset: 40, secondsPerPoint: 1, points: 60, retention: 60, size: 720 },
      { offset: 760, secondsPerPoint: 10, points: 12, retention: 120, size: 144 },
    ],
  });
});

test('xFilesFactor reads back as the float32 whisper.py sees', () => {
  const buf = encodeHeader('average', 0.3, [{ secondsPerPoint: 1, points: 1 }]);
  assert.equal(decodeHeader(buf, 40, 'x.wsp').xFilesFactor, 0.30000001192092896);
});

const good = encodeHeader('average', 0.5, [
  { secondsPerPoint: 1, points: 10 },
  { secondsPerPoint: 5, points: 10 },
]);
const goodSize = good.length + 20 * 12;
const patched = (at: number, u32: number) => {
  const b = Buffer.from(good);
  b.writeUInt32BE(u32, at);
  return b;
};
const xff = (v: number) => {
  const b = Buffer.from(good);
  b.writeFloatBE(v, 8);
  return b;
};

// Headers that must be refused, with the part of the message that says what is wrong.
const CORRUPT: Array<[string, Buffer, number, RegExp]> = [
  ['empty file', Buffer.alloc(0), 0, /file is 0 bytes, shorter than the 16-byte metadata/],
  ['short metadata', good.subarray(0, 10), 10, /file is 10 bytes/],
  ['aggregation type 0', patched(0, 0), goodSize, /unknown aggregation type 0 at byte 0/],
  ['aggregation type 9', patched(0, 9), goodSize, /unknown aggregation type 9 at byte 0/],
  ['negative xFilesFactor', xff(-0.5), goodSize, /xFilesFactor -0.5 at byte 8 is not between 0 and 1/],
  ['xFilesFactor above 1', xff(2), goodSize, /xFilesFactor 2 at byte 8/],
  ['NaN xFilesFactor', xff(Number.NaN), goodSize, /xFilesFactor NaN/],
  ['no archives', patched(12, 0), goodSize, /archive count at byte 12 is 0/],
  [
    'huge archive count',
    patched(12, 1_000_000),
    goodSize,
    /archive count 1000000 needs a 12000016-byte header/,
  ],
  ['zero step', patched(20, 0), goodSize, /archive 0 \(byte 20\): secondsPerPoint is 0/],
  ['zero points', patched(36, 0), goodSize, /archive 1 \(byte 36\): points is 0/],
  ['offset inside header', patched(16, 8), goodSize, /archive 0 starts at byte 8, inside the header/],
  [
    'overlapping archives',
    patched(28, 50),
    goodSize,
    /archive 1 starts at byte 50, inside the header or the previous/,
  ],
  [
    'truncated data',
    good,
    goodSize - 1,
    /archive 1 spans bytes 160..280 but the file is 279 bytes \(truncated\?\)/,
  ],
];

for (const [name, buf, size, message] of CORRUPT) {
  test(`corrupt header is refused: ${name}`, () => {
    assert.throws(
      () => decodeHeader(buf, size, '/data/a/b.wsp'),
      (err: unknown) =>
        err instanceof WhisperCorruptError &&
        err.path === '/data/a/b.wsp' &&
        err.message.startsWith('corrupt whisper file /data/a/b.wsp: ') &&
        message.test(err.message),
    );
  });
}
