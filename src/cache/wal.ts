import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { PointBatch } from '../ingest/batch.js';
import { DEFAULT_POINT_LIMITS, type PointLimits } from '../ingest/datapoint.js';
import type { LineError } from '../ingest/plaintext/parse.js';
import { createLogger, type Logger } from '../log.js';
import type { PointLog } from './cache.js';
import { BlockBuilder, readSegment, SEGMENT_HEADER } from './wal-format.js';

/** WriteAheadLog settings. */
export interface WalOptions {
  /** The WAL directory (created when missing). Nothing else should write there. */
  dir: string;
  /** Milliseconds between writes of buffered points to the open segment: the most a crash loses. */
  flushInterval?: number;
  /** fdatasync after each write, so a power cut loses no more than kill -9 does. Default true. */
  fsync?: boolean;
  /** Rotate the open segment once it is this large (bytes). Default 64 MiB. */
  segmentBytes?: number;
  /** Rotate the open segment once it is this old (ms), so persisted data does not linger. Default 60 s. */
  segmentMaxAge?: number;
  /** Buffered bytes kept for retry while writes fail (disk full); beyond, the oldest are dropped. */
  maxPendingBytes?: number;
  /**
   * Limits that raw plaintext lines are parsed under at replay: the plaintext receivers' own, so replay
   * gives back the points they accepted. Default DEFAULT_POINT_LIMITS.
   */
  limits?: Partial<PointLimits>;
  logger?: Logger;
}

/** What replay feeds and what decides when segments can go: the cache (MetricCache implements it). */
export interface WalTarget {
  restore(name: string, timestamp: number, value: number, segment: number): void;
  /** The oldest segment id still holding unpersisted points, or Infinity when none does. */
  oldestSegment(): number;
}

/** What `open` found in the directory. */
export interface ReplayReport {
  segments: number;
  points: number;
  corruptBlocks: number;
  tornTails: number;
  badSegments: number;
  /** Raw plaintext lines refused by `limits` (possible only when they changed since the lines were logged). */
  refusedLines: number;
}

const SEGMENT_NAME = /^(\d{20})\.wal$/;

function segmentFile(id: number): string {
  return `${String(id).padStart(20, '0')}.wal`;
}

/**
 * The write-ahead log (docs/wal.md): every accepted point is appended to an in-memory block, written to
 * the open segment every flushInterval and fdatasync'd, so kill -9 loses at most about one interval.
 * Segments rotate by size or age, and a closed segment is deleted once no unpersisted point needs it.
 * Replay at `open` feeds the cache before listeners open.
 */
export class WriteAheadLog implements PointLog {
  private readonly dir: string;
  private readonly flushInterval: number;
  private readonly fsync: boolean;
  private readonly segmentBytes: number;
  private readonly segmentMaxAge: number;
  private readonly maxPendingBytes: number;
  private readonly limits: PointLimits;
  private readonly logger: Logger;
  private builder = new BlockBuilder();
  /** Blocks taken from the builder but not yet written (a failed write keeps them here). */
  private pending: Buffer[] = [];
  private pendingPoints = 0;
  private target: WalTarget | undefined;
  private fh: FileHandle | undefined;
  private openedAt = 0;
  private position = 0;
  /** Closed segments on disk, id -> bytes. */
  private readonly closed = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private opening: Promise<ReplayReport> | undefined;
  private closing: Promise<void> | undefined;
  private state: 'new' | 'open' | 'closed' = 'new';
  /** state === 'open', as a plain boolean for the per-point check. */
  private accepting = false;
  /** Kept out of `counters`: one field increment per accepted point. */
  private appendedPoints = 0;
  private _segment = 0;
  private readonly counters = {
    writtenPoints: 0,
    writtenBytes: 0,
    flushes: 0,
    flushErrors: 0,
    droppedPoints: 0,
    skippedPoints: 0,
    deletedSegments: 0,
    replayedPoints: 0,
    replayRefusedLines: 0,
    corruptBlocks: 0,
    tornTails: 0,
    lastFlushMs: 0,
  };

  constructor(opts: WalOptions) {
    this.dir = opts.dir;
    this.flushInterval = opts.flushInterval ?? 1000;
    this.fsync = opts.fsync ?? true;
    this.segmentBytes = opts.segmentBytes ?? 64 << 20;
    this.segmentMaxAge = opts.segmentMaxAge ?? 60_000;
    this.maxPendingBytes = opts.maxPendingBytes ?? 256 << 20;
    this.limits = { ...DEFAULT_POINT_LIMITS, ...opts.limits };
    this.logger = opts.logger ?? createLogger('wal');
    if (!(this.flushInterval > 0))
      throw new Error(`flushInterval got ${this.flushInterval}; want ms above 0`);
  }

