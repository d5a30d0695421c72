import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type PointSource, pointsOf } from '../store.js';
import type { WhisperSchema } from './store.js';

/**
 * Whisper writes on worker threads. File I/O is synchronous (one small read or write each, where
 * Node's async fs would cost a thread-pool round trip apiece), and on the main thread it took ~60% of
 * the event loop under load, starving the receivers (bench/ingest). Here the main thread only packs
 * batches; the workers do the opens, reads and writes. Writes made in the same event-loop turn go as
 * one message per worker, their numbers packed in one transferred Float64Array.
 *
 * A metric always goes to the same worker (by a hash of its name), so its writes stay in order. More than
 * one worker lets a drain of many metrics use every core once receiving leaves them idle: bench/ingest's
 * last pass writes each of 10,000 files once more after the last point arrives, at ~30 µs a file.
 */
export interface WriteJob {
  metric: string;
  timestamps: ArrayLike<number>;
  values: ArrayLike<number>;
  /** The schema to create the file with, when the caller does not know it to exist. */
  schema?: WhisperSchema;
}

/** The nice value the write thread gives itself on Linux (the receivers keep the process's). */
export const WRITE_THREAD_NICE = 10;

/** One message to the worker: `counts[i]` points of `metrics[i]`, timestamps then values, in `data`. */
export interface WriteMessage {
  id: number;
  metrics: string[];
  counts: Int32Array;
  schemas: Array<WhisperSchema | null>;
  data: Float64Array;
}

/**
 * A warm-up for one worker (warm-up.ts): `rounds` rounds of writes to `metrics` scratch files under `dir`.
 * Answered with a WriteReply with no `created` and, if it failed, one error.
 */
export interface WarmupMessage {
  id: number;
  warmup: { dir: string; metrics: number; rounds: number };
}

/**
 * The worker's answer: 1 in `created` where it made the file, and the metrics that failed, by their
 * index in the message (a list of the failures only: a message carries thousands of metrics, and a
 * reply of one entry per metric cost the worker more to send than some of its writes).
 */
export interface WriteReply {
  id: number;
  created: Uint8Array;
  errors: Array<{ index: number; name: string; message: string; code?: string }>;
  /** The message's `data` buffer, sent back for the next message (MessageBuffers). */
  data?: ArrayBuffer;
}

interface Pending extends WriteJob {
  resolve: (created: boolean) => void;
  reject: (err: Error) => void;
}

/** The error a failed write rejects with, keeping the worker's error name and errno code. */
export class WhisperWriteError extends Error {
  constructor(
    name: string,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = name;
  }
}

/** Write threads when none are configured: one per core, at most 4. */
export function defaultWriteThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/**
 * Whisper files each write thread may keep open (WhisperStore's `openFiles`): three quarters of the
 * process's open file limit (Linux: /proc/self/limits; Node raises the soft limit to the hard one at
 * start), at most 65,536, shared by the threads; the rest stays for sockets, reads and the WAL.
 * Elsewhere, 384 in all.
 */
export function openFilesPerThread(threads: number): number {
  let limit = 512;
  try {
    const line = readFileSync('/proc/self/limits', 'latin1')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s+/)[3];
    if (soft === 'unlimited') limit = 2 ** 20;
    else if (Number(soft) > 0) limit = Number(soft);
  } catch {
    // not Linux: keep the small default
  }
  return Math.max(16, Math.floor(Math.min((limit * 3) / 4, 65_536) / threads));
}

type Outcomes = Array<boolean | Error> | Error;

/**
 * The buffers write messages carry their points in, used again and again: a message transfers its buffer
 * to the worker, whose reply transfers it back. A new buffer is memory the process touches for the first
 * time, a page fault per 4 KiB (~14 µs each on this project's VMs, where freed memory goes back to the
 * host), and it counts against V8's external memory, which brings on full collections: on bench/ingest,
 * new message buffers were a fifth of the receiving thread's page faults in the timed run.
 */
export class MessageBuffers {
  private readonly free: ArrayBuffer[] = [];
  private freeBytes = 0;
  /** Buffers made, and messages that got a used one. */
  made = 0;
  reused = 0;

  /** `maxBuffers` and `maxBytes` bound what waits here between messages. */
  constructor(
    private readonly maxBuffers = 8,
    private readonly maxBytes = 32 << 20,
  ) {}

