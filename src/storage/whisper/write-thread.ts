import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
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
 * The worker's answer: 1 in `created` where it made the file, and the metrics that failed, by their
 * index in the message (a list of the failures only: a message carries thousands of metrics, and a
 * reply of one entry per metric cost the worker more to send than some of its writes).
 */
export interface WriteReply {
  id: number;
  created: Uint8Array;
  errors: Array<{ index: number; name: string; message: string; code?: string }>;
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

export class WhisperWriteThread {
  private readonly workers: Worker[] = [];
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
   * Writes every job in one message, now. Resolves with each job's outcome, in order: true when the
   * worker created the file, false when it existed, or the error that write failed with (one failing
   * metric fails only itself). Rejects only when the thread itself has failed.
   */
  writeMany(jobs: WriteJob[]): Promise<Array<boolean | Error>> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('whisper write thread is closed'));
    if (jobs.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) =>
      this.post(jobs, (outcomes) => (outcomes instanceof Error ? reject(outcomes) : resolve(outcomes))),
    );
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
    this.post(jobs, (outcomes) =>
      jobs.forEach((job, i) => {
        const o = outcomes instanceof Error ? outcomes : outcomes[i];
        if (o instanceof Error) job.reject(o);
        else job.resolve(o);
      }),
    );
  }

  /**
   * Sends `jobs` to the workers, each metric to its own (`workerOf`), as one message per worker, and
   * calls `settle` once with every job's outcome in order (or with the threads' failure).
   */
  private post(jobs: WriteJob[], settle: (outcomes: Outcomes) => void): void {
    const n = this.workers.length;
    if (n === 1) {
      this.postTo(0, jobs, settle);
      return;
    }
    const parts: number[][] = Array.from({ length: n }, () => []);
    for (let i = 0; i < jobs.length; i++) parts[workerOf(jobs[i].metric, n)].push(i);
    const outcomes: Array<boolean | Error> = new Array(jobs.length);
    let waiting = parts.filter((p) => p.length > 0).length;
    let failed = false;
    parts.forEach((part, w) => {
      if (part.length === 0) return;
      this.postTo(
        w,
        part.map((i) => jobs[i]),
        (got) => {
          if (failed) return;
          if (got instanceof Error) {
            failed = true;
            settle(got);
            return;
          }
          for (let k = 0; k < part.length; k++) outcomes[part[k]] = got[k];
          if (--waiting === 0) settle(outcomes);
        },
      );
    });
  }

  /** Packs `jobs` into one message (their numbers in one transferred Float64Array) for worker `w`. */
  private postTo(w: number, jobs: WriteJob[], settle: (outcomes: Outcomes) => void): void {
    let total = 0;
    for (const j of jobs) total += j.timestamps.length;
    const data = new Float64Array(total * 2);
    const counts = new Int32Array(jobs.length);
    let at = 0;
    for (let i = 0; i < jobs.length; i++) {
      const { timestamps, values } = jobs[i];
      const n = timestamps.length;
      counts[i] = n;
      for (let k = 0; k < n; k++) data[at + k] = timestamps[k];
      for (let k = 0; k < n; k++) data[at + n + k] = values[k];
      at += 2 * n;
    }
    const id = this.nextId++;
    this.inflight.set(id, settle);
    const msg: WriteMessage = {
      id,
      metrics: jobs.map((j) => j.metric),
      counts,
      schemas: jobs.map((j) => j.schema ?? null),
      data,
    };
    this.workers[w].postMessage(msg, [data.buffer, counts.buffer]);
  }

  private settle(reply: WriteReply): void {
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