  /** Id of the segment the next flush writes to. */
  get segment(): number {
    return this._segment;
  }

  /**
   * Replays every segment in the directory into `target` (in id order, each point with its segment's id),
   * then opens a new segment and starts flushing. Safe to call twice. Damage is counted and logged, never
   * thrown; only a directory that cannot be read or written fails the start.
   */
  open(target: WalTarget): Promise<ReplayReport> {
    this.opening ??= this.replayAndOpen(target);
    return this.opening;
  }

  /**
   * Logs the batch's points: as one raw record of its plaintext lines when it carries them (one copy of
   * the bytes received instead of encoding each point), else one record per point.
   */
  appendBatch(batch: PointBatch): void {
    const { names, timestamps, values, length } = batch;
    if (
      this.accepting &&
      batch.rawLines.length > 0 &&
      this.builder.appendLines(batch.rawNow, batch.rawLines, length)
    ) {
      this.appendedPoints += length;
      return;
    }
    if (!this.accepting) {
      for (let i = 0; i < length; i++) this.skip(names[i]);
      return;
    }
    const builder = this.builder;
    let appended = 0;
    for (let i = 0; i < length; i++) {
      if (builder.append(names[i], timestamps[i], values[i])) appended++;
      else this.skip(names[i]);
    }
    this.appendedPoints += appended;
  }

  append(name: string, timestamp: number, value: number): void {
    if (!this.accepting || !this.builder.append(name, timestamp, value)) {
      this.skip(name);
      return;
    }
    this.appendedPoints++;
  }

  private skip(name: string): void {
    this.counters.skippedPoints++;
    this.logger.limited(
      'skip',
      this.state !== 'open'
        ? `point for ${name} not logged: the WAL is ${this.state === 'new' ? 'not open yet' : 'closed'}`
        : `point for ${JSON.stringify(name.slice(0, 80))} not logged: name empty or over 65535 bytes`,
    );
  }

