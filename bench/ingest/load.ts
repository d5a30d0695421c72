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
  /** First node of every metric name (default `bench`): the warm-up load uses its own metrics. */
  prefix?: string;
}

/** The load split over connections: buffers[c] carries metrics i with i % connections === c. */
export interface Load {
  shape: LoadShape;
  buffers: Buffer[];
  totalPoints: number;
  totalBytes: number;
}

/** Name of metric i. */
export function metricName(i: number, shape?: LoadShape): string {
  return `${shape?.prefix ?? 'bench'}.m${i}.value`;
}

/**
 * The load sent (and awaited on disk) before each timed run, untimed: about `points` points in all,
 * ending 10 steps before the timed load's first point, within the first half of the retention's hour of
 * slack: whisper drops a point older than the retention when it is written, and the other half keeps
 * the warm-up's oldest points inside it however long the run takes to get them to disk.
 * - With `existingFiles`, over the timed load's own metrics (at least one point each): it creates
 *   their files, so the timed run updates existing files.
 * - Otherwise over metrics of their own (`warm.m<i>.value`; 1,000, or as many as the points need at
 *   the most per metric the slack holds, but no more than the load has), so the timed load's files are
 *   still new.
 * It also warms the servers up: Carbonado's V8 compiles its hot functions in the first hundreds of
 * thousands of points, on helper threads that take CPU from everything else on two cores; a server in
 * production has long done that. Null when `points` is 0 and the files need not exist.
 */
export function warmupShape(shape: LoadShape, points: number, existingFiles: boolean): LoadShape | null {
  if (points === 0 && !existingFiles) return null;
  const slack = Math.floor(1800 / shape.step) - 10;
  const metrics = existingFiles
    ? shape.metrics
    : Math.min(shape.metrics, Math.max(1000, Math.ceil(points / slack)));
  const perMetric = Math.max(1, Math.ceil(points / metrics));
  if (perMetric > slack)
    throw new Error(
      `--warmup ${points} needs ${perMetric} points per metric; at most ${slack} fit in half the retention's hour of slack before the load`,
    );
  return {
    metrics,
    points: perMetric,
    step: shape.step,
    lastTimestamp: shape.lastTimestamp - (shape.points + 10) * shape.step,
    prefix: existingFiles ? shape.prefix : 'warm',
  };
}

/**
 * The warm-up as agents send it, in two intervals: the first half of its points, then the rest. The
 * bench waits a while after each (WARMUP_PAUSE_MS in measure.ts), so the second half, and the timed
 * load after it, meet a server that has not written those files for seconds, as an agent's next
 * interval does: a server may check a file it holds open again after a pause (Carbonado's write
 * threads do after a second), and that path gets compiled in the warm-up too. A warm-up of one point
 * per metric stays one load.
 */
export function splitWarmup(warm: LoadShape): LoadShape[] {
  if (warm.points < 2) return [warm];
  const later = Math.ceil(warm.points / 2);
  return [
    { ...warm, points: warm.points - later, lastTimestamp: warm.lastTimestamp - later * warm.step },
    { ...warm, points: later },
  ];
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
  const names = Array.from({ length: shape.metrics }, (_, i) => metricName(i, shape));
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