  /** A Float64Array of `doubles` over a free buffer large enough, or over a new one (64 KiB at least, a power of two). */
  take(doubles: number): Float64Array {
    const bytes = doubles * 8;
    for (let i = 0; i < this.free.length; i++) {
      const buffer = this.free[i];
      if (buffer.byteLength < bytes) continue;
      this.free.splice(i, 1);
      this.freeBytes -= buffer.byteLength;
      this.reused++;
      return new Float64Array(buffer, 0, doubles);
    }
    this.made++;
    return new Float64Array(
      new ArrayBuffer(Math.max(65536, 2 ** Math.ceil(Math.log2(bytes || 1)))),
      0,
      doubles,
    );
  }

  /** A buffer back from a worker; kept unless that would pass the bounds (then the smallest goes). */
  give(buffer: ArrayBuffer): void {
    this.free.push(buffer);
    this.freeBytes += buffer.byteLength;
    while (this.free.length > this.maxBuffers || this.freeBytes > this.maxBytes) {
      let smallest = 0;
      for (let i = 1; i < this.free.length; i++)
        if (this.free[i].byteLength < this.free[smallest].byteLength) smallest = i;
      this.freeBytes -= this.free[smallest].byteLength;
      this.free.splice(smallest, 1);
    }
  }

  /** Bytes waiting for the next messages. */
  get bytes(): number {
    return this.freeBytes;
  }
}

export class WhisperWriteThread {
  private readonly workers: Worker[] = [];
  /** The points' buffers, passed back and forth with the workers. */
  readonly buffers = new MessageBuffers();
  private queue: Pending[] = [];
  private scheduled = false;
  private nextId = 1;
  /** Messages sent and not answered: what to do with the reply (or with the threads' failure). */
  private readonly inflight = new Map<number, (outcomes: Outcomes) => void>();
  private idle: (() => void) | undefined;
  private closed = false;
  private failure: Error | undefined;

