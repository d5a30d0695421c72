import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  closeSync,
  fstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type ArchiveSpec, create, createOpen, validateArchiveList, WhisperConfigError } from './create.js';

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

test('createOpen makes the same file as create and leaves it open for reading and writing', () => {
  const sub = mkdtempSync(join(dir, 'open-'));
  const made = join(sub, 'made.wsp');
  const opened = join(sub, 'opened.wsp');
  const archives = [a(60, 10), a(1, 60)];
  create(made, archives, { xFilesFactor: 0.25, aggregationMethod: 'sum' });
  const got = createOpen(opened, archives, { xFilesFactor: 0.25, aggregationMethod: 'sum', absent: true });
  try {
    assert.ok(readFileSync(opened).equals(readFileSync(made)), 'byte-identical to create');
    assert.equal(got.size, statSync(made).size);
    assert.ok(got.header.equals(readFileSync(made).subarray(0, got.header.length)), 'the header as written');
    assert.equal(fstatSync(got.fd).nlink, 1, 'the open file is the one at the path');
    writeSync(got.fd, Buffer.from([1, 2, 3, 4]), 0, 4, 40);
    const back = Buffer.alloc(4);
    readSync(got.fd, back, 0, 4, 40);
    assert.deepEqual([...back], [1, 2, 3, 4]);
    assert.deepEqual([...readFileSync(opened).subarray(40, 44)], [1, 2, 3, 4]);
  } finally {
    closeSync(got.fd);
  }
  // `absent` skips only the early check: link(2) still refuses a file that is there, and nothing stays.
  assert.throws(() => createOpen(made, archives, { absent: true }), /EEXIST/);
  assert.deepEqual(readdirSync(sub).sort(), ['made.wsp', 'opened.wsp']);
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

test('a file being created is never seen half made: it appears whole, and no temporary stays behind', async () => {
  const path = join(dir, 'whole.wsp');
  // 2,000,000 points zero-filled: 24 MB written while this process watches the name.
  const archives = [a(1, 2_000_000)];
  const code = `import('${new URL('./create.ts', import.meta.url).href}').then(({ create }) => create(${JSON.stringify(path)}, ${JSON.stringify(archives)}, { aggregationMethod: 'sum' }))`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: 'inherit' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let done = false;
  exited.then(() => {
    done = true;
  });
  const sizes = new Set<number>();
  while (!done) {
    try {
      sizes.add(statSync(path).size);
    } catch {
      // not there yet
    }
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(await exited, 0);
  const full = 16 + 12 + 2_000_000 * 12;
  assert.equal(statSync(path).size, full);
  assert.deepEqual(
    [...sizes].filter((s) => s !== full),
    [],
    'sizes seen while it was being made',
  );
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('whole.wsp.')),
    [],
    'temporary files left',
  );
  // Creating it again fails as whisper's create does, and leaves no temporary either.
  assert.throws(() => create(path, archives), /EEXIST|exists/);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('whole.wsp.')),
    [],
  );
});
