import { Worker } from 'node:worker_threads';
import type { WhisperSchema } from './store.js';

/**
 * Whisper writes on a worker thread. File I/O is synchronous (one small read or write each, where
 * Node's async fs would cost a thread-pool round trip apiece), and on the main thread it took ~60% of
 * the event loop under load, starving the receivers (bench/ingest). Here the main thread only packs
 * batches; the worker does the opens, reads and writes. Writes made in the same event-loop turn go as
 * one message, their numbers packed in one transferred Float64Array.
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

/** The worker's answer: null for a metric written, or its error; 1 in `created` where it made the file. */
export interface WriteReply {
  id: number;
  errors: Array<{ name: string; message: string; code?: string } | null>;
  created: Uint8Array;
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

export class WhisperWriteThread {
  private readonly worker: Worker;
  private queue: Pending[] = [];
  private scheduled = false;
  private nextId = 1;
  /** Messages sent and not answered: what to do with the reply (or with the thread's failure). */
  private readonly inflight = new Map<number, (outcomes: Array<boolean | Error> | Error) => void>();
  private closed = false;
  private failure: Error | undefined;

  constructor(opts: { root: string; sparse?: boolean }) {
    // From source (tsx) the worker is the .ts file beside this one, and it must register tsx's loader
    // itself: a worker does not inherit the main thread's module hooks. From dist it is the .js.
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const url = new URL(`./write-worker.${ext}`, import.meta.url);
    const workerData = { root: opts.root, sparse: opts.sparse ?? false };
    this.worker =
      ext === 'js'
        ? new Worker(url, { workerData })
        : new Worker(
            `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`,
            { eval: true, workerData },
          );
    this.worker.on('message', (reply: WriteReply) => this.settle(reply));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`BUG: whisper write thread exited (${code})`));
    });
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

  /** Waits for every write in flight, then ends the thread. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.queue.length > 0 || this.inflight.size > 0) {
      if (this.queue.length > 0) this.send();
      await new Promise<void>((r) => this.worker.once('message', () => setImmediate(r)));
    }
    this.closed = true;
    await this.worker.terminate();
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

  /** Packs `jobs` into one message (their numbers in one transferred Float64Array) and posts it. */
  private post(jobs: WriteJob[], settle: (outcomes: Array<boolean | Error> | Error) => void): void {
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
    this.worker.postMessage(msg, [data.buffer, counts.buffer]);
  }

  private settle(reply: WriteReply): void {
    const settle = this.inflight.get(reply.id);
    if (!settle) throw new Error(`BUG: reply for unknown write message ${reply.id}`);
    this.inflight.delete(reply.id);
    settle(
      reply.errors.map((e, i) =>
        e === null ? reply.created[i] === 1 : new WhisperWriteError(e.name, e.message, e.code),
      ),
    );
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const settle of this.inflight.values()) settle(err);
    this.inflight.clear();
    for (const j of this.queue) j.reject(err);
    this.queue = [];
  }
}
