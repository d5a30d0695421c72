import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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
  const first = pointTimestamp(shape, 0);
  const last = shape.lastTimestamp;
  let present = 0;
  let wrong = 0;
  // A DataView (big-endian by default) reads a slot in a few instructions; Buffer#readUInt32BE's checks
  // made this loop cost more than reading the file (5 µs against 3 µs for 420 slots).
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let p = offset, end = offset + points * 12; p < end; p += 12) {
    const interval = view.getUint32(p);
    if (interval < first || interval > last || (interval - first) % shape.step !== 0) continue;
    present++;
    const j = (interval - first) / shape.step;
    if (view.getFloat64(p + 4) !== pointValue(metricIndex, j)) wrong++;
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

/** Files kept open between polls, at most (the rest are opened and closed at each poll). */
const MAX_OPEN_FILES = 8192;

/**
 * Polls the whisper files for the load, re-reading only metrics not yet complete (a complete file stays
 * complete), so a poll late in the run is cheap and the checker steals little CPU from the server.
 *
 * The checker's own cost is in the figure it measures (the server has to wait for the CPU it takes), so
 * it is kept low: a pending file stays open between polls and is read with one pread into a reused
 * buffer. The first poll after acceptance, with every file still pending, cost about 0.25 s for 10,000
 * files when each read opened the file, stat'ed it and allocated a buffer (readFileSync); it then came
 * to a third or more of the time Carbonado's persisted figure measured after acceptance.
 */
export class PersistChecker {
  private readonly pending: Set<number>;
  private readonly found: Int32Array;
  private wrongByMetric: Int32Array;
  private readonly fds = new Map<number, number>();
  private buffer = Buffer.alloc(64 * 1024);

  constructor(
    private readonly root: string,
    private readonly shape: LoadShape,
  ) {
    this.pending = new Set(Array.from({ length: shape.metrics }, (_, i) => i));
    this.found = new Int32Array(shape.metrics);
    this.wrongByMetric = new Int32Array(shape.metrics);
  }

  /**
   * Opens the files that exist already (`--existing-files`), before the timed run starts, so the first
   * poll only reads them.
   */
  openExisting(): void {
    for (const i of this.pending) {
      if (this.fds.size >= MAX_OPEN_FILES) return;
      try {
        this.fds.set(i, openSync(whisperPath(this.root, metricName(i)), 'r'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }

  /** Reads the files of incomplete metrics once; true when every point of every metric is present. */
  poll(): boolean {
    for (const i of this.pending) {
      const bytes = this.read(i);
      // Not there yet, or being created and shorter than its header says: not written yet.
      if (bytes === null || bytes.length < 28) continue;
      let got: FilePoints;
      try {
        got = countLoadPoints(bytes, this.shape, i);
      } catch (e) {
        if (String(e).includes('runs past')) continue;
        throw e;
      }
      this.found[i] = got.present;
      this.wrongByMetric[i] = got.wrong;
      if (got.present === this.shape.points) {
        this.pending.delete(i);
        this.forget(i);
      }
    }
    return this.pending.size === 0;
  }

  /** Closes the files still open. */
  close(): void {
    for (const i of [...this.fds.keys()]) this.forget(i);
  }

  /** The whole file of metric `i` (a view of the reused buffer, valid until the next read), or null. */
  private read(i: number): Buffer | null {
    let fd = this.fds.get(i);
    const keep = fd !== undefined || this.fds.size < MAX_OPEN_FILES;
    if (fd === undefined) {
      try {
        fd = openSync(whisperPath(this.root, metricName(i)), 'r');
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

  private forget(i: number): void {
    const fd = this.fds.get(i);
    if (fd === undefined) return;
    this.fds.delete(i);
    closeSync(fd);
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
