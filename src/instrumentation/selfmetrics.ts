import { cpuUsage, memoryUsage } from 'node:process';
import type { IngestSink } from '../ingest/sink.js';

/**
 * carbon-cache's self-metrics (carbon/instrumentation.py): every interval, points named
 * <prefix>.agents.<instance>.<stat> go into the cache like any received metric. Services report
 * cumulative counters; carbon reports per-interval counts, so counters are turned into deltas here,
 * while gauges (the GAUGES below and anything a service marks as one) are reported as they stand.
 */
export interface StatsSource {
  stats(): Record<string, number>;
}

/** Stats that are levels, not counts. */
const GAUGES = new Set([
  'cache.size',
  'cache.queues',
  'connectionsOpen',
  'paused',
  'wal.segments',
  'wal.bytes',
  'wal.lastFlushMs',
]);

/** Averages since start that services report; here they are recomputed over the interval instead. */
const RECOMPUTED = new Set(['pointsPerUpdate', 'avgUpdateTime']);

export class SelfMetrics {
  private last = new Map<string, number>();
  private lastCpu = cpuUsage();
  private lastAt = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: {
      prefix: string;
      instance: string;
      intervalSeconds: number;
      sink: IngestSink;
      sources: StatsSource[];
    },
  ) {}

  start(): void {
    if (this.timer || this.opts.intervalSeconds <= 0) return;
    this.timer = setInterval(
      () => this.report(Math.floor(Date.now() / 1000)),
      this.opts.intervalSeconds * 1000,
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Sums every source's stats (receivers report the same names, e.g. metricsReceived). */
  private collect(): Map<string, number> {
    const totals = new Map<string, number>();
    for (const source of this.opts.sources) {
      for (const [k, v] of Object.entries(source.stats())) totals.set(k, (totals.get(k) ?? 0) + v);
    }
    return totals;
  }

  /** Computes this interval's values, as carbon names them. Exposed for tests. */
  snapshot(): Map<string, number> {
    const totals = this.collect();
    const out = new Map<string, number>();
    for (const [k, v] of totals) {
      if (RECOMPUTED.has(k)) continue;
      if (GAUGES.has(k)) out.set(k, v);
      else {
        out.set(k, v - (this.last.get(k) ?? 0));
        this.last.set(k, v);
      }
    }
    // Derived as carbon does: points per whisper update and mean update time over this interval.
    const updates = out.get('updateOperations') ?? 0;
    if (updates > 0) {
      out.set('pointsPerUpdate', (out.get('committedPoints') ?? 0) / updates);
      if (out.has('updateTimeMs')) out.set('avgUpdateTime', (out.get('updateTimeMs') ?? 0) / 1000 / updates);
    }
    out.delete('updateTimeMs');
    const now = Date.now();
    const cpu = cpuUsage(this.lastCpu);
    // carbon's cpuUsage: CPU seconds used per wall second over the interval.
    out.set('cpuUsage', (cpu.user + cpu.system) / 1e6 / Math.max(0.001, (now - this.lastAt) / 1000));
    this.lastCpu = cpuUsage();
    this.lastAt = now;
    out.set('memUsage', memoryUsage.rss());
    return out;
  }

  report(timestamp: number): void {
    const base = `${this.opts.prefix}.agents.${this.opts.instance}.`;
    for (const [k, v] of this.snapshot()) {
      if (Number.isFinite(v)) this.opts.sink.add(base + k, timestamp, v);
    }
  }
}
