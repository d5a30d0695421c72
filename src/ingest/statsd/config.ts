/**
 * StatsD configuration in the terms of Etsy's statsd 0.9.0 config file (exampleConfig.js), resolved:
 * every option has its value, the delete* options already follow deleteIdleStats as stats.js does it.
 */
import { isIP } from 'node:net';

/** One `histogram` entry of Etsy's config: timers whose key contains `metric` get these bins. */
export interface HistogramRule {
  /** Substring matched against the timer key; the first matching rule wins ('' matches all). */
  metric: string;
  /** Ascending, non-inclusive upper limits; 'inf' (last only) catches the rest. Empty = no histogram. */
  bins: (number | 'inf')[];
}

/** Graphite naming, Etsy's `graphite` section (backends/graphite.js). */
export interface StatsdGraphiteConfig {
  /** true: stats.<key>, stats_counts.<key>, stats.timers.… (the pre-0.6 layout); false: the prefixes below. */
  legacyNamespace: boolean;
  /** Used only when legacyNamespace is false; '' leaves the level out. */
  globalPrefix: string;
  prefixCounter: string;
  prefixTimer: string;
  prefixGauge: string;
  prefixSet: string;
  /** Appended as `.suffix` to every name (before tags); '' for none. */
  globalSuffix: string;
}

/** A resolved StatsD configuration. */
export interface StatsdConfig {
  /** Milliseconds between flushes. */
  flushInterval: number;
  /** Percentiles computed for timers; a negative one is the top N% (lower_topN …). */
  percentThreshold: number[];
  /** Etsy's flush_counts: also send the raw count of each counter (stats_counts.* or .count). */
  flushCounts: boolean;
  deleteIdleStats: boolean;
  deleteCounters: boolean;
  deleteTimers: boolean;
  deleteSets: boolean;
  deleteGauges: boolean;
  /** Flushes a gauge survives without an update when deleteGauges is on. */
  gaugesMaxTTL: number;
  /** First level of the self-metrics: <prefixStats>.numStats, <prefixStats>.bad_lines_seen … */
  prefixStats: string;
  /** Sanitize keys on ingress (whitespace → _, / → -, drop all but [A-Za-z0-9_.;=-]). */
  keyNameSanitize: boolean;
  /**
   * Timer statistics to send; empty = all. Percentile ones are named with `_percent`
   * (`upper_percent` selects upper_90, upper_99_9 …), plus 'histogram'.
   */
  calculatedTimerMetrics: string[];
  histogram: HistogramRule[];
  /** What the admin interface's `health` reports at start. */
  healthStatus: 'up' | 'down';
  graphite: StatsdGraphiteConfig;
  /**
   * Etsy's graphiteHost: a carbon receiver that also gets every flush as plaintext lines, beside the
   * local store ('' = none, the default: Carbonado is the carbon).
   */
  graphiteHost: string;
  /** Etsy's graphitePort: the plaintext port of graphiteHost (2003). */
  graphitePort: number;
}

/** Etsy's defaults (stats.js, backends/graphite.js). */
export const DEFAULT_STATSD_CONFIG: Readonly<StatsdConfig> = Object.freeze({
  flushInterval: 10_000,
  percentThreshold: [90],
  flushCounts: true,
  deleteIdleStats: false,
  deleteCounters: false,
  deleteTimers: false,
  deleteSets: false,
  deleteGauges: false,
  gaugesMaxTTL: 1,
  prefixStats: 'statsd',
  keyNameSanitize: true,
  calculatedTimerMetrics: [],
  histogram: [],
  healthStatus: 'up',
  graphite: {
    legacyNamespace: true,
    globalPrefix: 'stats',
    prefixCounter: 'counters',
    prefixTimer: 'timers',
    prefixGauge: 'gauges',
    prefixSet: 'sets',
    globalSuffix: '',
  },
  graphiteHost: '',
  graphitePort: 2003,
});

/** Every name calculatedTimerMetrics accepts (process_metrics.js's keys, percentiles as `_percent`). */
export const TIMER_METRICS = [
  'count_percent',
  'mean_percent',
  'upper_percent',
  'lower_percent',
  'sum_percent',
  'sum_squares_percent',
  'std',
  'upper',
  'lower',
  'count',
  'count_ps',
  'sum',
  'sum_squares',
  'mean',
  'median',
  'histogram',
] as const;

