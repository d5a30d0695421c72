import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type ArchiveSpec, create, validateArchiveList, WhisperConfigError } from './create.js';

const dir = mkdtempSync(join(tmpdir(), 'carbonado-whisper-create-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const a = (secondsPerPoint: number, points: number): ArchiveSpec => ({ secondsPerPoint, points });

test('valid archive lists come back sorted by precision', () => {
  assert.deepEqual(validateArchiveList([a(60, 1440), a(10, 360)]), [a(10, 360), a(60, 1440)]);
  assert.deepEqual(validateArchiveList([a(1, 60)]), [a(1, 60)]);
  // The finer archive may hold exactly one coarse point's worth.
  assert.deepEqual(validateArchiveList([a(10, 6), a(60, 5)]), [a(10, 6), a(60, 5)]);
});

// Lists whisper.validateArchiveList refuses (plus non-integers it would only fail on in struct.pack).
const BAD: Array<[string, ArchiveSpec[], RegExp]> = [
  ['empty', [], /archive list is empty/],
  ['same precision', [a(10, 6), a(10, 60)], /archives 0 \(10s:6\) and 1 \(10s:60\) have the same precision/],
  [
    'precision not a multiple',
    [a(10, 60), a(15, 100)],
    /archive 1 precision 15s is not a multiple of archive 0 precision 10s/,
  ],
  [
    'coarser covers no longer',
    [a(1, 60), a(10, 6)],
    /archive 1 \(10s:6\) covers 60s, not more than archive 0 \(1s:60\) with 60s/,
  ],
  [
    'too few points to consolidate',
    [a(1, 5), a(10, 60)],
    /archive 1 consolidates 10 points of archive 0 but archive 0 has only 5/,
  ],
  ['zero points', [a(10, 0)], /archive 0: points is 0; want an integer/],
  ['fractional precision', [a(1.5, 10)], /archive 0: secondsPerPoint is 1.5/],
  ['negative precision', [a(-1, 10)], /archive 0: secondsPerPoint is -1/],
];
for (const [name, list, message] of BAD) {
  test(`invalid archive list is refused: ${name}`, () => {
    assert.throws(
      () => validateArchiveList(list),
      (e: unknown) => e instanceof WhisperConfigError && message.test(e.message),
    );
  });
}

test('create writes header plus zero-filled archives, and refuses an existing file', () => {
  const path = join(dir, 'c.wsp');
  create(path, [a(60, 10), a(1, 60)], { xFilesFactor: 0, aggregationMethod: 'last' });
  const bytes = readFileSync(path);
  assert.equal(bytes.length, 16 + 2 * 12 + 60 * 12 + 10 * 12);
  assert.equal(bytes.readUInt32BE(0), 3); // last
  assert.equal(bytes.readUInt32BE(4), 600);
  assert.equal(bytes.readUInt32BE(20), 1); // sorted: the 1 s archive first
  assert.ok(bytes.subarray(40).every((b) => b === 0));
  assert.throws(() => create(path, [a(1, 60)]), /EEXIST/);
});

test('create validates before touching the disk', () => {
  const path = join(dir, 'never.wsp');
  assert.throws(
    () => create(path, [a(1, 60)], { aggregationMethod: 'median' }),
    /unknown aggregation method 'median'/,
  );
  assert.throws(
    () => create(path, [a(1, 60)], { xFilesFactor: 1.5 }),
    /xFilesFactor 1.5 is not between 0 and 1/,
  );
  assert.throws(() => statSync(path), /ENOENT/);
});

test('sparse create has the same size and reads as zeros', () => {
  const path = join(dir, 's.wsp');
  create(path, [a(1, 100)], { sparse: true });
  const bytes = readFileSync(path);
  assert.equal(bytes.length, 28 + 1200);
  assert.ok(bytes.subarray(28).every((b) => b === 0));
});
