import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Service } from '../lifecycle.js';
import { createLogger, type Logger } from '../log.js';
import type { PointSource, Store } from '../storage/store.js';
import type { Batch, MetricCache } from './cache.js';
import { createStrategy, type DrainStrategy, type StrategyName } from './strategy.js';
import { TokenBucket } from './token-bucket.js';
import type { WriteAheadLog } from './wal.js';

/** CacheWriter settings, named after carbon.conf's. */
export interface WriterOptions {
  cache: MetricCache;
  store: Store;
  /** carbon's CACHE_WRITE_STRATEGY. Default 'sorted', as carbon's. */
  strategy?: StrategyName;
  /**
   * carbon's MAX_UPDATES_PER_SECOND: store writes (one metric each) per second. Default unlimited: carbon's
   * 500 protects spinning disks; on SSDs the cache batching more points per write is the better brake.
   */
  maxUpdatesPerSecond?: number;
  /**
   * carbon's MAX_CREATES_PER_MINUTE: new metrics per minute. Default unlimited, as carbon's conf.py (its
   * example carbon.conf says 50). carbon drops the points of a metric it may not create yet; here they wait
   * in the cache, so a limit costs memory and latency, not data — set one when disk bursts matter.
   */
  maxCreatesPerMinute?: number;
  /** The cache's write-ahead log: replayed at start, closed (persisted segments removed) at stop. */
  wal?: WriteAheadLog;
  /** Write for up to this many ms, then let sockets and HTTP run. Default 25. */
  sliceMs?: number;
  /**
   * When a slice wrote fewer than MIN_POINTS_PER_UPDATE points per metric while more were arriving,
   * wait this many ms before the next one, so points gather into bigger writes. Default 100.
   */
  gatherMs?: number;
  /** Failed writes of one metric retried this many times (with backoff) before its points are dropped. */
  maxWriteRetries?: number;
  /** First retry delay after a failed write, doubling up to `maxRetryDelay` (ms). Default 1000. */
  retryDelay?: number;
  /** Default 60000. */
  maxRetryDelay?: number;
  logger?: Logger;
}

/** Most metrics written in one slice (one message to a write thread). */
const MAX_SLICE_METRICS = 2000;

/** Below this many points per write, while points keep arriving, the writer waits `gatherMs` between slices. */
const MIN_POINTS_PER_UPDATE = 4;

/** While gathering, the writer looks this often (ms) whether points still arrive. */
const GATHER_STEP_MS = 20;

interface Failure {
  attempts: number;
  /** performance.now() ms before which the metric is not tried again. */
  retryAt: number;
}

/**
 * carbon-cache's writer (carbon/writer.py writeCachedDataPoints): takes a metric at a time from the cache,
 * in the order of the drain strategy, and writes its points to the store, within the update and create
 * rate limits. WhisperStore writes are synchronous file I/O inside an async call, so the loop writes for
 * `sliceMs` and then yields to the event loop.
 *
 * Where carbon loses points, this writer keeps them:
 * - a metric that does not exist yet while no create token is left stays in the cache (queryable) and is
 *   tried again once a token is there; carbon drops those points (its droppedCreates, which stays 0 here).
 * - a failed write (a corrupt or unwritable file) is counted, logged at a limited rate, and its points go
 *   back into the cache, retried after 1 s, 2 s, 4 s … up to 60 s; after `maxWriteRetries` failures (about
 *   five minutes by default) they are dropped and counted (errorDroppedPoints), so one broken file cannot
 *   grow the cache and pin WAL segments for ever. carbon logs and drops them at once.
 * - stop() writes everything regardless of rate limits (carbon's MAX_UPDATES_PER_SECOND_ON_SHUTDOWN);
 *   points whose write still fails stay in the WAL, and are replayed at the next start.
 */
export class CacheWriter implements Service {
  readonly name = 'writer';
  private readonly cache: MetricCache;
  private readonly store: Store;
  private readonly strategy: DrainStrategy;
  private readonly updates: TokenBucket | undefined;
  private readonly creates: TokenBucket | undefined;
  private readonly wal: WriteAheadLog | undefined;
  private readonly sliceMs: number;
  private readonly gatherMs: number;
  private readonly maxWriteRetries: number;
  private readonly retryDelay: number;
  private readonly maxRetryDelay: number;
  private readonly logger: Logger;
  /** Metrics that do not exist and found no create token. */
  private readonly awaitingCreate = new Set<string>();
  private readonly failures = new Map<string, Failure>();
  /** At stop: metrics whose last write failed, left for the WAL. */
  private readonly givenUp = new Set<string>();
  private loop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private draining = false;
  private wake: (() => void) | undefined;
  private readonly counters = {
    committedPoints: 0,
    updateOperations: 0,
    creates: 0,
    droppedCreates: 0,
    deferredCreates: 0,
    errors: 0,
    errorDroppedPoints: 0,
    updateTime: 0,
  };