/** The top-level option names of Etsy's config file that Carbonado understands. */
export const TOP_KEYS = new Set([
  'flushInterval',
  'percentThreshold',
  'flushCounts',
  'flush_counts',
  'deleteIdleStats',
  'deleteCounters',
  'deleteTimers',
  'deleteSets',
  'deleteGauges',
  'gaugesMaxTTL',
  'prefixStats',
  'keyNameSanitize',
  'calculatedTimerMetrics',
  'histogram',
  'healthStatus',
  'graphite',
  'graphiteHost',
  'graphitePort',
]);
/** The options of the graphite backend section of Etsy's config file. */
export const GRAPHITE_KEYS = new Set(Object.keys(DEFAULT_STATSD_CONFIG.graphite));

/**
 * Validates a plain object written in Etsy's terms and returns the resolved config. Values may be typed
 * (numbers, booleans, arrays) or strings as an INI file gives them ("10000", "true", "90,-10,99.9").
 * Unknown options are errors (a typo must not silently fall back to a default). Throws an Error whose
 * message names the option and quotes the bad value.
 */
export function parseStatsdConfig(obj: unknown): StatsdConfig {
  if (obj === undefined || obj === null) obj = {};
  if (typeof obj !== 'object' || Array.isArray(obj)) throw bad('', obj, 'an object of options');
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!TOP_KEYS.has(k)) throw new Error(`statsd config: got unknown option ${JSON.stringify(k)}`);
  }
  const d = DEFAULT_STATSD_CONFIG;
  const deleteIdleStats = bool(o, 'deleteIdleStats', d.deleteIdleStats);
  // stats.js: deleteIdleStats is the default of the four delete* options, each can still be overridden.
  const idle = (key: string) => bool(o, key, deleteIdleStats);
  const flushCounts =
    o.flushCounts !== undefined ? bool(o, 'flushCounts', true) : bool(o, 'flush_counts', d.flushCounts);
  const healthStatus = str(o, 'healthStatus', d.healthStatus);
  if (healthStatus !== 'up' && healthStatus !== 'down')
    throw bad('healthStatus', healthStatus, '"up" or "down"');
  return {
    flushInterval: integer(o, 'flushInterval', d.flushInterval, 10),
    percentThreshold: percentiles(o.percentThreshold ?? d.percentThreshold),
    flushCounts,
    deleteIdleStats,
    deleteCounters: idle('deleteCounters'),
    deleteTimers: idle('deleteTimers'),
    deleteSets: idle('deleteSets'),
    deleteGauges: idle('deleteGauges'),
    gaugesMaxTTL: integer(o, 'gaugesMaxTTL', d.gaugesMaxTTL, 1),
    prefixStats: prefix(o, 'prefixStats', d.prefixStats, false),
    keyNameSanitize: bool(o, 'keyNameSanitize', d.keyNameSanitize),
    calculatedTimerMetrics: timerMetrics(o.calculatedTimerMetrics),
    histogram: histogram(o.histogram),
    healthStatus,
    // Before `graphite`: the admin interface's `config` lists the options in this order.
    graphiteHost: host(o, 'graphiteHost', d.graphiteHost),
    graphitePort: port(o, 'graphitePort', d.graphitePort),
    graphite: graphite(o.graphite),
  };
}

const HOST_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/** A host name or an IP address (IPv6 bare or in brackets); no scheme, no port (graphitePort says it). */
function host(o: Record<string, unknown>, key: string, def: string): string {
  const v = str(o, key, def).trim();
  const bare = v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v;
  if (v !== '' && !HOST_NAME.test(v) && isIP(bare) !== 6) {
    throw bad(key, v, 'a host name or IP address, or "" for none');
  }
  return bare;
}

function port(o: Record<string, unknown>, key: string, def: number): number {
  const n = integer(o, key, def, 1);
  if (n > 65535) throw bad(key, o[key], 'a port number 1-65535');
  return n;
}

