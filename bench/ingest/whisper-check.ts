import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type LoadShape, metricName, pointTimestamp, pointValue } from './load.js';

/**
 * Counts the benchmark's points that are readable from whisper files. Deliberately independent of
 * src/storage/whisper (the benchmark must not trust the code it measures): it reads the format as
 * whisper.py 1.1 lays it out — a 16-byte header `!2LfL` (aggregationType, maxRetention, xFilesFactor,
 * archiveCount), then `!3L` (offset, secondsPerPoint, points) per archive, then 12-byte points `!Ld`
 * (interval, value), big-endian. As in whisper.py's __archive_fetch, a slot holds a point only when its
 * stored interval is the one asked for; a zeroed (preallocated, never written) slot holds none.
 */

/** What one file holds of the points the benchmark sent to its metric. */
export interface FilePoints {
  /** Points whose interval is one the benchmark sent. */
  present: number;
  /** Of those, points whose value differs from the one sent. */
  wrong: number;
}

/**
 * Counts, in the first (highest-precision) archive of a whisper file's bytes, the points of metric
 * `metricIndex` of the load. Throws on a header that does not parse, naming the offset.
 */
export function countLoadPoints(bytes: Buffer, shape: LoadShape, metricIndex: number): FilePoints {
  if (bytes.length < 28)
    throw new Error(`whisper: file of ${bytes.length} bytes; want at least 28 (header + 1 archive)`);
  const archiveCount = bytes.readUInt32BE(12);
  if (archiveCount < 1)
    throw new Error(`whisper header at byte 12: archiveCount got ${archiveCount}; want >= 1`);
  const offset = bytes.readUInt32BE(16);
  const secondsPerPoint = bytes.readUInt32BE(20);
  const points = bytes.readUInt32BE(24);
  if (offset + points * 12 > bytes.length) {
    throw new Error(
      `whisper archive 0 at byte 16: offset ${offset} + ${points} points runs past the file's ${bytes.length} bytes`,
    );
  }
  if (secondsPerPoint !== shape.step) {
    throw new Error(
      `whisper archive 0 at byte 20: secondsPerPoint got ${secondsPerPoint}; want the load's step ${shape.step}`,
    );
  }
  let present = 0;
  let wrong = 0;
  // A DataView (big-endian by default) reads a slot in a few instructions; Buffer#readUInt32BE's checks
  // cost more than reading the file.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  // As whisper.py's fetch: slot 0's interval is the archive's base (0: nothing written yet), and the point
  // of interval t can only be in slot ((t - base) / step) mod points, so only the load's slots are read.
  const base = view.getUint32(offset);
  if (base === 0) return { present, wrong };
  const first = pointTimestamp(shape, 0);
  let slot = (((first - base) / shape.step) % points) + (first < base ? points : 0);
  if (slot === points) slot = 0;
  for (let j = 0; j < shape.points; j++) {
    const p = offset + slot * 12;
    if (view.getUint32(p) === first + j * shape.step) {
      present++;
      if (view.getFloat64(p + 4) !== pointValue(metricIndex, j)) wrong++;
    }
    if (++slot === points) slot = 0;
  }
  return { present, wrong };
}

/** Where carbon and Graphite keep a metric: dots become directories, plus `.wsp`. */
export function whisperPath(root: string, metric: string): string {
  return `${join(root, ...metric.split('.'))}.wsp`;
}

/** Progress of the persisted check across polls. */
export interface PersistProgress {
  /** Points found so far, over every metric. */
  present: number;
  wrong: number;
  /** Metrics whose every point is on disk. */
  completeMetrics: number;
}

/**
 * Files the checker may hold open: the process's soft RLIMIT_NOFILE (as /proc/self/limits shows it)
 * less 1024 for everything else, or 8192 where that cannot be read. Beyond it a file is opened and
 * closed at each read.
 */
export function openFilesBudget(limits = readLimits()): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  if (m === null) return 8192;
  const soft = m[1] === 'unlimited' ? 1 << 20 : Number(m[1]);
  return Math.max(64, soft - 1024);
}

function readLimits(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return '';
  }
}

/**
 * Polls the whisper files for the load, re-reading only metrics not yet complete (a complete file stays
 * complete), so a poll late in the run is cheap and the checker steals little CPU from the server.
 *
 * The checker's own cost is in the figure it measures (the server has to wait for the CPU it takes, and
 * the last poll's reads come after the last write), so it is kept low: a pending file stays open
 * between polls and is read with one pread into a reused buffer; a complete file's descriptor is
 * closed only by close(), after the run; `countLoadPoints` is compiled before the run starts (warmUp),
 * not while the last poll runs. The last poll of a run on existing files reads every file (their last
 * points come last): 10,000 files took 115-150 ms with an open and close per read and a scan of all 420
 * slots, ~40 ms now.
 */
export class PersistChecker {
  private readonly pending: Set<number>;
  private readonly found: Int32Array;
  private wrongByMetric: Int32Array;
  private readonly fds = new Map<number, number>();
  /** Descriptors of complete files, closed by close(). */
  private readonly done: number[] = [];
  private readonly budget = openFilesBudget();
  private buffer = Buffer.alloc(64 * 1024);