  constructor(opts: WriterOptions) {
    this.cache = opts.cache;
    this.store = opts.store;
    this.strategy = createStrategy(opts.strategy ?? 'sorted', opts.cache);
    const ups = opts.maxUpdatesPerSecond ?? Number.POSITIVE_INFINITY;
    const cpm = opts.maxCreatesPerMinute ?? Number.POSITIVE_INFINITY;
    // Bucket sizes as carbon/writer.py's: a second of updates, a minute of creates.
    this.updates = Number.isFinite(ups) ? new TokenBucket(ups, ups) : undefined;
    this.creates = Number.isFinite(cpm) ? new TokenBucket(cpm, cpm / 60) : undefined;
    this.wal = opts.wal;
    this.sliceMs = opts.sliceMs ?? 25;
    this.gatherMs = opts.gatherMs ?? 100;
    this.maxWriteRetries = opts.maxWriteRetries ?? 10;
    this.retryDelay = opts.retryDelay ?? 1000;
    this.maxRetryDelay = opts.maxRetryDelay ?? 60_000;
    this.logger = opts.logger ?? createLogger('writer');
  }

  /** Replays the WAL into the cache (before any listener opens), then starts writing. */
  async start(): Promise<void> {
    if (this.loop || this.stopping) return;
    if (this.wal) await this.wal.open(this.cache);
    this.loop ??= this.run();
  }

  /** Writes the whole cache to the store, then closes the WAL. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= this.drainAndClose();
    return this.stopping;
  }

  stats(): Record<string, number> {
    const c = this.counters;
    const out: Record<string, number> = {
      committedPoints: c.committedPoints,
      updateOperations: c.updateOperations,
      pointsPerUpdate: c.updateOperations ? c.committedPoints / c.updateOperations : 0,
      creates: c.creates,
      droppedCreates: c.droppedCreates,
      deferredCreates: c.deferredCreates,
      errors: c.errors,
      errorDroppedPoints: c.errorDroppedPoints,
      avgUpdateTime: c.updateOperations ? c.updateTime / c.updateOperations / 1000 : 0,
      updateTimeMs: c.updateTime,
      'cache.size': this.cache.size,
      'cache.queues': this.cache.queueCount,
      'cache.overflow': this.cache.overflow,
    };
    if (this.wal) Object.assign(out, this.wal.stats());
    return out;
  }

  private async drainAndClose(): Promise<void> {
    this.draining = true;
    this.wake?.();
    // Started or not, write what the cache holds.
    this.loop ??= this.run();
    await this.loop;
    await this.wal?.close();
    if (this.givenUp.size > 0)
      this.logger.warn(
        `stopped with ${this.cache.size} points of ${this.givenUp.size} metrics unwritten; kept in the WAL`,
      );
  }

  private async run(): Promise<void> {
    const skip = (metric: string) => this.skip(metric);
    // A store that writes off the main thread takes a whole slice of batches at once (one message);
    // one that writes right here is awaited batch by batch so the slice ends on time.
    const concurrent = this.store.writesOffThread === true;
    const slices: Promise<void>[] = [];
    for (;;) {
      // A store that writes many metrics in one go gets the slice as one call, unless a create limit
      // needs each metric's existence checked first (write() does that).
      const inOneCall =
        concurrent && this.store.writeMany !== undefined && (this.creates === undefined || this.draining);
      const sliceEnd = performance.now() + this.sliceMs;
      const writes: Promise<void>[] = [];
      const slice = inOneCall ? new Flights(this.cache) : undefined;
      let wrote = 0;
      let points = 0;
      let throttled = 0;
      while (performance.now() < sliceEnd && wrote < MAX_SLICE_METRICS) {
        if (this.updates && !this.draining && !this.updates.available()) {
          throttled = this.updates.wait() * 1000;
          break;
        }
        const metric = this.strategy.next(skip);
        if (metric === undefined) break;
        if (slice !== undefined) {
          if (!this.draining) this.updates?.take();
          points += slice.take(metric);
        } else {
          const batch = this.cache.pop(metric);
          if (batch === undefined) throw new Error(`BUG: strategy chose ${metric}, which has no points`);
          points += batch.timestamps.length;
          if (concurrent) writes.push(this.write(batch));
          else await this.write(batch);
        }
        wrote++;
      }
      // Two slices in flight: the next one is taken and packed while the write threads write this one.
      // A metric in both goes to the same thread, in order, so its writes still land in order.
      if (slice !== undefined && slice.length > 0) slices.push(this.writeSlice(slice));
      if (slices.length > 1) await slices.shift();
      if (writes.length > 0) await Promise.all(writes);
      if (throttled > 0) await this.idle(throttled);
      else if (wrote > 0 && this.gathering(wrote, points)) await this.gather();
      else if (wrote > 0) await yieldToEventLoop();
      else if (slices.length > 0) {
        // Nothing to take now: let the slice in flight land (a failure requeues), then look again, as
        // points may have arrived meanwhile without a new metric to wake an idle wait.
        await slices.shift();
      } else if (this.draining) return;
      else await this.idle(this.nextEligible());
    }
  }

  /**
   * Waits up to `gatherMs` for points to gather, in steps of GATHER_STEP_MS, and stops early once a step
   * brings none: when a load ends, what is left is written at once, not `gatherMs` later per slice.
   */
  private async gather(): Promise<void> {
    const until = performance.now() + this.gatherMs;
    for (;;) {
      const seen = this.cache.accepted;
      const left = until - performance.now();
      if (left <= 0 || this.draining) return;
      await this.pause(Math.min(GATHER_STEP_MS, left));
      if (this.cache.accepted === seen) return;
    }
  }

