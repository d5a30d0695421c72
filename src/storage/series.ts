/**
 * A series as every part of Carbonado sees it: values on a fixed step from `start` (inclusive) to
 * `end` (exclusive), NaN for "no value". Converted to null only at the edge (JSON, pickle).
 */
export interface Series {
  name: string;
  tags: Record<string, string>;
  start: number;
  end: number;
  step: number;
  values: Float64Array;
  /** The expression that produced this series (graphite-web's `pathExpression`). */
  pathExpression: string;
  /** xFilesFactor used when the series is consolidated (whisper's, unless a function overrides it). */
  xFilesFactor: number;
  /** How to consolidate for maxDataPoints: average, sum, min, max, first, last. */
  consolidationFunc?: string;
}

/** A point in time order: epoch seconds and a finite value. */
export interface Point {
  timestamp: number;
  value: number;
}
