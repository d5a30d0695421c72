import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { aggregate } from './aggregate.js';
import {
  type ArchiveInfo,
  MAX_TIMESTAMP,
  POINT_SIZE,
  readHeaderBytes,
  type WhisperHeader,
} from './format.js';
import { pythonSetOrder } from './pyset-order.js';

// update_many as python3-whisper 1.1.4 does it (whisper.py: update_many, file_update_many,
// __archive_update_many, __propagate), reproduced step for step so the files come out byte-identical.
// Scratch buffers are module-level and grow on demand: the writer calls this for every metric it
// flushes, and allocating per point would dominate.

let sortedTs = new Float64Array(64);
let sortedVs = new Float64Array(64);
let order = new Uint32Array(64);
let aligned = new Float64Array(64);
let lowerIntervals = new Float64Array(64);
let uniqueIntervals = new Float64Array(64);
let runBytes = Buffer.alloc(64 * POINT_SIZE);
/** runBytes as a DataView: its setters compile to a store or two, where Buffer's writeUInt32BE and writeDoubleBE are calls with range checks. */
let runView = viewOf(runBytes);
let runStart = new Float64Array(64);
let runByte = new Uint32Array(65);
let neighborBuf = Buffer.alloc(64 * POINT_SIZE);
let neighborValues = new Float64Array(64);
let neighborKnown = new Uint8Array(64);
const word = Buffer.alloc(POINT_SIZE);

function ensure(n: number): void {
  if (sortedTs.length >= n) return;
  const size = Math.max(n, sortedTs.length * 2);
  sortedTs = new Float64Array(size);
  sortedVs = new Float64Array(size);
  order = new Uint32Array(size);
  aligned = new Float64Array(size);
  lowerIntervals = new Float64Array(size);
  uniqueIntervals = new Float64Array(size);
  runBytes = Buffer.alloc(size * POINT_SIZE);
  runView = viewOf(runBytes);
  runStart = new Float64Array(size);
  runByte = new Uint32Array(size + 1);
}

/**
 * The start of the interval of `step` seconds holding `t`: `t - t % step` for whole t in 0..MAX_TIMESTAMP
 * and whole step >= 1. On doubles V8 compiles `%` to a call to fmod, once per point (a fifth of a
 * 60-point write in update.bench.ts); a division, a floor and a product are three instructions, and
 * exact here: t / step is never within rounding of the next integer (that would take t near 2^53).
 */
export function intervalStart(t: number, step: number): number {
  return step * Math.floor(t / step);
}

function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Python's `a % b` for b > 0: the result takes the sign of the divisor. */
function pymod(a: number, b: number): number {
  const r = a % b;
  return r < 0 ? r + b : r;
}

/**
 * Writes points into the whisper file at `path`, like whisper.update_many(path, points, now).
 * Timestamps are truncated to integers; points older than the file's longest retention are dropped;
 * points newer than `now` are kept (whisper.update_many keeps them, only update() refuses them).
 * Two points with the same timestamp: the one given first wins, as in whisper — callers wanting
 * "last write wins" (carbon's cache) deduplicate before calling.
 */
export function updateMany(
  path: string,
  timestamps: ArrayLike<number>,
  values: ArrayLike<number>,
  now: number,
): void {
  if (timestamps.length === 0) return;
  const fd = openSync(path, 'r+');
  try {
    updateManyFd(fd, path, timestamps, values, now);
  } finally {
    closeSync(fd);
  }
}

/**
 * updateMany on an open file descriptor; `path` only names the file in errors. `fileSize`, when the
 * caller has just fstat'ed the file, saves the header read its own fstat.
 */
export function updateManyFd(
  fd: number,
  path: string,
  timestamps: ArrayLike<number>,
  values: ArrayLike<number>,
  now: number,
  fileSize?: number,
): void {
  if (timestamps.length === 0) return;
  const read = readHeaderBytes(fd, path, fileSize);
  updateManyWithHeader(fd, read.header, firstBaseIn(read.header, read.bytes), timestamps, values, now);
}

/**
 * The first archive's base interval (the interval in its first slot) as `bytes`, the start of the file,
 * hold it, or -1 when they do not reach it. The first archive starts right after the header, so the
 * header read (512 bytes at least) usually holds it: one pread fewer per update.
 */
export function firstBaseIn(header: WhisperHeader, bytes: Buffer): number {
  const first = header.archives[0];
  return first.offset + 4 <= bytes.length ? bytes.readUInt32BE(first.offset) : -1;
}