  /**
   * True when the slice just written was small writes (few points per metric) while points keep arriving:
   * a receiver sending every metric's next point (as agents do) leaves one or two points per metric in
   * the cache at a time, and writing them at once costs a file update each, on the write thread and in
   * the main thread's packing, which competes with the receivers. Waiting lets a write carry many points.
   * The cache (and its WAL) holds them meanwhile, readable by queries.
   */
  private gathering(wrote: number, points: number): boolean {
    return (
      !this.draining && this.gatherMs > 0 && points < wrote * MIN_POINTS_PER_UPDATE && this.cache.size > 0
    );
  }

  /** Waits `ms`, or until stop(). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private skip(metric: string): boolean {
    if (this.draining) return this.givenUp.has(metric);
    const failure = this.failures.get(metric);
    if (failure !== undefined && failure.retryAt > performance.now()) return true;
    return this.awaitingCreate.has(metric) && this.creates !== undefined && !this.creates.available();
  }

  /** Ms until a skipped metric may be tried again; Infinity when nothing is queued. */
  private nextEligible(): number {
    if (this.cache.queueCount === 0) return Number.POSITIVE_INFINITY;
    let ms = 1000;
    const now = performance.now();
    for (const f of this.failures.values()) ms = Math.min(ms, f.retryAt - now);
    if (this.awaitingCreate.size > 0 && this.creates) ms = Math.min(ms, this.creates.wait() * 1000);
    return Math.max(1, ms);
  }

