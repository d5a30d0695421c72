// Lines per second on one core, two ways. Run:
//   node --import tsx src/ingest/plaintext/parse.bench.ts [lines]
// 1. LineSplitter + parseLine, every line on its own. The input is what a collector sends: 10,000
//    distinct names of ~40 bytes, integer and fractional values, current timestamps, cut into 64 KB
//    chunks as a socket delivers them.
// 2. parseCommonLines, the receivers' path for known names, on bench/ingest's load: 10,000 names
//    `bench.m<i>.value` sent in the same order every interval, one timestamp per interval.
import { PointBatch } from '../batch.js';
import { DEFAULT_POINT_LIMITS } from '../datapoint.js';
import { NameInterner } from '../intern.js';
import { LineSplitter } from './lines.js';
import { type LineOptions, parseCommonLines, parseLine } from './parse.js';

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

// 2. parseCommonLines over whole lines (each chunk cut after a \n), after every name was seen once.
const intervals = 60;
const metrics = 10_000;
const lines: string[] = [];
for (let j = 0; j < intervals; j++)
  for (let i = 0; i < metrics; i++) lines.push(`bench.m${i}.value ${i + j / 4} ${now + j * 10}\n`);
const timeMajor = Buffer.from(lines.join(''));
const pieces: Buffer[] = [];
for (let at = 0; at < timeMajor.length; ) {
  const end = timeMajor.lastIndexOf(0x0a, Math.min(timeMajor.length, at + 65536) - 1) + 1;
  pieces.push(timeMajor.subarray(at, end));
  at = end;
}
const names = new NameInterner();
for (let at = 0, i = 0; i < metrics; i++) {
  const nl = timeMajor.indexOf(0x0a, at);
  parseLine(timeMajor, at, nl, options, undefined, names);
  at = nl + 1;
}
const common = { ...options, maxLineLength: 16384 };
const batch = new PointBatch(1 << 16);
function runCommon(): number {
  const t0 = process.hrtime.bigint();
  for (const piece of pieces) {
    batch.clear();
    if (parseCommonLines(piece, 0, piece.length, common, names, batch) !== piece.length)
      throw new Error('parseCommonLines stopped before the end of a chunk');
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
runCommon();
const commonBest = Math.min(runCommon(), runCommon(), runCommon(), runCommon(), runCommon());
console.log(
  `parseCommonLines: ${lines.length} lines, ${(timeMajor.length / 1e6).toFixed(1)} MB: best of 5 ` +
    `${((commonBest / lines.length) * 1e9).toFixed(1)} ns a line = ${(lines.length / commonBest / 1e6).toFixed(1)} M lines/s`,
);
