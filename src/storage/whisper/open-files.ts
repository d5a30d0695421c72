import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { readHeaderBytes, type WhisperHeader } from './format.js';
import { firstBaseIn, updateManyWithHeader } from './update.js';

/**
 * Whisper files kept open between writes, by path. Opening and closing a file at each write was 35 % of a write thread's time in
 * bench/ingest (open 25 %, close 11 %), a syscall being ~2-5 µs on this machine. carbon opens the file
 * at every update.
 *
 * A file held open is verified when opened and again at its first write after REVERIFY_MS: an fstat,
 * which says whether it is still the file at its path (deleted, or replaced by a rename as whisper-resize
 * does, it has no link left, and is closed and opened again by name) and gives its size. The header is
 * read again (and checked against that size) when the size changed, or when it was last read
 * HEADER_REREAD_MS ago. Between verifications a write uses the header and the first archive's base
 * interval kept from before (update.ts says why the base stays good), and costs only its pwrite: in
 * bench/ingest a write was fstat ~2.2 µs, header pread ~2 µs and pwrite ~3 µs of syscalls. So a file
 * written several times a second is verified once a second; one written every interval, as agents
 * send, at every write, and its header read once a minute (a 60-point write to a held file on one
 * thread: 9-15 µs; with the fstat 13-18 µs; with the header read too 18-28 µs, on this project's VMs).
 * What the windows cost: for up to REVERIFY_MS after an operator deletes or replaces a file, points may
 * go to the old one (whisper-resize loses the points written during its own run the same way, with
 * carbon too), and a header edited in place (whisper-set-aggregation-method, whisper-set-xfilesfactor:
 * they change how points propagate to lower archives) is seen up to HEADER_REREAD_MS later. carbon
 * re-reads the header at every update, or never with whisper's CACHE_HEADERS.
 *
 * Files are opened with O_NOATIME where the kernel allows it (Linux, our own files): with relatime,
 * reading a file written since its last read updates its atime, a journalled inode write, ~1.3 µs on
 * each header read here. The writer's reads are not what an operator's atime means.
 *
 * When full, a held file is closed to make room only if it has not been written for
 * IDLE_BEFORE_CLOSE_MS; otherwise the new file is opened and closed for this write alone. Metrics are
 * written in rounds, so plain LRU with more metrics than room would close every file just before its
 * next write; this way the files held stay held and the rest cost what they cost without the cache.
 * A write only stamps its file's `used`: keeping the Map in LRU order (a delete and a set per write)
 * cost two of the three Map operations of a write, ~8 % of a write thread's time in bench/ingest.
 * Finding an idle file then takes a scan, done only when full and at most once a second while none is.
 */
export class OpenFiles {
  /** Path -> the file held open, in the order opened. */
  private readonly files = new Map<string, HeldFile>();
  /** OpenFiles' clock before which a full cache does not look for an idle file again. */
  private noRoomUntil = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly capacity: number,
    private readonly now: () => number = performance.now.bind(performance),
    private readonly reverifyMs = REVERIFY_MS,
    private readonly headerRereadMs = HEADER_REREAD_MS,
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
      file = {
        fd: openForUpdate(path),
        used: t,
        verifiedAt: 0,
        header: undefined,
        headerAt: 0,
        size: -1,
        firstBase: -1,
      };
      if (keep) this.files.set(path, file);
    } else {
      file.used = t;
    }
    const fd = file.fd;
    try {
      if (file.header === undefined || t - file.verifiedAt >= this.reverifyMs) {
        const stat = fstatSync(fd);
        if (stat.nlink === 0) {
          this.forget(path, fd);
          return false;
        }
        if (
          file.header === undefined ||
          stat.size !== file.size ||
          t - file.headerAt >= this.headerRereadMs
        ) {
          const read = readHeaderBytes(fd, path, stat.size);
          file.header = read.header;
          file.firstBase = firstBaseIn(read.header, read.bytes);
          file.headerAt = t;
          file.size = stat.size;
        }
        file.verifiedAt = t;
      }
      file.firstBase = updateManyWithHeader(fd, file.header, file.firstBase, timestamps, values, now);
      if (!keep) closeSync(fd);
      return true;
    } catch (err) {
      this.forget(path, fd);
      throw err;
    }
  }

  /**
   * Holds `fd`, a file just created at `path` with `header` (create.ts createOpen), as if opened and
   * verified now: its first write costs only its pwrite. Its first archive's base is 0, as every slot
   * of a new file is zero. `size`: the file's size, when known, so its next check need not read the
   * header again. Without room, the file is closed and false returned (the next write opens it by name).
   */
  adopt(path: string, fd: number, header: WhisperHeader, size = -1): boolean {
    const t = this.now();
    if (this.files.has(path) || !this.room(t)) {
      closeSync(fd);
      return false;
    }
    this.files.set(path, { fd, used: t, verifiedAt: t, header, headerAt: t, size, firstBase: 0 });
    return true;
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
    for (const [path, file] of this.files) {
      if (t - file.used < IDLE_BEFORE_CLOSE_MS) continue;
      this.forget(path, file.fd);
      closed++;
    }
    return closed;
  }

  /** True when a new file may be held: there is room, or a held file is idle and goes. */
  private room(t: number): boolean {
    if (this.files.size < this.capacity) return true;
    if (t < this.noRoomUntil) return false;
    for (const [path, file] of this.files) {
      if (t - file.used < IDLE_BEFORE_CLOSE_MS) continue;
      this.forget(path, file.fd);
      return true;
    }
    this.noRoomUntil = t + 1000;
    return false;
  }

  private forget(path: string, fd: number): void {
    if (this.files.get(path)?.fd === fd) this.files.delete(path);
    closeSync(fd);
  }
}

/** A file held open but not written for this long is closed (at once when room is needed). */
export const IDLE_BEFORE_CLOSE_MS = 60_000;

/** A file held open is checked again (fstat) at its first write after this long. */
export const REVERIFY_MS = 1000;

/** ...and its header read again at the first check after this long (or when its size changed). */
export const HEADER_REREAD_MS = 60_000;

interface HeldFile {
  fd: number;
  /** When last written (OpenFiles' clock). */
  used: number;
  /** When last verified: fstat'ed (and its header read, if due). */
  verifiedAt: number;
  header: WhisperHeader | undefined;
  /** When the header was last read. */
  headerAt: number;
  /** The file's size when the header was last read; -1 when not known. */
  size: number;
  /** The first archive's base interval as last known, or -1 (update.ts, updateManyWithHeader). */
  firstBase: number;
}

/** O_NOATIME is refused (EPERM) on files of other users without CAP_FOWNER: then a plain open. */
const NOATIME = constants.O_NOATIME ?? 0;

function openForUpdate(path: string): number {
  if (NOATIME !== 0) {
    try {
      return openSync(path, constants.O_RDWR | NOATIME);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    }
  }
  return openSync(path, 'r+');
}
