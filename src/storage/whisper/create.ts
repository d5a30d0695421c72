import {
  closeSync,
  constants,
  existsSync,
  ftruncateSync,
  linkSync,
  openSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { threadId } from 'node:worker_threads';
import {
  type AggregationMethod,
  encodeHeader,
  headerSize,
  isAggregationMethod,
  POINT_SIZE,
} from './format.js';

/** One archive to create: a precision (seconds per point) and how many points it keeps. */
export interface ArchiveSpec {
  secondsPerPoint: number;
  points: number;
}

/** Options of `create`; defaults are whisper.create's (0.5, 'average', preallocated with zeros). */
export interface CreateOptions {
  xFilesFactor?: number;
  aggregationMethod?: string;
  /** Extend the file without writing zeros (whisper's sparse=True). */
  sparse?: boolean;
}

/** A schema that whisper refuses: bad archive list, aggregation method or xFilesFactor. */
export class WhisperConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WhisperConfigError';
  }
}

const MAX_U32 = 0xffffffff;

/**
 * Checks an archive list the way whisper.validateArchiveList does and returns it sorted by precision
 * (whisper sorts in place; we return a sorted copy). Rules, in whisper's order, per neighbouring pair:
 * distinct precisions; the finer precision divides the coarser; the coarser archive covers a longer
 * time; the finer archive has at least as many points as one coarse point consolidates. Also refuses
 * what whisper would only fail on later inside struct.pack: non-integer, zero or oversized numbers.
 */
export function validateArchiveList(archives: ReadonlyArray<ArchiveSpec>): ArchiveSpec[] {
  if (archives.length === 0) throw new WhisperConfigError('archive list is empty; want at least one archive');
  archives.forEach((a, i) => {
    for (const field of ['secondsPerPoint', 'points'] as const) {
      const v = a[field];
      if (!Number.isInteger(v) || v < 1 || v > MAX_U32)
        throw new WhisperConfigError(`archive ${i}: ${field} is ${v}; want an integer from 1 to ${MAX_U32}`);
    }
  });
  const sorted = archives.map((a) => ({ secondsPerPoint: a.secondsPerPoint, points: a.points }));
  sorted.sort((a, b) => a.secondsPerPoint - b.secondsPerPoint);
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i];
    const b = sorted[i + 1];
    const show = (x: ArchiveSpec) => `${x.secondsPerPoint}s:${x.points}`;
    if (a.secondsPerPoint === b.secondsPerPoint)
      throw new WhisperConfigError(
        `archives ${i} (${show(a)}) and ${i + 1} (${show(b)}) have the same precision; each must differ`,
      );
    if (b.secondsPerPoint % a.secondsPerPoint !== 0)
      throw new WhisperConfigError(
        `archive ${i + 1} precision ${b.secondsPerPoint}s is not a multiple of archive ${i} precision ${a.secondsPerPoint}s`,
      );
    const retention = a.secondsPerPoint * a.points;
    const nextRetention = b.secondsPerPoint * b.points;
    if (!(nextRetention > retention))
      throw new WhisperConfigError(
        `archive ${i + 1} (${show(b)}) covers ${nextRetention}s, not more than archive ${i} (${show(a)}) with ${retention}s`,
      );
    const perConsolidation = b.secondsPerPoint / a.secondsPerPoint;
    if (a.points < perConsolidation)
      throw new WhisperConfigError(
        `archive ${i + 1} consolidates ${perConsolidation} points of archive ${i} but archive ${i} has only ${a.points}`,
      );
  }
  return sorted;
}

/** Checks an aggregation method name and an xFilesFactor as whisper's header writer does. */
export function validateAggregation(aggregationMethod: string, xFilesFactor: number): AggregationMethod {
  if (!isAggregationMethod(aggregationMethod))
    throw new WhisperConfigError(
      `unknown aggregation method '${aggregationMethod}'; want average, sum, last, max, min, avg_zero, absmax or absmin`,
    );
  if (!(xFilesFactor >= 0 && xFilesFactor <= 1))
    throw new WhisperConfigError(`xFilesFactor ${xFilesFactor} is not between 0 and 1`);
  return aggregationMethod;
}