  constructor(
    private readonly root: string,
    private readonly shape: LoadShape,
  ) {
    this.pending = new Set(Array.from({ length: shape.metrics }, (_, i) => i));
    this.found = new Int32Array(shape.metrics);
    this.wrongByMetric = new Int32Array(shape.metrics);
    warmUp(shape);
  }

  private get openCount(): number {
    return this.fds.size + this.done.length;
  }

  /**
   * Opens the files that exist already (`--existing-files`), before the timed run starts, so the first
   * poll only reads them.
   */
  openExisting(): void {
    for (const i of this.pending) {
      if (this.openCount >= this.budget) return;
      try {
        this.fds.set(i, openSync(whisperPath(this.root, metricName(i, this.shape)), 'r'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }

  /**
   * Reads the files of incomplete metrics, in a fixed order, until one is still incomplete (or all of
   * them with `full`); true when every point of every metric is present. Stopping at the first file
   * still missing points costs nothing in what is measured (the run is not done while one is missing)
   * and makes the checker's work over a run one read per file plus one per poll, instead of one read
   * per pending file per poll: 10,000 pending new files cost ~30 ms a poll, so polling every 20 ms
   * took half a core from the server for as long as it was creating files. `full` reads every pending
   * file (for `progress()` after a timeout).
   */
  poll(full = false): boolean {
    for (const i of this.pending) {
      if (!this.check(i) && !full) return false;
    }
    return this.pending.size === 0;
  }

  /** Reads metric `i`'s file; true when it holds every point (it is then no longer pending). */
  private check(i: number): boolean {
    const bytes = this.read(i);
    // Not there yet, or being created and shorter than its header says: not written yet.
    if (bytes === null || bytes.length < 28) return false;
    let got: FilePoints;
    try {
      got = countLoadPoints(bytes, this.shape, i);
    } catch (e) {
      if (String(e).includes('runs past')) return false;
      throw e;
    }
    this.found[i] = got.present;
    this.wrongByMetric[i] = got.wrong;
    if (got.present !== this.shape.points) return false;
    this.pending.delete(i);
    const fd = this.fds.get(i);
    if (fd !== undefined) {
      this.fds.delete(i);
      this.done.push(fd);
    }
    return true;
  }

  /**
   * The newest modification time among the load's files, ms since the epoch (nanosecond mtimes, so
   * sub-millisecond where the file system keeps them; ext4 stamps a write with the kernel's clock tick
   * unless the file's time was read since its last change, so a time may lag its write by up to a tick,
   * a few ms). Stats by path: what a reader opening the file now would read.
   */
  lastModifiedMs(): number {
    let newest = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < this.shape.metrics; i++) {
      const ns = statSync(whisperPath(this.root, metricName(i, this.shape)), { bigint: true }).mtimeNs;
      newest = Math.max(newest, Number(ns / 1000n) / 1000);
    }
    return newest;
  }

  /** Closes the files still open. */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
    for (const fd of this.done.splice(0)) closeSync(fd);
  }

  /** The whole file of metric `i` (a view of the reused buffer, valid until the next read), or null. */
  private read(i: number): Buffer | null {
    let fd = this.fds.get(i);
    const keep = fd !== undefined || this.openCount < this.budget;
    if (fd === undefined) {
      try {
        fd = openSync(whisperPath(this.root, metricName(i, this.shape)), 'r');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
      if (keep) this.fds.set(i, fd);
    }
    try {
      let n = readSync(fd, this.buffer, 0, this.buffer.length, 0);
      if (n === this.buffer.length) {
        // A file larger than the buffer (a longer retention): grow to its size and read again.
        this.buffer = Buffer.alloc(Math.max(fstatSync(fd).size, 2 * this.buffer.length));
        n = readSync(fd, this.buffer, 0, this.buffer.length, 0);
      }
      return this.buffer.subarray(0, n);
    } finally {
      if (!keep) closeSync(fd);
    }
  }

  progress(): PersistProgress {
    let present = 0;
    let wrong = 0;
    for (let i = 0; i < this.shape.metrics; i++) {
      present += this.found[i];
      wrong += this.wrongByMetric[i];
    }
    return { present, wrong, completeMetrics: this.shape.metrics - this.pending.size };
  }
}

/**
 * Runs countLoadPoints over a file of the load's shape built in memory until V8 has optimized it: the
 * last poll, timed, then runs compiled code from its first file.
 */
function warmUp(shape: LoadShape): void {
  const slots = shape.points + 7;
  const bytes = Buffer.alloc(28 + slots * 12);
  bytes.writeUInt32BE(1, 12);
  bytes.writeUInt32BE(28, 16);
  bytes.writeUInt32BE(shape.step, 20);
  bytes.writeUInt32BE(slots, 24);
  for (let j = 0; j < shape.points; j++) {
    bytes.writeUInt32BE(pointTimestamp(shape, j), 28 + j * 12);
    bytes.writeDoubleBE(pointValue(0, j), 32 + j * 12);
  }
  for (let n = 0; n < 5000; n++) {
    if (countLoadPoints(bytes, shape, 0).present !== shape.points)
      throw new Error('BUG: the checker miscounts its own warm-up file');
  }
}