function graphite(v: unknown): StatsdGraphiteConfig {
  const d = DEFAULT_STATSD_CONFIG.graphite;
  if (v === undefined) return { ...d };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('graphite', v, 'an object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!GRAPHITE_KEYS.has(k)) throw new Error(`statsd config: got unknown option "graphite.${k}"`);
  }
  const p = (k: keyof StatsdGraphiteConfig & string, def: string) => prefix(o, k, def, true, 'graphite.');
  return {
    legacyNamespace: bool(o, 'legacyNamespace', d.legacyNamespace, 'graphite.'),
    globalPrefix: p('globalPrefix', d.globalPrefix),
    prefixCounter: p('prefixCounter', d.prefixCounter),
    prefixTimer: p('prefixTimer', d.prefixTimer),
    prefixGauge: p('prefixGauge', d.prefixGauge),
    prefixSet: p('prefixSet', d.prefixSet),
    globalSuffix: p('globalSuffix', ''),
  };
}

const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** A dotted path that survives key sanitizing unchanged and has no empty segment. */
function prefix(o: Record<string, unknown>, key: string, def: string, mayBeEmpty: boolean, at = ''): string {
  const v = str(o, key, def, at);
  if (v === '' && mayBeEmpty) return v;
  if (!PREFIX.test(v)) {
    throw bad(at + key, v, `dot-separated words of [A-Za-z0-9_-]${mayBeEmpty ? ', or "" for none' : ''}`);
  }
  return v;
}

function percentiles(v: unknown): number[] {
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : Array.isArray(v) ? v : [v];
  if (list.length === 0) throw bad('percentThreshold', v, 'at least one percentile');
  return list.map((x) => {
    const n = typeof x === 'string' && x !== '' ? Number(x) : x;
    // The number is printed into metric names (upper_99_9, mean_top10), so no exponent notation.
    if (typeof n !== 'number' || !/^-?\d+(\.\d+)?$/.test(String(n)) || n === 0 || Math.abs(n) > 100) {
      throw bad('percentThreshold', x, 'numbers in [-100, 100] other than 0, such as 90 or -10 or 99.9');
    }
    return n;
  });
}

function timerMetrics(v: unknown): string[] {
  if (v === undefined || v === '') return [];
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v;
  if (!Array.isArray(list)) throw bad('calculatedTimerMetrics', v, 'a list of timer metric names');
  const known: readonly string[] = TIMER_METRICS;
  for (const m of list) {
    if (typeof m !== 'string' || !known.includes(m)) {
      throw bad('calculatedTimerMetrics', m, `one of ${TIMER_METRICS.join(', ')}`);
    }
  }
  return [...list];
}

function histogram(v: unknown): HistogramRule[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw bad('histogram', v, 'a list of { metric, bins }');
  return v.map((rule, i) => {
    const at = `histogram[${i}]`;
    if (typeof rule !== 'object' || rule === null) throw bad(at, rule, '{ metric, bins }');
    const { metric, bins } = rule as { metric?: unknown; bins?: unknown };
    if (typeof metric !== 'string') throw bad(`${at}.metric`, metric, 'a string');
    if (!Array.isArray(bins))
      throw bad(`${at}.bins`, bins, 'a list of ascending numbers, optionally ending in "inf"');
    let last = Number.NEGATIVE_INFINITY;
    const out = bins.map((b, j) => {
      const ok =
        b === 'inf' ? j === bins.length - 1 : typeof b === 'number' && Number.isFinite(b) && b > last;
      // The bin is printed into the name (bin_0_5), so no exponent notation either.
      if (!ok || (b !== 'inf' && !/^\d+(\.\d+)?$/.test(String(b)))) {
        throw bad(`${at}.bins[${j}]`, b, `a number above ${last} (or "inf" as the last bin)`);
      }
      if (typeof b === 'number') last = b;
      return b as number | 'inf';
    });
    return { metric, bins: out };
  });
}

function bool(o: Record<string, unknown>, key: string, def: boolean, at = ''): boolean {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'true' || s === 'yes' || s === '1') return true;
    if (s === 'false' || s === 'no' || s === '0') return false;
  }
  throw bad(at + key, v, 'true or false');
}

function integer(o: Record<string, unknown>, key: string, def: number, min: number): number {
  const v = o[key];
  if (v === undefined) return def;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) throw bad(key, v, `an integer >= ${min}`);
  return n;
}

function str(o: Record<string, unknown>, key: string, def: string, at = ''): string {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== 'string') throw bad(at + key, v, 'a string');
  return v;
}

function bad(key: string, value: unknown, want: string): Error {
  const got = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  return new Error(`statsd config: got ${key ? `${key} = ` : ''}${got}; want ${want}`);
}
