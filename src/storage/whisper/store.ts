import { closeSync, type Dirent, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { compileGlob, type GlobMatcher, splitSegments } from '../../query/glob.js';
import type { FetchResult, MetricNode, MetricPoints, PointSource, Store } from '../store.js';
import { type ArchiveSpec, create, createOpen } from './create.js';
import { fetchFd, type ValuesAllocator } from './fetch.js';
import { decodeHeader, readHeaderBytes, type WhisperHeader } from './format.js';
import { info } from './info.js';
import { OpenFiles } from './open-files.js';
import { encodeMetricPath, normalizeTagged } from './tagged.js';
import { updateMany } from './update.js';
import { WhisperWriteThread, type WriteJob } from './write-thread.js';

/** How a new metric's file is laid out (from storage-schemas.conf and storage-aggregation.conf). */
export interface WhisperSchema {
  archives: ArchiveSpec[];
  xFilesFactor: number;
  aggregationMethod: string;
}

/** Options of WhisperStore. */
export interface WhisperStoreOptions {
  /** The data directory (carbon's LOCAL_DATA_DIR): metric a.b.c lives in <root>/a/b/c.wsp. */
  root: string;
  /** The schema for a metric that does not exist yet. */
  schemaFor: (metric: string) => WhisperSchema;
  /** Create files sparse instead of zero-filled (carbon's WHISPER_SPARSE_CREATE). */
  sparse?: boolean;
  /** Epoch seconds used as whisper's `now` on write; defaults to the wall clock. */
  clock?: () => number;
  /** Write on worker threads (write-thread.ts) so file I/O does not hold up the event loop. */
  writeThread?: boolean;
  /** How many write threads, with `writeThread`; default one per core, at most 4. */
  writeThreads?: number;
  /**
   * Files `writeSync` keeps open between writes (open-files.ts); 0 (the default) opens and closes the
   * file at every write. The write threads set it.
   */
  openFiles?: number;
  /** With `openFiles`: a file held open is verified again after this many ms (open-files.ts, REVERIFY_MS). */
  reverifyMs?: number;
  /** With `openFiles`: ...and its header read again after this many (open-files.ts, HEADER_REREAD_MS). */
  headerRereadMs?: number;
}

/**
 * The file of `metric` under `root`: dots become directories, `.wsp` is appended, tagged names go to
 * carbon's `_tagged/` hashed layout. Throws for a name that could escape `root` or is not a path:
 * empty segments, '.' or '..' segments, '/', '\\' or NUL.
 */
export function metricPath(root: string, metric: string): string {
  const bad = (why: string): never => {
    throw new Error(`invalid metric name '${metric.replace(/\0/g, '\\0')}': ${why}`);
  };
  if (metric.length === 0) bad('empty');
  const nul = metric.indexOf('\0');
  if (nul >= 0) bad(`NUL at position ${nul}`);
  if (metric.includes(';')) return join(root, `${encodeMetricPath(normalizeTagged(metric))}.wsp`);
  for (const ch of ['/', '\\']) {
    const at = metric.indexOf(ch);
    if (at >= 0) bad(`'${ch}' at position ${at}`);
  }
  const segments = metric.split('.');
  let position = 0;
  for (const s of segments) {
    if (s.length === 0) bad(`empty segment at position ${position}`);
    position += s.length + 1;
  }
  return join(root, `${segments.join(sep)}.wsp`);
}

/** The whisper file store: one .wsp file per metric under a root directory. */
export class WhisperStore implements Store {
  readonly root: string;
  private readonly schemaFor: (metric: string) => WhisperSchema;
  private readonly sparse: boolean;
  private readonly clock: () => number;
  /**
   * Metrics whose files are known to exist, with their paths (bounded by the number of metrics, as
   * carbon's own caches are): a steady write neither stats the file nor builds its path again.
   */
  private readonly known = new Map<string, string>();
  private readonly knownDirs = new Set<string>();
  /** Metrics written through the write thread: their files exist (by name, no path to build). */
  private readonly written = new Set<string>();
  private readonly thread: WhisperWriteThread | undefined;
  private readonly open: OpenFiles | undefined;
  readonly writesOffThread: boolean;

  constructor(options: WhisperStoreOptions) {
    this.root = options.root;
    this.schemaFor = options.schemaFor;
    this.sparse = options.sparse ?? false;
    this.clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
    this.writesOffThread = options.writeThread === true;
    if (options.openFiles)
      this.open = new OpenFiles(options.openFiles, undefined, options.reverifyMs, options.headerRereadMs);
    if (options.writeThread) {
      if (options.clock) throw new Error('BUG: a write thread uses the wall clock; clock is for tests');
      this.thread = new WhisperWriteThread({
        root: this.root,
        sparse: this.sparse,
        threads: options.writeThreads,
      });
    }
  }

  /**
   * Writes the points, creating the file from the schema first when needed (mkdir -p): on the write
   * thread when the store has one, else right here. Resolves true when it created the file.
   *
   * With a write thread, the main thread neither stats the file nor builds its path: a metric not yet
   * written through this store goes with its schema, and the thread, which checks existence anyway,
   * creates the file only if it is missing. bench/ingest: a stat per new metric and a path per write
   * on the main thread were 9% of its time, taken from the receivers.
   */
  async write(batch: MetricPoints): Promise<boolean> {
    if (!this.thread) return this.writeSync(batch.metric, batch.timestamps, batch.values);
    const job = this.job(batch);
    let created: boolean;
    try {
      created = await this.thread.write(job);
    } catch (err) {
      this.settled(batch.metric, err as Error);
      throw err;
    }
    this.settled(batch.metric, created);
    return created;
  }

  /** `write` of each metric of `points`: with a write thread, one message per thread; outcomes in order, errors as values. */
  async writeMany(points: PointSource): Promise<Array<boolean | Error>> {
    const n = points.length;
    if (this.thread) {
      const outcomes = await this.thread.writeMany(points, (metric) =>
        this.written.has(metric) ? undefined : this.schemaFor(metric),
      );
      for (let i = 0; i < n; i++) this.settled(points.metric(i), outcomes[i]);
      return outcomes;
    }
    const outcomes = new Array<boolean | Error>(n);
    let scratch = new Float64Array(64);
    for (let i = 0; i < n; i++) {
      try {
        const count = points.count(i);
        if (scratch.length < 2 * count) scratch = new Float64Array(2 * count);
        points.copy(i, scratch, 0);
        const timestamps = scratch.subarray(0, count);
        outcomes[i] = this.writeSync(points.metric(i), timestamps, scratch.subarray(count, 2 * count));
      } catch (err) {
        outcomes[i] = err as Error;
      }
    }
    return outcomes;
  }

  /** The write thread's job for `points`: with the schema unless this store has written the metric. */
  private job({ metric, timestamps, values }: MetricPoints): WriteJob {
    return {
      metric,
      timestamps,
      values,
      schema: this.written.has(metric) ? undefined : this.schemaFor(metric),
    };
  }

  /** What a write through the thread tells of the metric's file: there now, or gone (ENOENT). */
  private settled(metric: string, outcome: boolean | Error): void {
    if (!(outcome instanceof Error)) this.written.add(metric);
    else if ((outcome as NodeJS.ErrnoException).code === 'ENOENT') this.written.delete(metric);
  }

  /**
   * Has each write thread write scratch files under `dir` (warm-up.ts), so their write path is compiled
   * before the first real write. Resolves with the failures' messages. A store without write threads
   * writes on the calling thread, which the ingest warm-up warms anyway: nothing to do.
   */
  async warmUpThreads(dir: string, metrics: number, rounds: number): Promise<string[]> {
    return this.thread ? this.thread.warmUp(dir, metrics, rounds) : [];
  }

  /** Ends the write thread once its writes are done. Safe to call twice. */
  async close(): Promise<void> {
    await this.thread?.close();
    this.closeFiles();
  }

  /**
   * The synchronous write behind `write`, also run by the writer thread (write-thread.ts): creates the
   * file from `schema` (default: the store's schemaFor) when it does not exist, then update_many.
   * Existing files and directories are remembered, so a steady write costs open, header read, the
   * archive writes and close — no stat; with `openFiles`, the writes (and, once a second, an fstat and the
   * header read).
   * Returns true when it created the file.
   */
  writeSync(
    metric: string,
    timestamps: ArrayLike<number>,
    values: ArrayLike<number>,
    schema?: WhisperSchema,
  ): boolean {
    if (timestamps.length === 0) return false;
    let path = this.known.get(metric);
    let created = false;
    if (path === undefined) {
      path = metricPath(this.root, metric);
      // In a directory made just now the file cannot be there yet: the access(2) asking is skipped
      // (a tenth of a write thread's time when every metric is new, as in bench/ingest on new files).
      const madeDir = this.makeDir(dirname(path));
      if (madeDir || !existsSync(path)) created = this.createFile(path, schema ?? this.schemaFor(metric));
      this.known.set(metric, path);
    }
    const points = lastWriteWins(timestamps, values);
    try {
      if (this.open === undefined) updateMany(path, points.timestamps, points.values, this.clock());
      else if (!this.open.update(path, points.timestamps, points.values, this.clock())) {
        // The file open here was deleted or replaced (whisper-resize renames a new file over it): the
        // write starts again by name, as if the metric were new.
        this.known.delete(metric);
        return this.writeSync(metric, timestamps, values, schema);
      }
    } catch (err) {
      // Removed behind our back (an operator deleting a metric): forget it so the next write recreates it.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.known.delete(metric);
      throw err;
    }
    return created;
  }

  /** Closes the files kept open for writing (`openFiles`). */
  closeFiles(): void {
    this.open?.closeAll();
  }

  /** Closes the files kept open for writing that were not written for a minute. */
  closeIdleFiles(): void {
    this.open?.closeIdle();
  }

  /** mkdir -p `dir` unless this store knows it exists; true when it made the directory just now. */
  private makeDir(dir: string): boolean {
    if (this.knownDirs.has(dir)) return false;
    const made = mkdirSync(dir, { recursive: true }) !== undefined;
    this.knownDirs.add(dir);
    return made;
  }

  /** Creates the file; false when another writer created it first. */
  private createFile(path: string, schema: WhisperSchema): boolean {
    try {
      return this.createIn(path, schema);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // Its directory went since this store knew it (an operator removing a subtree): made again, once.
      const dir = dirname(path);
      this.knownDirs.delete(dir);
      this.makeDir(dir);
      return this.createIn(path, schema);
    }
  }

  /** Creates the file in its existing directory; false when another writer created it first. */
  private createIn(path: string, schema: WhisperSchema): boolean {
    const options = {
      xFilesFactor: schema.xFilesFactor,
      aggregationMethod: schema.aggregationMethod,
      sparse: this.sparse,
    };
    try {
      if (this.open === undefined) create(path, schema.archives, options);
      else {
        // Held open from here: the write that follows needs no open, fstat or header read.
        const made = createOpen(path, schema.archives, { ...options, absent: true });
        this.open.adopt(path, made.fd, decodeHeader(made.header, made.size, path), made.size);
      }
    } catch (err) {
      // Another writer created it between our check and our create: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return false;
    }
    return true;
  }

  /**
   * Raw data of `metric` (whisper.fetch), or null when it does not exist or the range is out of
   * retention. `alloc`, when given, provides the memory for the values (a request's arena).
   */
  async fetch(
    metric: string,
    from: number,
    until: number,
    now: number,
    alloc?: ValuesAllocator,
  ): Promise<FetchResult | null> {
    const path = metricPath(this.root, metric);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      const { header, bytes } = readHeaderBytes(fd, path);
      const series = fetchFd(fd, header, from, until, now, undefined, alloc, bytes);
      if (!series) return null;
      return {
        metric,
        ...series,
        xFilesFactor: header.xFilesFactor,
        aggregationMethod: header.aggregationMethod,
      };
    } finally {
      closeSync(fd);
    }
  }

  /** True when the metric's file exists. */
  async exists(metric: string): Promise<boolean> {
    if (this.known.has(metric)) return true;
    const path = metricPath(this.root, metric);
    if (!existsSync(path)) return false;
    this.known.set(metric, path);
    return true;
  }

  /** The metric's header (whisper.info), or null when it does not exist. */
  async info(metric: string): Promise<WhisperHeader | null> {
    return info(metricPath(this.root, metric));
  }

  /**
   * Branches and leaves matching a Graphite glob, as graphite-web's StandardFinder finds them: a
   * directory is a branch, a .wsp file a leaf, a name that is both is reported once as each. A
   * tagged name (containing ';') is looked up at its hashed path. Sorted by path, branches first.
   */
  async *find(pattern: string): AsyncIterable<MetricNode> {
    const found = new Map<string, MetricNode>();
    const add = (path: string, isLeaf: boolean) => {
      const key = `${isLeaf ? 'l' : 'b'}${path}`;
      if (!found.has(key)) found.set(key, { path, isLeaf });
    };
    if (!pattern.startsWith('_tagged.') && pattern.includes(';')) {
      // StandardFinder: try the hashed and the readable encodings of the name as given.
      for (const hashOnly of [true, false]) {
        const encoded = encodeMetricPath(pattern, hashOnly);
        // The readable encoding keeps the text: never let a '/' or '\\' in it look outside the root.
        if (!hashOnly && /[/\\\0]/.test(encoded.slice('_tagged/xxx/yyy/'.length))) continue;
        if (isFile(join(this.root, `${encoded}.wsp`))) add(pattern, true);
      }
    } else {
      // graphite-web drops backslashes (escapes) before matching.
      const segments = splitSegments(pattern.replaceAll('\\', ''));
      this.walk(this.root, [], segments.map(compileGlob), 0, add);
    }
    const nodes = [...found.values()].sort((a, b) =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : Number(a.isLeaf) - Number(b.isLeaf),
    );
    yield* nodes;
  }

  private walk(
    dir: string,
    prefix: string[],
    matchers: GlobMatcher[],
    depth: number,
    add: (path: string, isLeaf: boolean) => void,
  ): void {
    const glob = matchers[depth];
    const last = depth === matchers.length - 1;
    const subdirs: string[] = [];
    const leaves: string[] = [];
    if (glob.isLiteral) {
      // No wildcard: stat the candidates instead of listing the directory (as _find_paths does).
      for (const name of glob.literals) {
        // A literal segment is joined to a path: never let '', '/' or NUL walk elsewhere.
        if (name === '' || /[/\0]/.test(name)) continue;
        if (isDir(join(dir, name))) subdirs.push(name);
        if (last && isFile(join(dir, `${name}.wsp`))) leaves.push(name);
      }
    } else {
      for (const entry of list(dir)) {
        const kind = entryKind(dir, entry);
        if (kind === 'dir' && glob.test(entry.name)) subdirs.push(entry.name);
        else if (kind === 'file' && last && entry.name.endsWith('.wsp')) {
          const stem = entry.name.slice(0, -4);
          if (glob.test(stem)) leaves.push(stem);
        }
      }
    }
    if (!last) {
      for (const name of subdirs) this.walk(join(dir, name), [...prefix, name], matchers, depth + 1, add);
      return;
    }
    // StandardFinder skips results whose own name is hidden (a leading '.').
    for (const name of subdirs) if (!name.startsWith('.')) add([...prefix, name].join('.'), false);
    for (const name of leaves) if (!name.startsWith('.')) add([...prefix, name].join('.'), true);
  }
}

