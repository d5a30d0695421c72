// Benchmark of the writer's hot path: `node --import tsx src/storage/whisper/update.bench.ts`.
// Writes batches of points into many small files (10s:1d,60s:7d,like a carbon writer flushing its
// cache), then fetches a day from each, and prints points/s. Files live in a temp dir, removed after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from './create.js';
import { fetch } from './fetch.js';
import { updateMany } from './update.js';

const METRICS = Number(process.env.METRICS ?? 1000);
const PER_BATCH = Number(process.env.PER_BATCH ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'carbonado-whisper-bench-'));
try {
  const paths = Array.from({ length: METRICS }, (_, i) => join(dir, `m${i}.wsp`));
  const archives = [
    { secondsPerPoint: 10, points: 8640 },
    { secondsPerPoint: 60, points: 10080 },
  ];
  for (const p of paths) create(p, archives, { sparse: true });
  let now = 1_700_000_000;
  const ts = new Array<number>(PER_BATCH);
  const vs = new Array<number>(PER_BATCH);
  let points = 0;
  const started = process.hrtime.bigint();
  for (let r = 0; r < ROUNDS; r++) {
    now += PER_BATCH * 10;
    for (let i = 0; i < PER_BATCH; i++) ts[i] = now - (PER_BATCH - i) * 10;
    for (const p of paths) {
      for (let i = 0; i < PER_BATCH; i++) vs[i] = Math.random() * 100;
      updateMany(p, ts, vs, now);
      points += PER_BATCH;
    }
  }
  const writeSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const fetchStarted = process.hrtime.bigint();
  let values = 0;
  for (const p of paths) values += fetch(p, now - 86_000, now, now)?.values.length ?? 0;
  const fetchSeconds = Number(process.hrtime.bigint() - fetchStarted) / 1e9;
  console.log(
    `update_many: ${points} points in ${writeSeconds.toFixed(2)} s = ${Math.round(points / writeSeconds)} points/s ` +
      `(${METRICS} files, ${PER_BATCH} points per call)`,
  );
  console.log(
    `fetch: ${METRICS} files x 1 day in ${fetchSeconds.toFixed(2)} s = ${Math.round(values / fetchSeconds)} values/s`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
