// Lines per second through LineSplitter + parseLine on one core. Run:
//   node --import tsx src/ingest/plaintext/parse.bench.ts [lines]
// The input is what a collector sends: 10,000 distinct names of ~40 bytes, integer and fractional
// values, current timestamps, cut into 64 KB chunks as a socket delivers them.
import { DEFAULT_POINT_LIMITS } from '../datapoint.js';
import { LineSplitter } from './lines.js';
import { type LineOptions, parseLine } from './parse.js';

const total = Number(process.argv[2] ?? 2_000_000);
const now = 1_700_000_000;
const parts: string[] = [];
for (let i = 0; i < total; i++) {
  const value = i % 3 === 0 ? String(i % 1000) : (i * 0.37).toFixed(3);
  parts.push(`servers.host${i % 100}.cpu${i % 100}.metric_${i % 10_000} ${value} ${now + (i % 600)}\n`);
}
const input = Buffer.from(parts.join(''));
parts.length = 0; // the strings would only slow the collector down
const chunks: Buffer[] = [];
for (let at = 0; at < input.length; at += 65536) chunks.push(input.subarray(at, at + 65536));

const options: LineOptions = { ...DEFAULT_POINT_LIMITS, now };
let accepted = 0;
let checksum = 0;
const handler = {
  line(buf: Buffer, start: number, end: number) {
    const r = parseLine(buf, start, end, options);
    if (r?.ok) {
      accepted++;
      checksum += r.value + r.name.length;
    }
  },
  overlong() {},
};

function run(): number {
  accepted = 0;
  const splitter = new LineSplitter(16384);
  const t0 = process.hrtime.bigint();
  for (const c of chunks) splitter.push(c, handler);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

run(); // warm-up
const times = [run(), run(), run()];
const best = Math.min(...times);
if (accepted !== total) throw new Error(`accepted ${accepted} of ${total}`);
const mb = input.length / 1e6;
console.log(
  `${total} lines, ${mb.toFixed(1)} MB: best of 3 ${best.toFixed(3)} s = ` +
    `${(total / best / 1e6).toFixed(2)} M lines/s, ${(mb / best).toFixed(0)} MB/s (checksum ${checksum.toFixed(0)})`,
);
