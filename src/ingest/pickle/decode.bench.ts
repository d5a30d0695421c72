// Points per second through decodePickleFrame on one core, for frames as carbon-relay sends them
// (pickle protocol 2, 500 points a frame, carbon's MAX_DATAPOINTS_PER_MESSAGE). Run:
//   node --import tsx src/ingest/pickle/decode.bench.ts
import { spawnSync } from 'node:child_process';
import { DEBIAN_PYTHON } from '../../../test/support/debian.js';
import { DEFAULT_POINT_LIMITS } from '../datapoint.js';
import { decodePickleFrame, type PickleOptions } from './decode.js';

const script = `
import pickle, sys
data = [("servers.host%d.cpu%d.metric_%d" % (i % 100, i % 100, i), (1700000000 + i, i * 0.25)) for i in range(500)]
sys.stdout.buffer.write(pickle.dumps(data, protocol=2))
`;
const r = spawnSync(DEBIAN_PYTHON, ['-c', script]);
if (r.status !== 0) throw new Error(r.stderr.toString());
const frame = r.stdout;
const options: PickleOptions = { ...DEFAULT_POINT_LIMITS, now: 1_700_000_000 };

function run(frames: number): number {
  let points = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < frames; i++) {
    const d = decodePickleFrame(frame, options);
    if (!d.ok || d.rejected.length > 0) throw new Error('BUG: bench frame refused');
    points += d.points.length;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return points / s;
}

run(500); // warm-up
const best = Math.max(run(4000), run(4000), run(4000));
console.log(`${frame.length}-byte frames of 500 points: best of 3 ${(best / 1e6).toFixed(2)} M points/s`);
