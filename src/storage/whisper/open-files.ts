import { closeSync, fstatSync, openSync } from 'node:fs';
import { updateManyFd } from './update.js';

/**
 * Whisper files kept open between writes, by path. A write to a file held open costs an fstat, the
 * header read and the writes; opening and closing it each time was 35 % of a write thread's time in
 * bench/ingest (open 25 %, close 11 %), a syscall being ~2-5 µs on this machine. carbon opens the file
 * at every update.
 *
 * The fstat (which the header read needs for the file's size anyway) also says whether the file held
 * open is still the one at its path: deleted, or replaced by a rename (whisper-resize writes a new
 * file and renames it over the old one), it has no link left, and is closed and opened again by name.
 * The header is read at every write, so tools that edit it in place (whisper-set-aggregation-method)
 * are seen at once.
 *
 * When full, the least recently written file is closed only if it has not been written for
 * IDLE_BEFORE_CLOSE_MS; otherwise the new file is opened and closed for this write alone. Metrics are
 * written in rounds, so plain LRU with more metrics than room would close every file just before its
 * next write; this way the files held stay held and the rest cost what they cost without the cache.
 */
export class OpenFiles {
  /** Path -> descriptor and when it was last written, least recently written first. */
  private readonly files = new Map<string, { fd: number; used: number }>();

  constructor(
    private readonly capacity: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new Error(`BUG: ${capacity} open files`);
  }

  /** Files held open. */
  get size(): number {
    return this.files.size;
  }

  /** True when the file at `path` is held open. */
  holds(path: string): boolean {
    return this.files.has(path);
  }

  /**
   * update_many on the file at `path`, opened now or held open from before. False when the file held
   * open is no longer at `path` (nothing written; it is closed). Throws as updateMany does; the file is
   * then closed, so the next write opens it afresh.
   */
  update(path: string, timestamps: ArrayLike<number>, values: ArrayLike<number>, now: number): boolean {
    const t = this.now();
    let file = this.files.get(path);
    let keep = true;
    if (file === undefined) {
      keep = this.room(t);
      file = { fd: openSync(path, 'r+'), used: t };
      if (keep) this.files.set(path, file);
    } else {
      // Most recently written last in the Map's order.
      this.files.delete(path);
      file.used = t;
      this.files.set(path, file);
    }
    const fd = file.fd;
    try {
      const stat = fstatSync(fd);
      if (stat.nlink === 0) {
        this.forget(path, fd);
        return false;
      }
      updateManyFd(fd, path, timestamps, values, now, stat.size);
      if (!keep) closeSync(fd);
      return true;
    } catch (err) {
      this.forget(path, fd);
      throw err;
    }
  }

  /** Closes every file held open. */
  closeAll(): void {
    for (const { fd } of this.files.values()) closeSync(fd);
    this.files.clear();
  }

  /**
   * Closes the files not written for IDLE_BEFORE_CLOSE_MS. The write threads call it every half of
   * that: a metric an operator deletes to free its disk space, and that gets no more points, would
   * otherwise keep its blocks allocated for as long as its file stayed open.
   */
  closeIdle(): number {
    const t = this.now();
    let closed = 0;
    // Least recently written first: stop at the first one written lately.
    for (const [path, file] of this.files) {
      if (t - file.used < IDLE_BEFORE_CLOSE_MS) break;
      this.forget(path, file.fd);
      closed++;
    }
    return closed;
  }

  /** True when a new file may be held: there is room, or the least recently written is idle and goes. */
  private room(t: number): boolean {
    if (this.files.size < this.capacity) return true;
    const oldest = this.files.entries().next();
    if (oldest.done || t - oldest.value[1].used < IDLE_BEFORE_CLOSE_MS) return false;
    this.forget(oldest.value[0], oldest.value[1].fd);
    return true;
  }

  private forget(path: string, fd: number): void {
    if (this.files.get(path)?.fd === fd) this.files.delete(path);
    closeSync(fd);
  }
}

/** A file held open but not written for this long is closed (at once when room is needed). */
export const IDLE_BEFORE_CLOSE_MS = 60_000;
