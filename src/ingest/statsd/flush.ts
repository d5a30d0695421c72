/**
 * The flush: turns the aggregation state into Graphite points with exactly the names and values Etsy's
 * statsd 0.9.0 sends through its graphite backend (stats.js flushMetrics, lib/process_metrics.js,
 * backends/graphite.js flush_stats and post_stats), then clears the state as stats.js does.
 */
import type { StatsdAggregator } from './aggregate.js';
import type { StatsdConfig } from './config.js';
import { filterTimerStats, timerStats } from './timers.js';

/** Where flushed points go: the IngestSink's add, or a test's recorder. */
export type EmitPoint = (name: string, timestamp: number, value: number) => void;

/**
 * The graphite backend's own status (graphiteStats in backends/graphite.js), sent with each flush and
 * shown by the admin interface's `stats`. Here the "send" is the hand-over to the sink.
 */
export interface FlushStatus {
  /** Seconds since the epoch of the last completed flush (the start time before the first). */
  last_flush: number;
  /** Seconds since the epoch of the last flush whose hand-over threw; 0 if none. */
  last_exception: number;
  /** Milliseconds the last hand-over took. */
  flush_time: number;
  /** Characters the last flush would take as plaintext lines (Etsy: the payload's length). */
  flush_length: number;
}

/** Graphite name prefixes, as backends/graphite.js init builds them. */
interface Namespaces {
  global: string[];
  counter: string[];
  counterCounts: string[];
  timer: string[];
  gauge: string[];
  set: string[];
  suffix: string;
}

function namespaces(config: StatsdConfig): Namespaces {
  const g = config.graphite;
  const suffix = g.globalSuffix === '' ? '' : `.${g.globalSuffix}`;
  if (g.legacyNamespace) {
    return {
      global: ['stats'],
      counter: ['stats'],
      counterCounts: ['stats_counts'],
      timer: ['stats', 'timers'],
      gauge: ['stats', 'gauges'],
      set: ['stats', 'sets'],
      suffix,
    };
  }
  const global = g.globalPrefix === '' ? [] : [g.globalPrefix];
  const under = (p: string) => (p === '' ? [...global] : [...global, p]);
  return {
    global,
    counter: under(g.prefixCounter),
    counterCounts: under(g.prefixCounter),
    timer: under(g.prefixTimer),
    gauge: under(g.prefixGauge),
    set: under(g.prefixSet),
    suffix,
  };
}

/** Flushes one aggregator; keeps what carries over between flushes (the last timestamp, the status). */
export class StatsdFlusher {
  private readonly ns: Namespaces;
  private oldTimestamp = 0;
  readonly status: FlushStatus;

  /** `startTime`: seconds since the epoch, Etsy's startup_time (the first last_flush). */
  constructor(
    private readonly agg: StatsdAggregator,
    startTime: number,
  ) {
    this.ns = namespaces(agg.config);
    this.status = { last_flush: startTime, last_exception: 0, flush_time: 0, flush_length: 0 };
  }

