import type { Series } from './series.js';

/** One result of `find`: a branch (a directory of metrics) or a leaf (a metric with data). */
export interface MetricNode {
  path: string;
  isLeaf: boolean;
}

/** Points for one metric, parallel arrays in any order; the store keeps the last value written per slot. */
export interface MetricPoints {
  metric: string;
  timestamps: ArrayLike<number>;
  values: ArrayLike<number>;
}

/**
 * Points of many metrics for one `writeMany`, read where they are kept (the cache's slab) rather than
 * copied into arrays per metric first. The store reads it during the call only, before its promise.
 */
export interface PointSource {
  readonly length: number;
  metric(i: number): string;
  /** Metric i's points; throws when metric i cannot be written as given (that metric alone fails). */
  count(i: number): number;
  /**
   * Copies metric i's points, timestamps at out[at, at + n) and values at out[at + n, at + 2n) for
   * n = count(i), in any order; of two points with one timestamp the later one in this order wins.
   * Never throws for a metric whose `count` did not.
   */
  copy(i: number, out: Float64Array, at: number): void;
}

/** `batches` as a PointSource. */
export function pointsOf(batches: readonly MetricPoints[]): PointSource {
  return {
    length: batches.length,
    metric: (i) => batches[i].metric,
    count(i) {
      const { timestamps, values } = batches[i];
      const n = timestamps.length;
      if (values.length !== n)
        throw new RangeError(`${n} timestamps but ${values.length} values; want one value per timestamp`);
      return n;
    },
    copy(i, out, at) {
      const { timestamps, values } = batches[i];
      const n = timestamps.length;
      for (let k = 0; k < n; k++) out[at + k] = timestamps[k];
      for (let k = 0; k < n; k++) out[at + n + k] = values[k];
    },
  };
}

/** Raw data of one metric as the store holds it; `values` NaN where no point was written. */
export interface FetchResult {
  metric: string;
  start: number;
  end: number;
  step: number;
  values: Float64Array;
  xFilesFactor: number;
  aggregationMethod: string;
}

/**
 * A storage engine (whisper files, ClickHouse). Every implementation passes the same test suite.
 * `fetch` returns data as stored: the caller overlays the cache and builds Series.
 */
export interface Store {
  find(pattern: string): AsyncIterable<MetricNode>;
  /**
   * Raw data of one metric. `alloc`, when given, provides the memory for the values (a /render
   * request's arena, query/arena.ts); a store may ignore it and allocate its own.
   */
  fetch(
    metric: string,
    from: number,
    until: number,
    now: number,
    alloc?: (count: number) => Float64Array,
  ): Promise<FetchResult | null>;
  /**
   * Writes points of one metric, creating it (from the schemas) when it does not exist yet. Resolves
   * true when this write created the metric (a store that cannot tell resolves nothing).
   */
  write(batch: MetricPoints): Promise<boolean | undefined>;
  /**
   * `write` of many metrics at once, where the store can do it in one go (WhisperStore's write thread:
   * one message, no promise per metric). Each outcome as write's, or the error that write failed with.
   */
  writeMany?(points: PointSource): Promise<Array<boolean | undefined | Error>>;
  /** True when the metric exists in the store. */
  exists(metric: string): Promise<boolean>;
  /** True when writes run off the main thread, so the writer may have many in flight at once. */
  readonly writesOffThread?: boolean;
  /** Releases what the store holds (threads, connections) once its writes are done. */
  close?(): Promise<void>;
}

export type { Series };