  /** `threads`: how many workers (default `defaultWriteThreads()`). */
  constructor(opts: { root: string; sparse?: boolean; threads?: number }) {
    const threads = opts.threads ?? defaultWriteThreads();
    if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`BUG: ${threads} write threads`);
    // From source (tsx) the worker is the .ts file beside this one, and it must register tsx's loader
    // itself: a worker does not inherit the main thread's module hooks. From dist it is the .js.
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const url = new URL(`./write-worker.${ext}`, import.meta.url);
    const workerData = {
      root: opts.root,
      sparse: opts.sparse ?? false,
      openFiles: openFilesPerThread(threads),
    };
    for (let i = 0; i < threads; i++) {
      const worker =
        ext === 'js'
          ? new Worker(url, { workerData })
          : new Worker(
              `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`,
              { eval: true, workerData },
            );
      worker.on('message', (reply: WriteReply) => this.settle(reply));
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`BUG: whisper write thread exited (${code})`));
      });
      this.workers.push(worker);
    }
  }

  /** Resolves true when the worker created the file for this write. */
  write(job: WriteJob): Promise<boolean> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('whisper write thread is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ ...job, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.send());
      }
    });
  }

  /**
   * Writes every metric of `points` now, in one message per thread, `schemaOf` giving the schema to send
   * with each (undefined when the file is known to exist). Resolves with each metric's outcome, in order:
   * true when the worker created the file, false when it existed, or the error that write failed with
   * (one failing metric fails only itself). Rejects only when the thread itself has failed.
   */
  writeMany(
    points: PointSource,
    schemaOf: (metric: string) => WhisperSchema | undefined,
  ): Promise<Array<boolean | Error>> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('whisper write thread is closed'));
    if (points.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) =>
      this.post(
        points,
        (i) => schemaOf(points.metric(i)),
        (outcomes) => (outcomes instanceof Error ? reject(outcomes) : resolve(outcomes)),
      ),
    );
  }

  /**
   * Has every worker write scratch files under its own directory below `dir` (warm-up.ts), so the write
   * path is compiled before real writes come. Resolves with the failures' messages (none: all went well).
   */
  warmUp(dir: string, metrics: number, rounds: number): Promise<string[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('whisper write thread is closed'));
    const replies = this.workers.map(
      (worker, w) =>
        new Promise<string | undefined>((resolve) => {
          const id = this.nextId++;
          this.inflight.set(id, (got) => {
            const failure = got instanceof Error ? got : got[0];
            resolve(failure instanceof Error ? failure.message : undefined);
          });
          const msg: WarmupMessage = { id, warmup: { dir: join(dir, `thread-${w}`), metrics, rounds } };
          worker.postMessage(msg);
        }),
    );
    return Promise.all(replies).then((all) => all.filter((m): m is string => m !== undefined));
  }

  /** Waits for every write in flight, then ends the threads. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.queue.length > 0 || this.inflight.size > 0) {
      if (this.queue.length > 0) this.send();
      if (this.inflight.size > 0) await new Promise<void>((r) => (this.idle = r));
    }
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private send(): void {
    this.scheduled = false;
    const jobs = this.queue;
    if (jobs.length === 0) return;
    this.queue = [];
    this.post(
      pointsOf(jobs),
      (i) => jobs[i].schema,
      (outcomes) =>
        jobs.forEach((job, i) => {
          const o = outcomes instanceof Error ? outcomes : outcomes[i];
          if (o instanceof Error) job.reject(o);
          else job.resolve(o);
        }),
    );
  }

  /**
   * Sends the metrics of `points` to the workers, each to its own (`workerOf`), as one message per worker
   * with their numbers packed in one transferred Float64Array, and calls `settle` once with every
   * metric's outcome in order (or with the threads' failure). `schemaAt(i)`: the schema to send with
   * metric i; a metric whose schema lookup or point count throws fails alone, unsent.
   */
  private post(
    points: PointSource,
    schemaAt: (i: number) => WhisperSchema | undefined,
    settle: (outcomes: Outcomes) => void,
  ): void {
    const n = points.length;
    const threads = this.workers.length;
    const outcomes: Array<boolean | Error> = new Array(n);
    const workerAt = new Int32Array(n);
    const schemas: Array<WhisperSchema | null> = new Array(n);
    const metricsOf = new Int32Array(threads);
    const pointsTo = new Int32Array(threads);
    for (let i = 0; i < n; i++) {
      let count: number;
      try {
        schemas[i] = schemaAt(i) ?? null;
        count = points.count(i);
      } catch (err) {
        outcomes[i] = err as Error;
        workerAt[i] = -1;
        continue;
      }
      const w = threads === 1 ? 0 : workerOf(points.metric(i), threads);
      workerAt[i] = w;
      metricsOf[w]++;
      pointsTo[w] += count;
    }
    let waiting = 0;
    for (let w = 0; w < threads; w++) if (metricsOf[w] > 0) waiting++;
    if (waiting === 0) {
      settle(outcomes);
      return;
    }
    let failed = false;
    for (let w = 0; w < threads; w++) {
      const m = metricsOf[w];
      if (m === 0) continue;
      const index = new Int32Array(m);
      const counts = new Int32Array(m);
      const metrics: string[] = new Array(m);
      const sent: Array<WhisperSchema | null> = new Array(m);
      const data = this.buffers.take(2 * pointsTo[w]);
      let k = 0;
      let at = 0;
      for (let i = 0; i < n; i++) {
        if (workerAt[i] !== w) continue;
        const count = points.count(i);
        points.copy(i, data, at);
        index[k] = i;
        counts[k] = count;
        metrics[k] = points.metric(i);
        sent[k] = schemas[i];
        at += 2 * count;
        k++;
      }
      const id = this.nextId++;
      this.inflight.set(id, (got) => {
        if (failed) return;
        if (got instanceof Error) {
          failed = true;
          settle(got);
          return;
        }
        for (let j = 0; j < m; j++) outcomes[index[j]] = got[j];
        if (--waiting === 0) settle(outcomes);
      });
      const msg: WriteMessage = { id, metrics, counts, schemas: sent, data };
      this.workers[w].postMessage(msg, [data.buffer as ArrayBuffer, counts.buffer]);
    }
  }

  private settle(reply: WriteReply): void {
    if (reply.data !== undefined) this.buffers.give(reply.data);
    const settle = this.inflight.get(reply.id);
    if (!settle) throw new Error(`BUG: reply for unknown write message ${reply.id}`);
    this.inflight.delete(reply.id);
    const outcomes: Array<boolean | Error> = Array.from(reply.created, (c) => c === 1);
    for (const e of reply.errors) outcomes[e.index] = new WhisperWriteError(e.name, e.message, e.code);
    settle(outcomes);
    this.wakeIdle();
  }

  private wakeIdle(): void {
    if (this.inflight.size > 0 || this.idle === undefined) return;
    const idle = this.idle;
    this.idle = undefined;
    setImmediate(idle);
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const settle of this.inflight.values()) settle(err);
    this.inflight.clear();
    for (const j of this.queue) j.reject(err);
    this.queue = [];
    this.wakeIdle();
  }
}

/** The worker that writes `metric`: FNV-1a of its UTF-16 code units, modulo `n`. */
export function workerOf(metric: string, n: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < metric.length; i++) h = Math.imul(h ^ metric.charCodeAt(i), 0x01000193);
  return (h >>> 0) % n;
}