/**
 * updateMany on an open file whose header is known. `firstBase`: the first archive's base interval as
 * last seen (firstBaseIn), or -1 to read it. Returns the first archive's base after the update, or -1
 * when this update did not learn it.
 *
 * A base interval seen once stays good for this file: it changes only when the archive wraps round and
 * its first slot is written again, and then by a whole multiple of the archive's span, which maps every
 * interval to the same slot. So a caller holding the file open may keep the header and the base between
 * updates (OpenFiles does) and an update costs only its writes.
 */
export function updateManyWithHeader(
  fd: number,
  header: WhisperHeader,
  firstBase: number,
  timestamps: ArrayLike<number>,
  values: ArrayLike<number>,
  now: number,
): number {
  const n = timestamps.length;
  if (values.length !== n)
    throw new RangeError(`${n} timestamps but ${values.length} values; want one value per timestamp`);
  if (n === 0) return firstBase;
  ensure(n);
  // Python sorts newest first (stable), then reverses each archive's share: ascending timestamps,
  // equal timestamps in reverse input order. Sorting indices by (timestamp asc, index desc) is that.
  let ascending = true;
  for (let i = 0; i < n; i++) {
    const t = Math.trunc(timestamps[i]);
    if (!(t >= 0 && t <= MAX_TIMESTAMP))
      throw new RangeError(`point ${i}: timestamp ${timestamps[i]} is outside 0..${MAX_TIMESTAMP}`);
    order[i] = i;
    if (i > 0 && t <= Math.trunc(timestamps[i - 1])) ascending = false;
  }
  if (!ascending) {
    order.subarray(0, n).sort((a, b) => Math.trunc(timestamps[a]) - Math.trunc(timestamps[b]) || b - a);
  }
  for (let i = 0; i < n; i++) {
    sortedTs[i] = Math.trunc(timestamps[order[i]]);
    sortedVs[i] = +values[order[i]];
  }

  // Only the first archive's base is passed in: nothing in this call writes it before it is updated
  // (its points come first, and propagation only writes coarser archives), whereas a coarser archive's
  // base may change under propagation from this very call.
  const archives = header.archives;
  now = Math.trunc(now);
  let archiveIndex = 0;
  let groupEnd = n; // exclusive end of the current archive's points, walking newest to oldest
  let base = firstBase;
  for (let k = n - 1; k >= 0; k--) {
    const age = now - sortedTs[k];
    while (archives[archiveIndex].retention < age) {
      if (groupEnd > k + 1) {
        const used = archiveUpdateMany(fd, header, archiveIndex, k + 1, groupEnd, firstBase);
        if (archiveIndex === 0) base = used;
      }
      groupEnd = k + 1;
      archiveIndex++;
      if (archiveIndex >= archives.length) return base; // the rest is older than every archive
    }
  }
  if (groupEnd > 0) {
    const used = archiveUpdateMany(fd, header, archiveIndex, 0, groupEnd, firstBase);
    if (archiveIndex === 0) base = used;
  }
  return base;
}

function readU32(fd: number, position: number): number {
  readSync(fd, word, 0, 4, position);
  return word.readUInt32BE(0);
}

/**
 * __archive_update_many for sortedTs/sortedVs[lo, hi), already in chronological order. `firstBase`:
 * archive 0's base interval as known, or -1 to read it. Returns the archive's base after the update.
 */
function archiveUpdateMany(
  fd: number,
  header: WhisperHeader,
  index: number,
  lo: number,
  hi: number,
  firstBase: number,
): number {
  const archive = header.archives[index];
  const step = archive.secondsPerPoint;
  for (let i = lo; i < hi; i++) aligned[i] = intervalStart(sortedTs[i], step);

  // Pack contiguous runs of intervals; of points sharing an interval the last one counts. Like
  // whisper, a run is closed by the first gap and its start is derived from its last interval; the
  // `not previousInterval` test makes an interval of 0 (the first step of 1970) never close a run.
  let runs = 0;
  let bytes = 0;
  let runFirstByte = 0;
  let previous = 0;
  for (let i = lo; i < hi; i++) {
    if (i + 1 < hi && aligned[i] === aligned[i + 1]) continue;
    const interval = aligned[i];
    if (previous !== 0 && interval !== previous + step) {
      runStart[runs] = previous - step * ((bytes - runFirstByte) / POINT_SIZE - 1);
      runByte[runs] = runFirstByte;
      runs++;
      runFirstByte = bytes;
    }
    runView.setUint32(bytes, interval);
    runView.setFloat64(bytes + 4, sortedVs[i]);
    bytes += POINT_SIZE;
    previous = interval;
  }
  runStart[runs] = previous - step * ((bytes - runFirstByte) / POINT_SIZE - 1);
  runByte[runs] = runFirstByte;
  runs++;
  runByte[runs] = bytes;

  let base = index === 0 && firstBase >= 0 ? firstBase : readU32(fd, archive.offset);
  if (base === 0) base = runStart[0];
  const archiveEnd = archive.offset + archive.size;
  for (let r = 0; r < runs; r++) {
    const offset = archive.offset + pymod(Math.floor((runStart[r] - base) / step) * POINT_SIZE, archive.size);
    writeWrapped(fd, archive, offset, archiveEnd, runByte[r], runByte[r + 1]);
  }

  // Propagate to every coarser archive, stopping at the first that takes no point.
  let higher = archive;
  for (const lower of header.archives) {
    if (lower.secondsPerPoint <= archive.secondsPerPoint) continue;
    const lowerStep = lower.secondsPerPoint;
    const count = hi - lo;
    for (let i = 0; i < count; i++) {
      const t = aligned[lo + i];
      lowerIntervals[i] = intervalStart(t, lowerStep);
    }
    const unique = pythonSetOrder(lowerIntervals, count, uniqueIntervals);
    let propagated = false;
    for (let u = 0; u < unique; u++) {
      if (propagate(fd, header, uniqueIntervals[u], higher, lower)) propagated = true;
    }
    if (!propagated) break;
    higher = lower;
  }
  return base;
}

