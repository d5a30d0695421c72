import type { WhisperSchema } from './store.js';
import { WhisperStore } from './store.js';

/** The scratch files' schema: one small archive, as short to create as a file gets. */
const SCRATCH_SCHEMA: WhisperSchema = {
  archives: [{ secondsPerPoint: 10, points: 360 }],
  xFilesFactor: 0.5,
  aggregationMethod: 'average',
};

/** Points per write: a few, as a write of a steady load carries. */
const POINTS_PER_WRITE = 4;

/**
 * Writes `rounds` rounds of a few points to each of `metrics` scratch files under `dir`, through a
 * WhisperStore that holds its files open as a write thread's does and checks every held file at every
 * write (the path a write takes after an agent's interval). Run on a write thread before the server takes
 * traffic, it leaves V8's optimized code for the write path behind (update_many, the open-file table, the
 * fs calls), so the first real load does not pay for compiling it. The caller removes `dir`.
 */
export function warmUpWrites(dir: string, metrics: number, rounds: number, sparse: boolean): number {
  const store = new WhisperStore({
    root: dir,
    sparse,
    openFiles: metrics + 1,
    reverifyMs: 0,
    schemaFor: () => SCRATCH_SCHEMA,
  });
  const slots = SCRATCH_SCHEMA.archives[0].points;
  const oldest = Math.floor(Date.now() / 1000) - (slots - 10) * 10;
  const timestamps = new Float64Array(POINTS_PER_WRITE);
  const values = new Float64Array(POINTS_PER_WRITE);
  let writes = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      for (let m = 0; m < metrics; m++) {
        for (let k = 0; k < POINTS_PER_WRITE; k++) {
          // Within the archive's retention, wrapping around it: whisper drops points older than that.
          timestamps[k] = oldest + ((r * POINTS_PER_WRITE + k) % (slots - 20)) * 10;
          values[k] = m + k / 4;
        }
        store.writeSync(`warmup.m${m}`, timestamps, values);
        writes++;
      }
    }
  } finally {
    store.closeFiles();
  }
  return writes;
}
