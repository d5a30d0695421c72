import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { IDLE_BEFORE_CLOSE_MS } from './open-files.js';
import { WhisperStore } from './store.js';
import { warmUpWrites } from './warm-up.js';
import { type WarmupMessage, WRITE_THREAD_NICE, type WriteMessage, type WriteReply } from './write-thread.js';

// The whisper write thread (write-thread.ts): unpacks each message and writes metric by metric with
// the synchronous WhisperStore.writeSync. One failing metric fails only itself.

const { root, sparse, openFiles } = workerData as { root: string; sparse: boolean; openFiles: number };

// Receiving comes before writing: the cache (and its WAL) holds accepted points however long writes
// take, but a receiver starved of CPU leaves clients waiting. On Linux a thread has its own nice value,
// so this thread lowers its own (setpriority on its thread id, read from /proc/thread-self); a new
// metric's mkdir and open burn kernel CPU that otherwise competed with the receivers on equal terms.
// Elsewhere, or where it is not allowed, the thread keeps the process's priority.
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) setPriority(tid, WRITE_THREAD_NICE);
} catch {
  // not Linux, or no /proc: nothing to lower
}
const store = new WhisperStore({
  root,
  sparse,
  openFiles,
  schemaFor: (metric) => {
    throw new Error(`no schema sent for ${metric}, which has no file`);
  },
});

// Files held open and not written for a minute are closed, so deleting a metric's file frees its space.
setInterval(() => store.closeIdleFiles(), IDLE_BEFORE_CLOSE_MS / 2).unref();

parentPort!.on('message', (msg: WriteMessage | WarmupMessage) => {
  if ('warmup' in msg) {
    const { dir, metrics, rounds } = msg.warmup;
    const reply: WriteReply = { id: msg.id, errors: [], created: new Uint8Array(0) };
    try {
      warmUpWrites(dir, metrics, rounds, sparse);
    } catch (err) {
      reply.errors.push(errorEntry(0, err));
    }
    parentPort!.postMessage(reply);
    return;
  }
  const errors: WriteReply['errors'] = [];
  const created = new Uint8Array(msg.metrics.length);
  let at = 0;
  for (let i = 0; i < msg.metrics.length; i++) {
    const n = msg.counts[i];
    const timestamps = msg.data.subarray(at, at + n);
    const values = msg.data.subarray(at + n, at + 2 * n);
    at += 2 * n;
    try {
      if (store.writeSync(msg.metrics[i], timestamps, values, msg.schemas[i] ?? undefined)) created[i] = 1;
    } catch (err) {
      errors.push(errorEntry(i, err));
    }
  }
  // The points' buffer goes back with the reply, for the next message (MessageBuffers).
  const data = msg.data.buffer as ArrayBuffer;
  const reply: WriteReply = { id: msg.id, errors, created, data };
  parentPort!.postMessage(reply, [created.buffer, data]);
});

/** A failure as the reply carries it: the error's name, message and errno code survive the message. */
function errorEntry(index: number, err: unknown): WriteReply['errors'][number] {
  const e = err as NodeJS.ErrnoException;
  return { index, name: e.name ?? 'Error', message: e.message ?? String(err), code: e.code };
}
