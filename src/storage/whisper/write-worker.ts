import { parentPort, workerData } from 'node:worker_threads';
import { WhisperStore } from './store.js';
import type { WriteMessage, WriteReply } from './write-thread.js';

// The whisper write thread (write-thread.ts): unpacks each message and writes metric by metric with
// the synchronous WhisperStore.writeSync. One failing metric fails only itself.

const { root, sparse } = workerData as { root: string; sparse: boolean };
const store = new WhisperStore({
  root,
  sparse,
  schemaFor: (metric) => {
    throw new Error(`no schema sent for ${metric}, which has no file`);
  },
});

parentPort!.on('message', (msg: WriteMessage) => {
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
      errors.push(null);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      errors.push({ name: e.name ?? 'Error', message: e.message ?? String(err), code: e.code });
    }
  }
  const reply: WriteReply = { id: msg.id, errors, created };
  parentPort!.postMessage(reply, [created.buffer]);
});