/** Keeps the last value given for each timestamp, as carbon's cache does before whisper sees them. */
function lastWriteWins(
  timestamps: ArrayLike<number>,
  values: ArrayLike<number>,
): { timestamps: ArrayLike<number>; values: ArrayLike<number> } {
  if (values.length !== timestamps.length)
    throw new RangeError(
      `${timestamps.length} timestamps but ${values.length} values; want one value per timestamp`,
    );
  // The cache hands over points sorted with one per timestamp: check that in one pass, no allocation.
  let increasing = true;
  for (let i = 1; i < timestamps.length && increasing; i++) {
    increasing = Math.trunc(timestamps[i]) > Math.trunc(timestamps[i - 1]);
  }
  if (increasing) return { timestamps, values };
  const seen = new Map<number, number>();
  for (let i = 0; i < timestamps.length; i++) seen.set(Math.trunc(timestamps[i]), i);
  const ts: number[] = [];
  const vs: number[] = [];
  for (const [t, i] of seen) {
    ts.push(t);
    vs.push(values[i]);
  }
  return { timestamps: ts, values: vs };
}

function list(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** scandir's is_dir()/is_file() follow symlinks; Dirent does not, so resolve links with stat. */
function entryKind(dir: string, entry: Dirent): 'dir' | 'file' | 'other' {
  if (entry.isDirectory()) return 'dir';
  if (entry.isFile()) return 'file';
  if (entry.isSymbolicLink()) {
    const st = statSync(join(dir, entry.name), { throwIfNoEntry: false });
    if (st?.isDirectory()) return 'dir';
    if (st?.isFile()) return 'file';
  }
  return 'other';
}

function isDir(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}