  /** Waits `ms`, or until a new metric arrives in the cache, or stop(). */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      this.cache.whenNewQueue(done);
      if (Number.isFinite(ms)) timer = setTimeout(done, ms);
    });
  }

  private async write(batch: Batch): Promise<void> {
    const metric = batch.metric;
    let creating = false;
    // Only a create limit needs to know beforehand whether the metric exists; otherwise the store
    // creates what is missing and says so (a stat per write would cost the main thread).
    if (this.creates !== undefined && !this.draining) {
      let exists: boolean;
      try {
        exists = await this.store.exists(metric);
      } catch (err) {
        this.failed(batch.metric, batch.flight, batch.timestamps.length, err as Error);
        return;
      }
      if (!exists) {
        if (!this.creates.take()) {
          // carbon/writer.py drops these points (droppedCreates); keeping them costs only memory.
          this.cache.requeue(batch);
          if (!this.awaitingCreate.has(metric)) this.counters.deferredCreates++;
          this.awaitingCreate.add(metric);
          return;
        }
        creating = true;
      }
      this.awaitingCreate.delete(metric);
    }
    if (!this.draining) this.updates?.take();
    const started = performance.now();
    let created: boolean | undefined;
    try {
      created = await this.store.write(batch);
    } catch (err) {
      this.failed(batch.metric, batch.flight, batch.timestamps.length, err as Error);
      return;
    }
    this.counters.updateTime += performance.now() - started;
    this.written(batch.metric, batch.flight, batch.timestamps.length, created ?? creating);
  }

  /**
   * Writes a slice with one store.writeMany call, which reads the points from the cache (no copy per
   * metric), then settles each metric as write() would.
   */
  private async writeSlice(slice: Flights): Promise<void> {
    const writeMany = this.store.writeMany;
    if (writeMany === undefined) throw new Error('BUG: writeSlice on a store without writeMany');
    const started = performance.now();
    let outcomes: Array<boolean | undefined | Error>;
    try {
      outcomes = await writeMany.call(this.store, slice);
    } catch (err) {
      for (let i = 0; i < slice.length; i++)
        this.failed(slice.metric(i), slice.flight(i), slice.count(i), err as Error);
      return;
    }
    this.counters.updateTime += performance.now() - started;
    for (let i = 0; i < slice.length; i++) {
      const outcome = outcomes[i];
      if (outcome instanceof Error) this.failed(slice.metric(i), slice.flight(i), slice.count(i), outcome);
      else this.written(slice.metric(i), slice.flight(i), slice.count(i), outcome === true);
    }
  }

  /**
   * The store has `points` points of `metric`, its `flight`: release them from the cache and count them
   * (a create when `created`).
   */
  private written(metric: string, flight: number, points: number, created: boolean): void {
    this.cache.land(metric, flight);
    this.failures.delete(metric);
    const c = this.counters;
    c.committedPoints += points;
    c.updateOperations++;
    if (created) c.creates++;
  }

  private failed(metric: string, flight: number, n: number, err: Error): void {
    this.counters.errors++;
    const failure = this.failures.get(metric) ?? { attempts: 0, retryAt: 0 };
    failure.attempts++;
    if (this.draining) {
      this.cache.putBack(metric, flight);
      this.givenUp.add(metric);
      this.logger.limited('write', `writing ${metric}: ${err.message}; ${n} points left in the WAL`);
      return;
    }
    if (failure.attempts > this.maxWriteRetries) {
      this.cache.land(metric, flight);
      this.failures.delete(metric);
      this.counters.errorDroppedPoints += n;
      this.logger.limited(
        'drop',
        `writing ${metric}: ${err.message}; failed ${failure.attempts} times, ${n} points dropped`,
      );
      return;
    }
    const delay = Math.min(this.retryDelay * 2 ** (failure.attempts - 1), this.maxRetryDelay);
    failure.retryAt = performance.now() + delay;
    this.failures.set(metric, failure);
    this.cache.putBack(metric, flight);
    this.logger.limited(
      'write',
      `writing ${metric}: ${err.message}; ${n} points kept, retry ${failure.attempts} in ${delay} ms`,
    );
  }
}

/**
 * The metrics of one slice, taken from the cache into flight and handed to store.writeMany as its
 * PointSource: the store copies each metric's points from the cache's slab straight into its write
 * message. No array or object per metric (bench/ingest: the writer's per-metric copies, batch objects
 * and their garbage were about a fifth of the receiving thread's time).
 */
class Flights implements PointSource {
  private readonly metrics: string[] = [];
  private readonly flights: number[] = [];
  /** Points of each flight, kept here: they stay valid once the flight has landed. */
  private readonly counts: number[] = [];

  constructor(private readonly cache: MetricCache) {}

  get length(): number {
    return this.metrics.length;
  }

  /** Takes `metric`'s queued points into this slice; returns how many. */
  take(metric: string): number {
    const flight = this.cache.take(metric);
    if (flight < 0) throw new Error(`BUG: strategy chose ${metric}, which has no points`);
    const n = this.cache.flightLength(flight);
    this.metrics.push(metric);
    this.flights.push(flight);
    this.counts.push(n);
    return n;
  }

  metric(i: number): string {
    return this.metrics[i];
  }

  flight(i: number): number {
    return this.flights[i];
  }

  count(i: number): number {
    return this.counts[i];
  }

  copy(i: number, out: Float64Array, at: number): void {
    this.cache.copyFlight(this.flights[i], out, at);
  }
}
