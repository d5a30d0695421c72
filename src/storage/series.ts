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
  /** How graphs draw it (graphite-web's `series.options` and `series.color`); set by Graph functions. */
  options?: SeriesOptions;
  /**
   * Tags to write unquoted in json. Nothing should set it: graphite-web's Tags class stores str() of
   * every value (render/datalib.py), so `dashed`, `xFilesFactor`... print as strings there too.
   * Kept only because the json writers read it; drop it with them.
   */
  numericTags?: string[];
}

/** graphite-web's per-series drawing options (render/glyph.py reads them). */
export interface SeriesOptions {
  color?: string;
  alpha?: number;
  lineWidth?: number;
  dashed?: number;
  stacked?: boolean;
  invisible?: boolean;
  secondYAxis?: boolean;
  drawAsInfinite?: boolean;
}

/** A point in time order: epoch seconds and a finite value. */
export interface Point {
  timestamp: number;
  value: number;
}