/**
 * Writes runBytes[from, to) at `offset`, continuing at the archive's start when it reaches the end.
 * whisper wraps once and would run into the next archive if a run is longer than the archive (only
 * possible with far-future points); we keep wrapping inside the archive instead, so the newest
 * points win their slots and neighbouring archives are never touched.
 */
function writeWrapped(
  fd: number,
  archive: ArchiveInfo,
  offset: number,
  archiveEnd: number,
  from: number,
  to: number,
): void {
  while (from < to) {
    const n = Math.min(to - from, archiveEnd - offset);
    writeSync(fd, runBytes, from, n, offset);
    from += n;
    offset = archive.offset;
  }
}

/** __propagate: aggregates one lower-archive interval from the higher archive; true if written. */
function propagate(
  fd: number,
  header: WhisperHeader,
  timestamp: number,
  higher: ArchiveInfo,
  lower: ArchiveInfo,
): boolean {
  const lowerIntervalStart = intervalStart(timestamp, lower.secondsPerPoint);
  const higherBase = readU32(fd, higher.offset);
  let firstOffset = higher.offset;
  if (higherBase !== 0) {
    const distance = Math.floor((lowerIntervalStart - higherBase) / higher.secondsPerPoint);
    firstOffset = higher.offset + pymod(distance * POINT_SIZE, higher.size);
  }
  const higherPoints = Math.floor(lower.secondsPerPoint / higher.secondsPerPoint);
  const relativeFirst = firstOffset - higher.offset;
  const lastOffset = higher.offset + ((relativeFirst + higherPoints * POINT_SIZE) % higher.size);
  let length: number;
  if (firstOffset < lastOffset) {
    length = lastOffset - firstOffset;
    if (neighborBuf.length < length) neighborBuf = Buffer.alloc(length);
    readSync(fd, neighborBuf, 0, length, firstOffset);
  } else {
    const tail = higher.offset + higher.size - firstOffset;
    length = tail + (lastOffset - higher.offset);
    if (neighborBuf.length < length) neighborBuf = Buffer.alloc(length);
    readSync(fd, neighborBuf, 0, tail, firstOffset);
    readSync(fd, neighborBuf, tail, length - tail, higher.offset);
  }
  const points = length / POINT_SIZE;
  if (neighborValues.length < points) {
    neighborValues = new Float64Array(points);
    neighborKnown = new Uint8Array(points);
  }
  let known = 0;
  let expected = lowerIntervalStart;
  for (let i = 0; i < points; i++) {
    const at = i * POINT_SIZE;
    if (neighborBuf.readUInt32BE(at) === expected) {
      neighborValues[i] = neighborBuf.readDoubleBE(at + 4);
      neighborKnown[i] = 1;
      known++;
    } else {
      neighborValues[i] = 0;
      neighborKnown[i] = 0;
    }
    expected += higher.secondsPerPoint;
  }
  if (known === 0) return false;
  if (!(known / points >= header.xFilesFactor)) return false;

  const value = aggregate(header.aggregationMethod, neighborValues, neighborKnown, points);
  const lowerBase = readU32(fd, lower.offset);
  let offset = lower.offset;
  if (lowerBase !== 0) {
    const distance = Math.floor((lowerIntervalStart - lowerBase) / lower.secondsPerPoint);
    offset = lower.offset + pymod(distance * POINT_SIZE, lower.size);
  }
  word.writeUInt32BE(lowerIntervalStart, 0);
  word.writeDoubleBE(value, 4);
  writeSync(fd, word, 0, POINT_SIZE, offset);
  return true;
}