const ZEROES = Buffer.alloc(1 << 16);

/** 'wx+', with O_NOATIME where there is one (a file this process creates is its own): see open-files.ts. */
const READ_WRITE_NEW = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | (constants.O_NOATIME ?? 0);

/**
 * Creates a whisper file at `path` (which must not exist), like whisper.create: header, then every
 * archive preallocated with zero bytes. Everything is validated before the file is opened; if writing
 * fails half way, the partial file is removed.
 */
export function create(
  path: string,
  archives: ReadonlyArray<ArchiveSpec>,
  options: CreateOptions = {},
): void {
  make(path, archives, options, false);
}

/** What `createOpen` made: the file, open for reading and writing, and its header as written. */
export interface CreatedFile {
  fd: number;
  header: Buffer;
  size: number;
}

/**
 * `create`, leaving the new file open (read-write) for the caller, who must close `fd`: a writer that
 * creates a file to write to it at once saves the close, the open, and the fstat and header read that
 * verify a file it opens (open-files.ts). `options.absent`: the caller has just found no file at
 * `path` (the check is then not repeated; link(2) still refuses an existing one).
 */
export function createOpen(
  path: string,
  archives: ReadonlyArray<ArchiveSpec>,
  options: CreateOptions & { absent?: boolean } = {},
): CreatedFile {
  return make(path, archives, options, true);
}

function make(
  path: string,
  archives: ReadonlyArray<ArchiveSpec>,
  options: CreateOptions & { absent?: boolean },
  keepOpen: boolean,
): CreatedFile {
  const xFilesFactor = options.xFilesFactor ?? 0.5;
  const method = validateAggregation(options.aggregationMethod ?? 'average', xFilesFactor);
  const sorted = validateArchiveList(archives);
  const header = encodeHeader(method, xFilesFactor, sorted);
  let total = headerSize(sorted.length);
  for (const a of sorted) total += a.points * POINT_SIZE;
  if (total > Number.MAX_SAFE_INTEGER || total - POINT_SIZE > MAX_U32)
    throw new WhisperConfigError(`archives need ${total} bytes; whisper offsets are 32-bit`);
  // The file is written whole under a temporary name, then linked to its own: a reader (a render
  // polling a metric that is being created) never sees it half made, which whisper.create's in-place
  // write allows and which read as a corrupt file, failing the request. link(2) fails if the name
  // exists, like whisper's "File %s already exists!" and open's 'wx', without a race. A crash between
  // the two leaves only a `*.wsp.<pid>-<thread>-<n>.tmp` file, which no metric lookup reads.
  if (!options.absent && existsSync(path))
    throw Object.assign(new Error(`EEXIST: file already exists, '${path}'`), { code: 'EEXIST' });
  const tmp = `${path}.${process.pid}-${threadId}-${++temporaries}.tmp`;
  const fd = openSync(tmp, keepOpen ? READ_WRITE_NEW : 'wx');
  let open = true;
  let linked = false;
  try {
    writeSync(fd, header, 0, header.length, 0);
    if (options.sparse) {
      ftruncateSync(fd, total);
    } else {
      for (let at = header.length; at < total; ) {
        const n = Math.min(ZEROES.length, total - at);
        at += writeSync(fd, ZEROES, 0, n, at);
      }
    }
    if (!keepOpen) {
      open = false;
      closeSync(fd); // close can fail too (ENOSPC on NFS): then the file is removed like any other failure
    }
    linkSync(tmp, path);
    linked = true;
  } finally {
    if (open && !linked) closeSync(fd);
    unlinkSync(tmp);
  }
  return { fd, header, size: total };
}

/** Temporary files made by this thread, for unique names. */
let temporaries = 0;
