import { closeSync, openSync, readSync } from 'node:fs';
import { createPointDecoder } from './decode.js';
import { type ArchiveInfo, POINT_SIZE, readHeaderBytes, type WhisperHeader } from './format.js';

/** What whisper.fetch returns: ((fromInterval, untilInterval, step), values), NaN for None. */
export interface WhisperSeries {
  /** First interval (inclusive): the slot after the one holding `from`. */
  start: number;
  /** End interval (exclusive). */
  end: number;
  step: number;
  values: Float64Array;
}

/**
 * Where the values of a fetch go: a Float64Array of `count` slots, contents undefined (every slot is
 * written). /render passes its request's arena (query/arena.ts) so answers reuse memory.
 */
export type ValuesAllocator = (count: number) => Float64Array;

// Every slot is written, so the memory need not be zeroed first: a /render over 1,000 files allocates
// 67 MB of values, and zeroing it showed in the profile.
function freshValues(count: number): Float64Array {
  const bytes = Buffer.allocUnsafeSlow(count * 8);
  return new Float64Array(bytes.buffer, bytes.byteOffset, count);
}

/** A from/until pair whisper refuses (from after until). */
export class WhisperRangeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'WhisperRangeError';
  }
}

// One decoder for every read: reads are synchronous, so its buffer is never shared.
const decoder = createPointDecoder();

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
    const { header, bytes } = readHeaderBytes(fd, path);
    return fetchFd(fd, header, from, until, now, archiveToSelect, freshValues, bytes);
  } finally {
    closeSync(fd);
  }
}

/**
 * fetch on an open file whose header has been read, the values in memory from `alloc`. `first`, when
 * given, holds the file's first bytes (format.ts readHeaderBytes): an archive base within them is not
 * read again.
 */
export function fetchFd(
  fd: number,
  header: WhisperHeader,
  from: number,
  until: number | undefined,
  now: number,
  archiveToSelect?: number,
  alloc: ValuesAllocator = freshValues,
  first?: Buffer,
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
  return archiveFetch(fd, archive, fromTime, untilTime, alloc, first);
}

/** __archive_fetch: the slots after `from` up to and including the one after `until`. */
export function archiveFetch(
  fd: number,
  archive: ArchiveInfo,
  from: number,
  until: number,
  alloc: ValuesAllocator = freshValues,
  first?: Buffer,
): WhisperSeries {
  const step = archive.secondsPerPoint;
  const start = from - pymod(from, step) + step;
  let end = until - pymod(until, step) + step;
  // A zero-length range still returns the next point.
  if (start === end) end += step;
  const count = (end - start) / step;
  const values = alloc(count);

  const base =
    first && archive.offset + 4 <= first.length
      ? first.readUInt32BE(archive.offset)
      : readU32(fd, archive.offset);
  if (base === 0) return { start, end, step, values: values.fill(Number.NaN) };

  const fromOffset = archive.offset + pymod(Math.floor((start - base) / step) * POINT_SIZE, archive.size);
  const untilOffset = archive.offset + pymod(Math.floor((end - base) / step) * POINT_SIZE, archive.size);
  let length: number;
  if (fromOffset < untilOffset) {
    length = untilOffset - fromOffset;
    readSync(fd, decoder.readBuffer(length), 0, length, fromOffset);
  } else {
    // Wraps around the archive's end (or asks for a whole archive's worth): two reads.
    const tail = archive.offset + archive.size - fromOffset;
    length = tail + (untilOffset - archive.offset);
    const buffer = decoder.readBuffer(length);
    readSync(fd, buffer, 0, tail, fromOffset);
    readSync(fd, buffer, tail, length - tail, archive.offset);
  }
  // whisper fills values[i] only when slot i holds the interval it stands for, so stale points
  // left from an earlier lap of the ring read as None. Counting by bytes read, not by the requested
  // span, is whisper's behaviour when the span exceeds the archive.
  const points = length / POINT_SIZE;
  const decoded = Math.min(points, count);
  decoder.decode(decoded, start, step, values);
  values.fill(Number.NaN, decoded);
  if (points === count) return { start, end, step, values };
  return { start, end, step, values: values.slice(0, points) };
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
