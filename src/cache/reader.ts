/**
 * What queries need from the cache: the points accepted but not yet persisted, so they are readable the
 * moment they are accepted. Implemented by MetricCache.
 */
export interface CacheReader {
  /** Unpersisted points of one metric (parallel arrays, in arrival order), or undefined when none. */
  peek(metric: string): { timestamps: number[]; values: number[] } | undefined;
  /** Names of every metric that has unpersisted points. */
  names(): Iterable<string>;
}
