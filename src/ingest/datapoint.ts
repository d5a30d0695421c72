import { DEFAULT_NAME_LIMITS, type NameLimits } from './names.js';

/** What every receiver accepts as a point, beyond the name. */
export interface PointLimits {
  /** Latest accepted timestamp, epoch seconds. A typo'd or millisecond timestamp lands far beyond it. */
  maxTimestamp: number;
  /** Bounds on metric names. */
  names: NameLimits;
}

/** 2100-01-01T00:00:00Z: far enough for any clock, near enough to catch milliseconds sent as seconds. */
export const DEFAULT_MAX_TIMESTAMP = 4_102_444_800;

/** The defaults every receiver starts from. */
export const DEFAULT_POINT_LIMITS: Readonly<PointLimits> = {
  maxTimestamp: DEFAULT_MAX_TIMESTAMP,
  names: DEFAULT_NAME_LIMITS,
};

/**
 * Turns a parsed timestamp into whole epoch seconds, or a negative number when it is refused
 * (`explainBadTimestamp` says why). Truncates toward zero as whisper does (`int(timestamp)` in
 * whisper.update_many). `-1`, and so anything in (-2, -1], means "now": carbon's
 * MetricReceiver.metricReceived tests `int(timestamp) == -1` (carbon issue #54).
 */
export function toTimestamp(t: number, now: number, maxTimestamp: number): number {
  const s = Math.trunc(t);
  if (s === -1) return now;
  if (s >= 0 && s <= maxTimestamp) return s === 0 ? 0 : s;
  return -1;
}

/** The error for a timestamp `toTimestamp` refused; `text` is what the client sent. */
export function explainBadTimestamp(text: string, t: number, maxTimestamp: number): string {
  const shown = JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
  if (t < 0) return `got timestamp ${shown}; want epoch seconds >= 0 (or -1 for now)`;
  return `got timestamp ${shown}; want epoch seconds <= ${maxTimestamp} (${new Date(maxTimestamp * 1000).toISOString()})`;
}
