import { fstatSync, readSync } from 'node:fs';

// The whisper 1.1 on-disk layout, all big-endian (python3-whisper 1.1.4, whisper.py's struct formats
// "!2LfL", "!3L" and "!Ld"). Written down in docs/whisper.md.

/** Bytes of the metadata block: aggregationType u32, maxRetention u32, xFilesFactor f32, archiveCount u32. */
export const METADATA_SIZE = 16;
/** Bytes of one archive info entry: offset u32, secondsPerPoint u32, points u32. */
export const ARCHIVE_INFO_SIZE = 12;
/** Bytes of one point: interval (timestamp) u32, value f64. */
export const POINT_SIZE = 12;
/** Timestamps are unsigned 32-bit on disk; whisper.py's struct.pack refuses anything else. */
export const MAX_TIMESTAMP = 0xffffffff;

/** Aggregation methods in the order of their on-disk type numbers (1-based), as whisper.py lists them. */
export const AGGREGATION_METHODS = [
  'average',
  'sum',
  'last',
  'max',
  'min',
  'avg_zero',
  'absmax',
  'absmin',
] as const;

/** How points of a higher-precision archive are combined into one point of the next archive. */
export type AggregationMethod = (typeof AGGREGATION_METHODS)[number];

/** True when `name` is one of whisper's eight aggregation methods. */
export function isAggregationMethod(name: string): name is AggregationMethod {
  return (AGGREGATION_METHODS as readonly string[]).includes(name);
}

/** One archive as the header describes it, with the derived retention and byte size. */
export interface ArchiveInfo {
  /** Byte offset of the archive's first slot in the file. */
  offset: number;
  secondsPerPoint: number;
  points: number;
  /** secondsPerPoint * points: how far back the archive reaches. */
  retention: number;
  /** points * POINT_SIZE. */
  size: number;
}

/** The decoded header of a whisper file (whisper.info's dict). */
export interface WhisperHeader {
  aggregationMethod: AggregationMethod;
  maxRetention: number;
  /** As stored: a float32, so 0.3 reads back as 0.30000001192092896, exactly as whisper.py sees it. */
  xFilesFactor: number;
  archives: ArchiveInfo[];
}

/**
 * A whisper file whose header or size does not describe a usable database: truncated, overwritten, or
 * not a whisper file at all. Names the file and what is wrong, like whisper.py's CorruptWhisperFile.
 */
export class WhisperCorruptError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`corrupt whisper file ${path}: ${problem}`);
    this.name = 'WhisperCorruptError';
  }
}

/** Size of the header (metadata plus archive infos) for `archiveCount` archives. */
export function headerSize(archiveCount: number): number {
  return METADATA_SIZE + ARCHIVE_INFO_SIZE * archiveCount;
}

/**
 * Encodes a header for archives already validated and sorted by precision, laying the archives out
 * back to back after the header as whisper.create does. maxRetention is the largest retention.
 */
export function encodeHeader(
  aggregationMethod: AggregationMethod,
  xFilesFactor: number,
  archives: ReadonlyArray<{ secondsPerPoint: number; points: number }>,
): Buffer {
  const buf = Buffer.alloc(headerSize(archives.length));
  let maxRetention = 0;
  for (const a of archives) maxRetention = Math.max(maxRetention, a.secondsPerPoint * a.points);
  buf.writeUInt32BE(AGGREGATION_METHODS.indexOf(aggregationMethod) + 1, 0);
  buf.writeUInt32BE(maxRetention, 4);
  buf.writeFloatBE(xFilesFactor, 8);
  buf.writeUInt32BE(archives.length, 12);
  let offset = buf.length;
  archives.forEach((a, i) => {
    const at = METADATA_SIZE + i * ARCHIVE_INFO_SIZE;
    buf.writeUInt32BE(offset, at);
    buf.writeUInt32BE(a.secondsPerPoint, at + 4);
    buf.writeUInt32BE(a.points, at + 8);
    offset += a.points * POINT_SIZE;
  });
  return buf;
}

/**
 * Decodes and checks a header. `buf` holds the first bytes of the file (at least the whole header
 * when the file is that long); `fileSize` is the file's length. Beyond whisper.py's own checks
 * (known aggregation type, 0 <= xFilesFactor <= 1) it refuses what would make reads return garbage or
 * crash later: no archives, a zero step or point count, archives overlapping the header or each
 * other, or archives running past the end of the file (a truncated copy).
 */