  /**
   * Writes every point appended so far to the open segment (fdatasync'd with `fsync`), rotates the segment
   * when due, and deletes segments nothing needs any more. Flushes run one at a time, in call order.
   */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.flushNow());
    this.chain = run.catch(() => {});
    return run;
  }

  /**
   * Writes what is buffered, closes the open segment and deletes every segment no unpersisted point needs
   * — all of them after the writer has drained the cache. Later appends are counted as skipped.
   */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    // Closing while open() replays: let it finish, then close what it opened.
    if (this.opening) await this.opening.catch(() => {});
    if (this.state !== 'open') {
      this.state = 'closed';
      return;
    }
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Stop taking points first, so nothing lands in the buffer after the last flush.
    this.state = 'closed';
    this.accepting = false;
    await this.flush().catch(() => {});
    if (this.fh) {
      await this.fh.close();
      this.closed.set(this._segment, this.position);
      this.fh = undefined;
      this.position = 0;
    }
    await this.collect();
  }

  /** WAL figures for the self-metrics; wal.segments and wal.bytes are levels, the rest counters. */
  stats(): Record<string, number> {
    let bytes = this.position;
    for (const b of this.closed.values()) bytes += b;
    const out: Record<string, number> = {
      'wal.segments': this.closed.size + (this.fh ? 1 : 0),
      'wal.bytes': bytes,
      'wal.appendedPoints': this.appendedPoints,
    };
    for (const [k, v] of Object.entries(this.counters)) out[`wal.${k}`] = v;
    return out;
  }

  private async replayAndOpen(target: WalTarget): Promise<ReplayReport> {
    this.target = target;
    await mkdir(this.dir, { recursive: true });
    const ids = (await readdir(this.dir))
      .map((name) => SEGMENT_NAME.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const report: ReplayReport = {
      segments: 0,
      points: 0,
      corruptBlocks: 0,
      tornTails: 0,
      badSegments: 0,
      refusedLines: 0,
    };
    const readOptions = {
      limits: this.limits,
      // Only when the limits changed between the crash and this start: those points are lost, as a
      // receiver running under the new limits would have refused them.
      refused: (e: LineError) =>
        this.logger.limited('replayRefused', `replay refused a logged line (limits changed?): ${e.error}`),
    };
    for (const id of ids) {
      const path = join(this.dir, segmentFile(id));
      const bytes = await readFile(path);
      const r = readSegment(bytes, (name, ts, value) => target.restore(name, ts, value, id), readOptions);
      report.segments++;
      report.points += r.points;
      report.refusedLines += r.refusedLines;
      report.corruptBlocks += r.corruptBlocks;
      if (r.tornTail) report.tornTails++;
      for (const problem of r.problems.slice(0, 10)) this.logger.warn(`${path}: ${problem}`);
      if (r.problems.length > 10) this.logger.warn(`${path}: ${r.problems.length - 10} more problems`);
      if (r.badHeader) {
        // Not ours or mangled from the start: keep it for an operator, out of the way of the next replay.
        report.badSegments++;
        await rename(path, `${path}.corrupt`);
        continue;
      }
      this.closed.set(id, bytes.length);
    }
    this.counters.replayedPoints = report.points;
    this.counters.replayRefusedLines = report.refusedLines;
    this.counters.corruptBlocks = report.corruptBlocks;
    this.counters.tornTails = report.tornTails;
    if (report.segments > 0)
      this.logger.info(
        `replayed ${report.points} points from ${report.segments} segments in ${this.dir}` +
          ` (${report.corruptBlocks} corrupt blocks, ${report.tornTails} torn tails)`,
      );
    await this.openSegment((ids.length ? ids[ids.length - 1] : 0) + 1);
    this.state = 'open';
    this.accepting = true;
    await this.collect();
    this.timer = setInterval(() => {
      this.flush().catch(() => {});
    }, this.flushInterval);
    this.timer.unref();
    return report;
  }

  private async openSegment(id: number): Promise<void> {
    const fh = await open(join(this.dir, segmentFile(id)), 'wx');
    await fh.write(SEGMENT_HEADER, 0, SEGMENT_HEADER.length, 0);
    this.fh = fh;
    this._segment = id;
    this.position = SEGMENT_HEADER.length;
    this.openedAt = Date.now();
  }

  private async flushNow(): Promise<void> {
    const fh = this.fh;
    if (fh === undefined) return;
    const points = this.builder.points;
    const fresh = this.builder.take();
    if (fresh.length > 0) {
      this.pending.push(...fresh);
      this.pendingPoints += points;
    }
    if (this.pending.length > 0) {
      const started = performance.now();
      const blocks = this.pending;
      let total = 0;
      for (const b of blocks) total += b.length;
      try {
        const { bytesWritten } = await fh.writev(blocks, this.position);
        // A short write leaves a torn block that replay skips; the next write goes after it.
        this.position += bytesWritten;
        if (bytesWritten !== total) throw new Error(`short write: ${bytesWritten} of ${total} bytes`);
        if (this.fsync) await fh.datasync();
        this.counters.writtenPoints += this.pendingPoints;
        this.counters.writtenBytes += total;
        this.counters.flushes++;
        this.pending = [];
        this.pendingPoints = 0;
      } catch (err) {
        this.counters.flushErrors++;
        this.logger.limited(
          'flush',
          `writing ${this.dir}/${segmentFile(this._segment)}: ${(err as Error).message}`,
        );
        this.dropOverflow(total);
        return;
      } finally {
        this.counters.lastFlushMs = performance.now() - started;
      }
    }
    const hasBlocks = this.position > SEGMENT_HEADER.length;
    if (
      hasBlocks &&
      (this.position >= this.segmentBytes || Date.now() - this.openedAt >= this.segmentMaxAge)
    ) {
      await fh.close();
      this.closed.set(this._segment, this.position);
      this.fh = undefined;
      await this.openSegment(this._segment + 1);
    }
    await this.collect();
  }

  /** While writes fail, keeps at most maxPendingBytes of blocks, dropping (and counting) the oldest. */
  private dropOverflow(total: number): void {
    let bytes = total;
    let dropped = 0;
    while (bytes > this.maxPendingBytes && this.pending.length > 1) {
      bytes -= this.pending.shift()!.length;
      dropped++;
    }
    if (dropped > 0) {
      // Points per block are not kept; this estimate is what the counter can say.
      const estimate = Math.round((this.pendingPoints * (total - bytes)) / total);
      this.pendingPoints -= estimate;
      this.counters.droppedPoints += estimate;
      this.logger.limited('drop', `dropped ${dropped} unwritten WAL blocks (about ${estimate} points)`);
    }
  }

  /** Deletes closed segments older than every segment holding unpersisted points. */
  private async collect(): Promise<void> {
    const oldest = this.target?.oldestSegment() ?? Number.POSITIVE_INFINITY;
    for (const id of [...this.closed.keys()]) {
      if (id >= oldest) continue;
      try {
        await unlink(join(this.dir, segmentFile(id)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.logger.limited('unlink', `deleting ${segmentFile(id)}: ${(err as Error).message}`);
          continue;
        }
      }
      this.closed.delete(id);
      this.counters.deletedSegments++;
    }
  }
}

/** Bytes of every segment file in `dir` (tests and `carbonado top`). */
export async function segmentSizes(dir: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const name of await readdir(dir)) {
    const id = SEGMENT_NAME.exec(name)?.[1];
    if (id !== undefined) out.set(Number(id), (await stat(join(dir, name))).size);
  }
  return out;
}
