import { closeSync, openSync, readSync } from 'node:fs';
import { type ArchiveInfo, POINT_SIZE, readHeader, type WhisperHeader } from './format.js';

/** What whisper.fetch returns: ((fromInterval, untilInterval, step), values), NaN for None. */
export interface WhisperSeries {
  /** First interval (inclusive): the slot after the one holding `from`. */
  start: number;
  /** End interval (exclusive). */
  end: number;
  step: number;
  values: Float64Array;
}

/** A from/until pair whisper refuses (from after until). */
export class WhisperRangeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'WhisperRangeError';
  }
}

// The archive bytes of one read, and one DataView over them made when the buffer is (see
// decodePoints for why a DataView).
let scratch = Buffer.alloc(64 * 1024);
let scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);

/**
 * Reads [from, until] from the whisper file at `path` like whisper.fetch(path, from, until, now,
 * archiveToSelect): null when the range is wholly in the future or wholly beyond the longest
 * retention. `archiveToSelect` is a precision in seconds; without it the archive is the finest one
 * whose retention reaches back to `from` (after `from` is clamped to the oldest kept time).
 */
export function fetch(
  path: string,
  from: number,
  until: number | undefined,
  now: number,
  archiveToSelect?: number,
): WhisperSeries | null {
  const fd = openSync(path, 'r');
  try {
    return fetchFd(fd, readHeader(fd, path), from, until, now, archiveToSelect);
  } finally {
    closeSync(fd);
  }
}

/** fetch on an open file whose header has been read. */
export function fetchFd(
  fd: number,
  header: WhisperHeader,
  from: number,
  until: number | undefined,
  now: number,
  archiveToSelect?: number,
): WhisperSeries | null {
  now = Math.trunc(now);
  let fromTime = Math.trunc(from);
  let untilTime = Math.trunc(until ?? now);
  if (fromTime > untilTime)
    throw new WhisperRangeError(`invalid time interval: from ${fromTime} is after until ${untilTime}`);
  const oldest = now - header.maxRetention;
  if (fromTime > now) return null;
  if (untilTime < oldest) return null;
  if (fromTime < oldest) fromTime = oldest;
  if (untilTime > now) untilTime = now;
  const age = now - fromTime;

  let archive: ArchiveInfo | undefined;
  if (archiveToSelect) {
    archive = header.archives.find((a) => a.secondsPerPoint === archiveToSelect);
    if (!archive)
      throw new WhisperRangeError(
        `invalid granularity ${archiveToSelect}s; the file has ${header.archives.map((a) => `${a.secondsPerPoint}s`).join(', ')}`,
      );
  } else {
    // whisper's loop leaves the last archive selected when none reaches back far enough (possible
    // only if maxRetention in the header exceeds every archive's retention).
    archive = header.archives.find((a) => a.retention >= age) ?? header.archives[header.archives.length - 1];
  }
  return archiveFetch(fd, archive, fromTime, untilTime);
}

/** __archive_fetch: the slots after `from` up to and including the one after `until`. */
export function archiveFetch(fd: number, archive: ArchiveInfo, from: number, until: number): WhisperSeries {
  const step = archive.secondsPerPoint;
  const start = from - pymod(from, step) + step;
  let end = until - pymod(until, step) + step;
  // A zero-length range still returns the next point.
  if (start === end) end += step;
  const count = (end - start) / step;
  // Every slot is written below (a value, or NaN), so the memory need not be zeroed first: a
  // /render over 1,000 files allocates 67 MB of values, and zeroing it showed in the profile.
  const bytes = Buffer.allocUnsafeSlow(count * 8);
  const values = new Float64Array(bytes.buffer, bytes.byteOffset, count);

  const base = readU32(fd, archive.offset);
  if (base === 0) return { start, end, step, values: values.fill(Number.NaN) };

  const fromOffset = archive.offset + pymod(Math.floor((start - base) / step) * POINT_SIZE, archive.size);
  const untilOffset = archive.offset + pymod(Math.floor((end - base) / step) * POINT_SIZE, archive.size);
  let length: number;
  if (fromOffset < untilOffset) {
    length = untilOffset - fromOffset;
    grow(length);
    readSync(fd, scratch, 0, length, fromOffset);
  } else {
    // Wraps around the archive's end (or asks for a whole archive's worth): two reads.
    const tail = archive.offset + archive.size - fromOffset;
    length = tail + (untilOffset - archive.offset);
    grow(length);
    readSync(fd, scratch, 0, tail, fromOffset);
    readSync(fd, scratch, tail, length - tail, archive.offset);
  }
  // whisper fills values[i] only when slot i holds the interval it stands for, so stale points
  // left from an earlier lap of the ring read as None. Counting by bytes read, not by the requested
  // span, is whisper's behaviour when the span exceeds the archive.
  const points = length / POINT_SIZE;
  const decoded = Math.min(points, count);
  decodePoints(decoded, start, step, values);
  values.fill(Number.NaN, decoded);
  if (points === count) return { start, end, step, values };
  return { start, end, step, values: values.slice(0, points) };
}

/**
 * Sets values[0..n) from the first `n` points in `scratch`: the point's value where its interval is
 * the one the slot stands for (start, start + step, ...), else NaN. This loop is the read path's hot
 * spot (a day at 10 s is 8,640 points a file). Node 20's optimizing compiler turns DataView's
 * big-endian getters into a load and a byte swap; Buffer.readDoubleBE assembled each value byte by
 * byte and was most of /render's time, and a native swap32 pass plus word copies measured 3x slower
 * than this.
 */
function decodePoints(n: number, start: number, step: number, values: Float64Array): void {
  const view = scratchView;
  for (let i = 0, at = 0, expected = start; i < n; i++, at += POINT_SIZE, expected += step) {
    values[i] = view.getUint32(at) === expected ? view.getFloat64(at + 4) : Number.NaN;
  }
}

function grow(n: number): void {
  if (scratch.length >= n) return;
  scratch = Buffer.alloc(Math.max(n, scratch.length * 2));
  scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);
}

const word = Buffer.alloc(4);
function readU32(fd: number, position: number): number {
  readSync(fd, word, 0, 4, position);
  return word.readUInt32BE(0);
}

function pymod(a: number, b: number): number {
  const r = a % b;
  return r < 0 ? r + b : r;
}