  /**
   * Flushes at `ts` (seconds since the epoch, Etsy's Math.round(now / 1000)) into `emit`, clears the
   * state, and returns the number of points emitted. `clock` gives milliseconds for the timing
   * self-metrics.
   */
  flush(ts: number, emit: EmitPoint, clock: () => number = Date.now): number {
    const agg = this.agg;
    const c = agg.config;
    const ns = this.ns;
    const prefixStats = c.prefixStats;
    if (this.oldTimestamp > 0) {
      // stats.js keeps the lag as a gauge, so it also counts in numStats and shows in `gauges`.
      agg.gauges.set(`${prefixStats}.timestamp_lag`, ts - this.oldTimestamp - c.flushInterval / 1000);
    }
    this.oldTimestamp = ts;

    const points: [string, number][] = [];
    const add = (name: string, value: number) => points.push([name, value]);
    const fmt = (namespace: string[], key: string, ...extra: string[]) => {
      const semi = key.indexOf(';');
      const metric = semi === -1 ? key : key.slice(0, semi);
      const tags = semi === -1 ? '' : key.slice(semi);
      return `${[...namespace, metric, ...extra].join('.')}${ns.suffix}${tags}`;
    };

    const processStart = clock();
    const perSecond = c.flushInterval / 1000;
    const timerData: [string, [string, number][]][] = [];
    for (const [key, t] of agg.timers) {
      const values = Float64Array.from(t.values).sort();
      const stats = timerStats(key, values, t.sampledCount, c.flushInterval, c.percentThreshold, c.histogram);
      timerData.push([key, filterTimerStats(stats, c.calculatedTimerMetrics)]);
    }
    const processingTime = clock() - processStart;

    const calcStart = clock();
    let numStats = 0;
    const counter = (key: string, value: number) => {
      const rate = value / perSecond;
      if (c.graphite.legacyNamespace) {
        add(fmt(ns.counter, key), rate);
        if (c.flushCounts) add(fmt(ns.counterCounts, key), value);
      } else {
        add(fmt(ns.counter, key, 'rate'), rate);
        if (c.flushCounts) add(fmt(ns.counterCounts, key, 'count'), value);
      }
      numStats++;
    };
    // statsd's own counters come first: stats.js creates them before any packet arrives.
    const own = agg.internal;
    const ownKeys = [
      [`${prefixStats}.bad_lines_seen`, own.bad_lines_seen],
      [`${prefixStats}.packets_received`, own.packets_received],
      [`${prefixStats}.metrics_received`, own.metrics_received],
    ] as const;
    for (const [key, value] of ownKeys) counter(key, value + (agg.counters.get(key)?.value ?? 0));
    for (const [key, { value }] of agg.counters) {
      if (key === ownKeys[0][0] || key === ownKeys[1][0] || key === ownKeys[2][0]) continue;
      counter(key, value);
    }
    for (const [key, stats] of timerData) {
      for (const [stat, value] of stats) add(fmt(ns.timer, key, stat), value);
      numStats++;
    }
    for (const [key, value] of agg.gauges) {
      add(fmt(ns.gauge, key), value);
      numStats++;
    }
    for (const [key, set] of agg.sets) {
      add(fmt(ns.set, key, 'count'), set.size);
      numStats++;
    }
    const calculationTime = clock() - calcStart;
    if (c.graphite.legacyNamespace) {
      // The legacy numStats has no "stats." in front (backends/graphite.js), unlike its siblings.
      add(`${prefixStats}.numStats${ns.suffix}`, numStats);
      add(`stats.${prefixStats}.graphiteStats.calculationtime${ns.suffix}`, calculationTime);
      add(`stats.${prefixStats}.processing_time${ns.suffix}`, processingTime);
    } else {
      add(fmt(ns.global, prefixStats, 'numStats'), numStats);
      add(fmt(ns.global, prefixStats, 'graphiteStats', 'calculationtime'), calculationTime);
      add(fmt(ns.global, prefixStats, 'processing_time'), processingTime);
    }
    // post_stats: the status of the previous hand-over travels with this one.
    const statusPrefix = [...ns.global, prefixStats, 'graphiteStats'].join('.');
    const s = this.status;
    add(`${statusPrefix}.last_exception${ns.suffix}`, s.last_exception);
    add(`${statusPrefix}.last_flush${ns.suffix}`, s.last_flush);
    add(`${statusPrefix}.flush_time${ns.suffix}`, s.flush_time);
    add(`${statusPrefix}.flush_length${ns.suffix}`, s.flush_length);

    const sendStart = clock();
    const tsText = String(ts);
    let length = 0;
    try {
      for (const [name, value] of points) {
        emit(name, ts, value);
        length += name.length + String(value).length + tsText.length + 3;
      }
      s.last_flush = Math.round(clock() / 1000);
    } catch (err) {
      s.last_exception = Math.round(clock() / 1000);
      agg.clearAfterFlush();
      throw err;
    }
    s.flush_time = clock() - sendStart;
    s.flush_length = length;
    agg.clearAfterFlush();
    return points.length;
  }
}
