import assert from 'node:assert/strict';
import {
  closeSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { create, createOpen } from './create.js';
import { decodeHeader } from './format.js';
import { OpenFiles } from './open-files.js';
import { metricPath, WhisperStore } from './store.js';
import { updateMany } from './update.js';

const dir = mkdtempSync(join(tmpdir(), 'carbonado-open-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const schema = {
  archives: [{ secondsPerPoint: 10, points: 60 }],
  xFilesFactor: 0,
  aggregationMethod: 'average',
};
const NOW = 1_700_000_000;
const T = NOW - 100;
/** New files of `schema`'s archive, one per name, in a fresh directory under `dir`; their paths. */
function createFiles(prefix: string, names: string[]): string[] {
  const root = mkdtempSync(join(dir, `${prefix}-`));
  const paths = names.map((n) => join(root, `${n}.wsp`));
  for (const p of paths) create(p, schema.archives, { xFilesFactor: 0, aggregationMethod: 'average' });
  return paths;
}

/** Two archives small enough that a few writes wrap the first and propagate to the second. */
const twoArchives = [
  { secondsPerPoint: 10, points: 12 },
  { secondsPerPoint: 60, points: 10 },
];

/** A store whose files held open are verified at every write (no windows): see the windows' own tests. */
function store(root: string, openFiles: number): WhisperStore {
  return new WhisperStore({
    root,
    schemaFor: () => schema,
    clock: () => NOW,
    openFiles,
    reverifyMs: 0,
    headerRereadMs: 0,
  });
}

async function values(s: WhisperStore, metric: string): Promise<number[]> {
  const got = await s.fetch(metric, T - 10, T + 30, NOW);
  return [...(got?.values ?? [])];
}

test('writes through files held open land; a deleted file is created again at the next write', async () => {
  const root = mkdtempSync(join(dir, 'a-'));
  const s = store(root, 8);
  assert.equal(s.writeSync('x.a', [T], [1]), true, 'created');
  assert.equal(s.writeSync('x.a', [T + 10], [2]), false);
  assert.deepEqual(await values(s, 'x.a'), [1, 2, Number.NaN, Number.NaN]);
  unlinkSync(metricPath(root, 'x.a'));
  // The descriptor held open points at the deleted file: the write notices and starts again by name.
  assert.equal(s.writeSync('x.a', [T + 20], [3]), true, 'created again');
  assert.deepEqual(await values(s, 'x.a'), [Number.NaN, Number.NaN, 3, Number.NaN]);
  s.closeFiles();
});

test('a metric whose directory an operator removed is created again, directory and all', async () => {
  const root = mkdtempSync(join(dir, 'r-'));
  for (const [openFiles, metric] of [
    [8, 'gone.held.a'],
    [0, 'gone.plain.a'],
  ] as const) {
    const s =
      openFiles > 0
        ? store(root, openFiles)
        : new WhisperStore({ root, schemaFor: () => schema, clock: () => NOW });
    assert.equal(s.writeSync(metric, [T], [1]), true, 'created');
    rmSync(join(root, 'gone'), { recursive: true });
    // Held open, the write sees the file gone and starts again by name; not held, the write fails
    // with ENOENT as a deleted file's does, and the next one starts again.
    if (openFiles === 0) assert.throws(() => s.writeSync(metric, [T + 10], [2]), /ENOENT/);
    assert.equal(
      s.writeSync(metric, [T + 20], [3]),
      true,
      'created again, though the store knew its directory',
    );
    assert.deepEqual(await values(s, metric), [Number.NaN, Number.NaN, 3, Number.NaN]);
    s.closeFiles();
  }
});

test('a file replaced by a rename (as whisper-resize does) gets the next write, not the old inode', async () => {
  const root = mkdtempSync(join(dir, 'b-'));
  const s = store(root, 8);
  s.writeSync('x.b', [T], [1]);
  const path = metricPath(root, 'x.b');
  const fresh = join(root, 'fresh.wsp');
  create(fresh, [{ secondsPerPoint: 10, points: 120 }], { xFilesFactor: 0, aggregationMethod: 'sum' });
  renameSync(fresh, path);
  assert.equal(s.writeSync('x.b', [T + 10], [5]), false);
  const info = await s.info('x.b');
  assert.equal(info?.archives[0].points, 120, 'the new file');
  assert.deepEqual(await values(s, 'x.b'), [Number.NaN, 5, Number.NaN, Number.NaN]);
  s.closeFiles();
});

test('within the re-verify window a write uses the header kept; a replaced file is found after it', async () => {
  const root = mkdtempSync(join(dir, 'w-'));
  const path = join(root, 'w.wsp');
  create(path, schema.archives, { xFilesFactor: 0, aggregationMethod: 'average' });
  let clock = 0;
  const files = new OpenFiles(4, () => clock, 1000);
  const read = async (p: string) => {
    const s = new WhisperStore({ root, schemaFor: () => schema, clock: () => NOW });
    return [...((await s.fetch(p, T - 10, T + 30, NOW))?.values ?? [])];
  };
  assert.equal(files.update(path, [T], [1], NOW), true);
  // The first archive's base came from the first write; later writes within the window land in the
  // right slots without reading it again.
  clock = 500;
  assert.equal(files.update(path, [T + 20, T + 10], [3, 2], NOW), true);
  assert.deepEqual(await read('w'), [1, 2, 3, Number.NaN]);
  // Replaced by a rename inside the window: the write still goes to the file held (the window's cost)...
  const fresh = join(root, 'fresh.wsp');
  create(fresh, [{ secondsPerPoint: 10, points: 120 }], { xFilesFactor: 0, aggregationMethod: 'sum' });
  renameSync(fresh, path);
  clock = 900;
  assert.equal(files.update(path, [T], [7], NOW), true);
  assert.deepEqual(await read('w'), [Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
  // ...and once the window has passed the next write finds the new file, and does not write the old one.
  clock = 1000;
  assert.equal(files.update(path, [T + 10], [8], NOW), false, 'the old file is let go');
  assert.equal(files.holds(path), false);
  assert.equal(files.update(path, [T + 10], [8], NOW), true);
  assert.deepEqual(await read('w'), [Number.NaN, 8, Number.NaN, Number.NaN]);
  files.closeAll();
});

test('a header edited in place is read again after its own window; a size change is seen at the next check', async () => {
  const root = mkdtempSync(join(dir, 'h2-'));
  const path = join(root, 'e.wsp');
  const archives = [
    { secondsPerPoint: 10, points: 60 },
    { secondsPerPoint: 60, points: 20 },
  ];
  create(path, archives, { xFilesFactor: 0, aggregationMethod: 'average' });
  let clock = 0;
  const files = new OpenFiles(4, () => clock, 1000, 5000);
  const t0 = NOW - 500 - ((NOW - 500) % 60);
  // Six points of one minute each time: 1..6 average to 3.5, sum to 21.
  const minute = (start: number) => {
    const ts = [0, 1, 2, 3, 4, 5].map((k) => start + 10 * k);
    assert.equal(files.update(path, ts, [1, 2, 3, 4, 5, 6], NOW), true);
  };
  minute(t0);
  // whisper-set-aggregation-method's edit: the header's aggregation type becomes 2 (sum), in place.
  const fd = openSync(path, 'r+');
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(2);
  writeSync(fd, sum, 0, 4, 0);
  closeSync(fd);
  clock = 1500; // checked again (fstat), header kept
  minute(t0 + 60);
  clock = 5000; // header read again
  minute(t0 + 120);
  const s = new WhisperStore({ root, schemaFor: () => schema, clock: () => NOW });
  const lower = await s.fetch('e', NOW - 1100, NOW, NOW);
  assert.equal(lower?.step, 60);
  const at = (t: number) => lower!.values[(t - lower!.start) / 60];
  assert.deepEqual([at(t0), at(t0 + 60), at(t0 + 120)], [3.5, 3.5, 21]);
  // Truncated inside the header's window: the next check sees the size change and reads the header.
  truncateSync(path, 100);
  clock = 6500;
  assert.throws(() => minute(t0 + 180), /e\.wsp/);
  files.closeAll();
});

test('header and base kept between writes give the same bytes as reading them at every write, across wraps', () => {
  const root = mkdtempSync(join(dir, 'k-'));
  const kept = join(root, 'kept.wsp');
  const fresh = join(root, 'fresh.wsp');
  for (const p of [kept, fresh]) create(p, twoArchives, { xFilesFactor: 0.3, aggregationMethod: 'max' });
  const files = new OpenFiles(4, () => 0, Number.POSITIVE_INFINITY);
  let seed = 7;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  let t = NOW - 500;
  // ~40 minutes of points in bursts: the first archive (2 minutes) wraps ~20 times.
  for (let w = 0; w < 300; w++) {
    const n = 1 + Math.floor(random() * 4);
    const ts: number[] = [];
    const vs: number[] = [];
    for (let i = 0; i < n; i++) {
      // Mostly forward, some gaps, some late or repeated timestamps.
      ts.push(t + Math.floor(random() * 30) - 10);
      vs.push(Math.round(random() * 100));
      t += random() < 0.2 ? 40 : 10;
    }
    const now = t + 5;
    assert.equal(files.update(kept, ts, vs, now), true);
    updateMany(fresh, ts, vs, now);
  }
  files.closeAll();
  assert.ok(readFileSync(kept).equals(readFileSync(fresh)), 'byte-identical files');
});

test('a truncated file fails its write and is let go; other metrics carry on', () => {
  const root = mkdtempSync(join(dir, 'c-'));
  const s = store(root, 8);
  s.writeSync('x.c', [T], [1]);
  s.writeSync('x.d', [T], [1]);
  truncateSync(metricPath(root, 'x.c'), 100);
  assert.throws(() => s.writeSync('x.c', [T + 10], [2]), /x\/c\.wsp/);
  assert.equal(s.writeSync('x.d', [T + 10], [2]), false);
  s.closeFiles();
});

test('OpenFiles: holds at most its capacity; when full, a file is let go only after a minute idle', () => {
  const paths = createFiles('d', ['p0', 'p1', 'p2']);
  let clock = 0;
  const files = new OpenFiles(2, () => clock);
  const write = (i: number, t: number) => assert.equal(files.update(paths[i], [t], [i], NOW), true);
  // Rounds over three files with room for two: the first two stay held, the third is opened each time.
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 3; i++) write(i, T + 10 * round);
    assert.deepEqual(
      paths.map((p) => files.holds(p)),
      [true, true, false],
    );
  }
  // A minute later p0 and p1 are idle: writing p2 takes the place of one of them (the first opened).
  clock += 61_000;
  write(2, T + 30);
  assert.deepEqual(
    paths.map((p) => files.holds(p)),
    [false, true, true],
  );
  write(1, T + 30);
  write(0, T + 30);
  assert.equal(files.size, 2);
  files.closeAll();
  assert.equal(files.size, 0);
});

test('OpenFiles.closeIdle closes the files not written for a minute, wherever they are in the order opened', () => {
  const paths = createFiles('e', ['q0', 'q1', 'q2']);
  let clock = 0;
  const files = new OpenFiles(10, () => clock);
  files.update(paths[0], [T], [1], NOW);
  files.update(paths[1], [T], [1], NOW);
  clock = 30_000;
  files.update(paths[2], [T], [1], NOW);
  files.update(paths[0], [T + 10], [1], NOW); // first opened, written lately: stays
  clock = 61_000;
  assert.equal(files.closeIdle(), 1);
  assert.deepEqual(
    paths.map((p) => files.holds(p)),
    [true, false, true],
  );
  clock = 95_000;
  assert.equal(files.closeIdle(), 2);
  assert.equal(files.size, 0);
});

test('OpenFiles: when full, an idle file anywhere makes room; with none idle, it looks again only a second later', () => {
  const paths = createFiles('f', ['r0', 'r1', 'r2']);
  let clock = 0;
  const files = new OpenFiles(2, () => clock);
  const write = (i: number, t: number) => assert.equal(files.update(paths[i], [t], [i], NOW), true);
  const held = () => paths.map((p) => files.holds(p));
  write(0, T);
  write(1, T);
  clock = 59_500;
  write(0, T + 10); // r0 (first opened) stays busy; r1 will be the idle one
  write(2, T + 10); // nothing idle yet: r2 is opened for this write alone
  assert.deepEqual(held(), [true, true, false]);
  clock = 60_100; // r1 idle now, but the last look found none 0.6 s ago
  write(2, T + 20);
  assert.deepEqual(held(), [true, true, false]);
  clock = 60_600;
  write(2, T + 30);
  assert.deepEqual(held(), [true, false, true], 'r1, idle, made room; r0 did not');
  files.closeAll();
});

test('a file created and adopted takes its first writes without being opened again, with the same bytes', () => {
  const root = mkdtempSync(join(dir, 'g-'));
  const adopted = join(root, 'adopted.wsp');
  const plain = join(root, 'plain.wsp');
  create(plain, twoArchives, { xFilesFactor: 0, aggregationMethod: 'average' });
  const made = createOpen(adopted, twoArchives, { xFilesFactor: 0, aggregationMethod: 'average' });
  const files = new OpenFiles(4, () => 0, Number.POSITIVE_INFINITY);
  assert.equal(files.adopt(adopted, made.fd, decodeHeader(made.header, made.size, adopted)), true);
  assert.equal(files.holds(adopted), true);
  // Renamed away behind its back: a held, verified file is written through its descriptor, which shows
  // the write went to the adopted descriptor and not to a file opened by name.
  const moved = join(root, 'moved.wsp');
  renameSync(adopted, moved);
  for (const [ts, now] of [
    [[T - 40, T - 30, T], NOW],
    [[T + 200], NOW + 200],
  ] as const) {
    assert.equal(files.update(adopted, ts, [1, 2, 3].slice(0, ts.length), now), true);
    updateMany(plain, ts, [1, 2, 3].slice(0, ts.length), now);
  }
  files.closeAll();
  assert.ok(readFileSync(moved).equals(readFileSync(plain)), 'byte-identical to writes by name');
});

test('OpenFiles.adopt without room closes the file and says so', () => {
  const root = mkdtempSync(join(dir, 'h-'));
  const paths = ['s0', 's1'].map((n) => join(root, `${n}.wsp`));
  const files = new OpenFiles(1, () => 0);
  const made = paths.map((p) =>
    createOpen(p, schema.archives, { xFilesFactor: 0, aggregationMethod: 'average' }),
  );
  assert.equal(files.adopt(paths[0], made[0].fd, decodeHeader(made[0].header, made[0].size, paths[0])), true);
  assert.equal(
    files.adopt(paths[1], made[1].fd, decodeHeader(made[1].header, made[1].size, paths[1])),
    false,
  );
  assert.throws(() => fstatSync(made[1].fd), /EBADF/);
  assert.equal(files.update(paths[1], [T], [5], NOW), true, 'written by name, opened for the write alone');
  files.closeAll();
});

test('a store holding files open creates new metrics with the same bytes as one that does not', () => {
  const held = store(mkdtempSync(join(dir, 'i-')), 8);
  const plain = store(mkdtempSync(join(dir, 'j-')), 0);
  for (const s of [held, plain]) {
    s.writeSync('new.a', [T - 20, T - 10], [1, 2]);
    s.writeSync('new.b', [T], [3]);
    s.writeSync('new.a', [T], [4]);
  }
  held.closeFiles();
  for (const m of ['new.a', 'new.b']) {
    const a = readFileSync(metricPath(held.root, m));
    assert.ok(a.equals(readFileSync(metricPath(plain.root, m))), `${m}: byte-identical`);
  }
});