export function decodeHeader(buf: Buffer, fileSize: number, path: string): WhisperHeader {
  const fail = (problem: string): never => {
    throw new WhisperCorruptError(path, problem);
  };
  if (fileSize < METADATA_SIZE || buf.length < METADATA_SIZE)
    fail(`file is ${fileSize} bytes, shorter than the ${METADATA_SIZE}-byte metadata`);
  const type = buf.readUInt32BE(0);
  const aggregationMethod = AGGREGATION_METHODS[type - 1];
  if (aggregationMethod === undefined) fail(`unknown aggregation type ${type} at byte 0; want 1..8`);
  const maxRetention = buf.readUInt32BE(4);
  const xFilesFactor = buf.readFloatBE(8);
  if (!(xFilesFactor >= 0 && xFilesFactor <= 1))
    fail(`xFilesFactor ${xFilesFactor} at byte 8 is not between 0 and 1`);
  const count = buf.readUInt32BE(12);
  if (count === 0) fail('archive count at byte 12 is 0; a whisper file has at least one archive');
  const end = headerSize(count);
  if (end > fileSize)
    fail(`archive count ${count} needs a ${end}-byte header but the file is ${fileSize} bytes`);
  if (end > buf.length) fail(`BUG: header buffer of ${buf.length} bytes is shorter than the header`);
  const archives: ArchiveInfo[] = [];
  let previousEnd = end;
  for (let i = 0; i < count; i++) {
    const at = METADATA_SIZE + i * ARCHIVE_INFO_SIZE;
    const offset = buf.readUInt32BE(at);
    const secondsPerPoint = buf.readUInt32BE(at + 4);
    const points = buf.readUInt32BE(at + 8);
    if (secondsPerPoint === 0) fail(`archive ${i} (byte ${at + 4}): secondsPerPoint is 0`);
    if (points === 0) fail(`archive ${i} (byte ${at + 8}): points is 0`);
    const size = points * POINT_SIZE;
    if (offset < previousEnd)
      fail(
        `archive ${i} starts at byte ${offset}, inside the header or the previous archive (ends ${previousEnd})`,
      );
    if (offset + size > fileSize)
      fail(
        `archive ${i} spans bytes ${offset}..${offset + size} but the file is ${fileSize} bytes (truncated?)`,
      );
    previousEnd = offset + size;
    archives.push({ offset, secondsPerPoint, points, retention: secondsPerPoint * points, size });
  }
  return { aggregationMethod: aggregationMethod as AggregationMethod, maxRetention, xFilesFactor, archives };
}

// Enough for the header of any file with up to 40 archives in one read; larger headers take a second.
const HEADER_PROBE = 512;
let headerScratch = Buffer.alloc(HEADER_PROBE);
/** Reads and checks the header of the open whisper file `fd` (one fstat and usually one read). */
export function readHeader(fd: number, path: string): WhisperHeader {
  return readHeaderBytes(fd, path).header;
}

/**
 * readHeader, plus the file's first bytes as it read them (the whole header, and at least 512 bytes of
 * a file that long): a view of a shared buffer, valid until the next read. A fetch takes the first
 * archive's base timestamp from there instead of reading it again, as that archive starts right after
 * the header. `fileSize`: the file's size when the caller has just fstat'ed it (else it is fstat'ed here).
 */
export function readHeaderBytes(
  fd: number,
  path: string,
  fileSize: number = fstatSync(fd).size,
): { header: WhisperHeader; bytes: Buffer } {
  let want = Math.min(fileSize, HEADER_PROBE);
  let got = readSync(fd, headerScratch, 0, want, 0);
  if (got >= METADATA_SIZE) {
    const full = headerSize(headerScratch.readUInt32BE(12));
    if (full > got && full <= fileSize) {
      if (headerScratch.length < full) headerScratch = Buffer.alloc(full);
      want = full;
      got = readSync(fd, headerScratch, 0, want, 0);
    }
  }
  const bytes = headerScratch.subarray(0, got);
  return { header: decodeHeader(bytes, fileSize, path), bytes };
}
