/**
 * The benchmark's load, generated once and sent unchanged to every system: `metrics` series named
 * bench.m<i>.value, `points` points each, `step` seconds apart, in plaintext (`name value timestamp\n`,
 * carbon's line protocol). Lines go out time-major — every metric's first point, then every metric's
 * second point — as a fleet of agents reporting each interval would send them, so the cache holds
 * several points per metric at once.
 */
export interface LoadShape {
  metrics: number;
  points: number;
  /** Seconds between a metric's points; the whisper retention's precision, so each lands in its own slot. */
  step: number;
  /** Timestamp of the last point, a multiple of `step`. */
  lastTimestamp: number;
}

/** The load split over connections: buffers[c] carries metrics i with i % connections === c. */
export interface Load {
  shape: LoadShape;
  buffers: Buffer[];
  totalPoints: number;
  totalBytes: number;
}

/** Name of metric i. */
export function metricName(i: number): string {
  return `bench.m${i}.value`;
}

/** Timestamp of point j (0-based) of every metric. */
export function pointTimestamp(shape: LoadShape, j: number): number {
  return shape.lastTimestamp - (shape.points - 1 - j) * shape.step;
}

/**
 * Value of point j of metric i: quarters are exact in binary and in decimal text, so the value read back
 * from a whisper file (a big-endian double) can be compared with `===`.
 */
export function pointValue(i: number, j: number): number {
  return i + j / 4;
}

/** Builds the plaintext load, split by metric over `connections` buffers. */
export function buildLoad(shape: LoadShape, connections: number): Load {
  if (!Number.isInteger(connections) || connections < 1 || connections > shape.metrics) {
    throw new Error(`connections got ${connections}; want an integer in 1..${shape.metrics} (metrics)`);
  }
  if (shape.lastTimestamp % shape.step !== 0) {
    throw new Error(`lastTimestamp got ${shape.lastTimestamp}; want a multiple of step ${shape.step}`);
  }
  const names = Array.from({ length: shape.metrics }, (_, i) => metricName(i));
  const buffers: Buffer[] = [];
  for (let c = 0; c < connections; c++) {
    // Lines are joined per point index: a few large strings rather than one per line.
    const chunks: Buffer[] = [];
    for (let j = 0; j < shape.points; j++) {
      const ts = pointTimestamp(shape, j);
      let text = '';
      for (let i = c; i < shape.metrics; i += connections) text += `${names[i]} ${pointValue(i, j)} ${ts}\n`;
      chunks.push(Buffer.from(text, 'latin1'));
    }
    buffers.push(Buffer.concat(chunks));
  }
  return {
    shape,
    buffers,
    totalPoints: shape.metrics * shape.points,
    totalBytes: buffers.reduce((n, b) => n + b.length, 0),
  };
}
