import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeHeader, POINT_SIZE } from '../../src/storage/whisper/format.js';

/** The shape of the benchmark's whisper tree. */
export interface TreeShape {
  /** Hosts `h000`, `h001` ...; each holds `metricsPerHost` metrics `m0`, `m1` ... */
  hosts: number;
  metricsPerHost: number;
  /** Seconds per point of the one archive (whisper precision). */
  step: number;
  /** Points in the archive, all written: step * points seconds of data ending at `now`. */
  points: number;
}

/** 1,000 series of one day at 10 s: the tree issue 3 item 10 names. */
export const DEFAULT_TREE: TreeShape = { hosts: 100, metricsPerHost: 10, step: 10, points: 8640 };

/** The metric names of a tree, host-major: bench.h000.m0, bench.h000.m1 ... */
export function metricNames(shape: TreeShape): string[] {
  const names: string[] = [];
  for (let h = 0; h < shape.hosts; h++)
    for (let m = 0; m < shape.metricsPerHost; m++) names.push(`bench.h${String(h).padStart(3, '0')}.m${m}`);
  return names;
}

/**
 * Writes the tree under `root` as whisper files: one archive `step:points`, average, xFilesFactor 0,
 * every slot filled, oldest point in slot 0 (where whisper itself would put it when written in
 * order), the newest at `now - now % step - step`. Values are a deterministic wave per metric with a
 * gap every 97th point (never in slot 0, which whisper reads as the base), so averages differ between series and nulls occur. Written directly from
 * Carbonado's whisper header encoder: a whole file per write, about 100 KB each, so the tree takes
 * a second rather than a minute of python3-whisper's update_many.
 */
export function writeTree(root: string, shape: TreeShape, now: number): string[] {
  const names = metricNames(shape);
  const header = encodeHeader('average', 0, [{ secondsPerPoint: shape.step, points: shape.points }]);
  const file = Buffer.alloc(header.length + shape.points * POINT_SIZE);
  header.copy(file, 0);
  const last = now - (now % shape.step) - shape.step;
  const first = last - (shape.points - 1) * shape.step;
  names.forEach((name, k) => {
    for (let i = 0; i < shape.points; i++) {
      const at = header.length + i * POINT_SIZE;
      const gap = i > 0 && (i + k) % 97 === 0; // slot 0 is whisper's base: never a gap
      // A gap is an empty slot: timestamp 0 never matches the slot's expected time.
      file.writeUInt32BE(gap ? 0 : first + i * shape.step, at);
      file.writeDoubleBE(gap ? 0 : ((i * 7919 + k * 104729) % 1000) / 8 - 25 + (k % 10), at + 4);
    }
    const path = join(root, ...name.split('.')) + '.wsp';
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, file);
  });
  return names;
}
