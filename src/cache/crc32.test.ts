import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32, crc32Table } from './crc32.js';

// Check values from the CRC catalogue (CRC-32/ISO-HDLC) and zlib.crc32 in Python/Node 22.
const cases: [string, number][] = [
  ['', 0x00000000],
  ['a', 0xe8b7be43],
  ['123456789', 0xcbf43926],
  ['The quick brown fox jumps over the lazy dog', 0x414fa339],
];

test('crc32 matches the published check values', () => {
  for (const [text, want] of cases) assert.equal(crc32(Buffer.from(text)), want, JSON.stringify(text));
});

test('crc32 agrees between the 8-byte and byte-at-a-time paths, and can be continued', () => {
  const bytes = new Uint8Array(1000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff;
  const whole = crc32(bytes);
  for (const cut of [0, 1, 3, 8, 9, 500, 999, 1000]) {
    assert.equal(crc32(bytes, cut, bytes.length, crc32(bytes, 0, cut)), whole, `cut at ${cut}`);
  }
  assert.equal(crc32(bytes, 10, 20), crc32(bytes.subarray(10, 20)));
});

test('the table loop and zlib (where Node has zlib.crc32) give the same CRCs, continued or not', () => {
  const bytes = new Uint8Array(70_000);
  let x = 12345;
  for (let i = 0; i < bytes.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  for (const [start, end] of [
    [0, 0],
    [0, 63],
    [0, 64],
    [5, 1000],
    [0, 70_000],
    [12, 69_999],
  ]) {
    const table = crc32Table(bytes, start, end);
    assert.equal(crc32(bytes, start, end), table, `[${start}, ${end})`);
    assert.equal(crc32(bytes, end, 70_000, table), crc32Table(bytes, start, 70_000), `continued from ${end}`);
  }
  for (const [text, want] of cases) assert.equal(crc32Table(Buffer.from(text)), want, JSON.stringify(text));
});
