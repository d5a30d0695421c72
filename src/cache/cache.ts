import type { PointBatch } from '../ingest/batch.js';
import type { IngestSink } from '../ingest/sink.js';
import { createLogger } from '../log.js';
import type { MetricPoints } from '../storage/store.js';
import { LiveMap } from './live-map.js';
import { lastPerTimestamp } from './points.js';
import type { CacheReader } from './reader.js';
import { MAX_POINTS, PointSlab } from './slab.js';

/** Where the cache logs each accepted point for crash recovery: the WriteAheadLog (wal.ts). */
export interface PointLog {
  append(name: string, timestamp: number, value: number): void;
  /** `append` of each of the batch's points. */
  appendBatch(batch: PointBatch): void;
  /** Id of the segment that a point appended now will be written to. Never decreases. */
  readonly segment: number;
}

/** MetricCache settings, named after carbon.conf's. */
export interface CacheOptions {
  /** carbon's MAX_CACHE_SIZE, in points: at this size `paused` turns true. Default unlimited. */
  maxSize?: number;
  /** carbon's CACHE_SIZE_LOW_WATERMARK as a fraction of maxSize: reading resumes below it. Default 0.95. */
  lowWatermark?: number;
  /** Write-ahead log; without one, a crash loses the cache as it does carbon-cache's. */
  log?: PointLog;
}

/**
 * One metric's points taken by `pop`, sorted by timestamp, one per timestamp. The cache counts them as in
 * flight — still returned by `peek`, and their WAL segment kept — until `release` (persisted) or `requeue`
 * (not persisted, try again later).
 */
export interface Batch extends MetricPoints {
  /** The oldest WAL segment holding any of these points. */
  segment: number;
  /** The flight (`take`'s id) these points are: release and requeue land or put back this flight. */
  readonly flight: number;
}

const log = createLogger('cache');

/**
 * carbon-cache's MetricCache (carbon/cache.py): accepted points by metric until the writer persists them.
 * Readable by queries from the moment they are accepted (`peek`). Unlike carbon's dict of dicts, a metric's
 * queue is a chain of blocks in a PointSlab (slab.ts) — 16 bytes per point, no object per point or queue —
 * in arrival order, and duplicates of a timestamp are resolved at `pop`; so `size` counts every accepted
 * point, duplicates included (carbon counts distinct timestamps).
 *
 * Flow control as carbon's USE_FLOW_CONTROL: `paused` turns true when size reaches maxSize, and receivers
 * stop reading; `onResume` callbacks run once size falls below the low watermark. carbon drops points that
 * arrive while it is full (counting cache.overflow); receivers here have already stopped reading by then,
 * so the few points still in hand (the rest of a read buffer) are kept, and counted in `overflow`.
 */
export class MetricCache implements IngestSink, CacheReader {
  private readonly maxSize: number;
  private readonly resumeBelow: number;
  private readonly log: PointLog | undefined;
  private readonly slab = new PointSlab();
  /** Metric name -> its queue in the slab, for every metric with queued points. */
  private readonly queues = new LiveMap();
  /** Queue id -> the oldest WAL segment holding any of its points. */
  private readonly queueSegment: number[] = [];
  /**
   * Metric name -> its newest flight: a queue taken by the writer (`take`), whose points stay in the slab,
   * readable, until they are persisted. A metric's older flights hang off it through `older`.
   */
  private readonly inflight = new LiveMap();
  /** Flight (queue id) -> the same metric's next older flight, or -1. */
  private readonly older: number[] = [];
  /** Queues and flights per WAL segment id: a segment is needed while its count is above 0. */
  private readonly segmentRefs = new Map<number, number>();
  private readonly resumeCallbacks: (() => void)[] = [];
  private newQueueWaiter: (() => void) | undefined;
  private _size = 0;
  private _paused = false;
  /** Points accepted while the cache was already over maxSize (carbon's cache.overflow). */
  overflow = 0;
  /** Points accepted since start (`add`, `addBatch`; not replayed ones): the writer watches it move. */
  accepted = 0;

  /** `opts.maxSize` is capped at slab.ts's MAX_POINTS (2^28), what the slab is sure to hold. */
  constructor(opts: CacheOptions = {}) {
    this.maxSize = Math.min(opts.maxSize ?? Number.POSITIVE_INFINITY, MAX_POINTS);
    const low = opts.lowWatermark ?? 0.95;
    if (!(this.maxSize > 0)) throw new Error(`maxSize got ${opts.maxSize}; want a number above 0`);
    if (!(low > 0 && low <= 1)) throw new Error(`lowWatermark got ${low}; want a fraction in (0, 1]`);
    this.resumeBelow = this.maxSize * low;
    this.log = opts.log;
  }

  /** Points in the cache, not counting those in flight (carbon's cache.size). */
  get size(): number {
    return this._size;
  }

  /** Metrics with points in the cache (carbon's cache.queues). */
  get queueCount(): number {
    return this.queues.size;
  }

  get paused(): boolean {
    return this._paused;
  }

  add(name: string, timestamp: number, value: number): void {
    const log = this.log;
    let q = this.queues.get(name);
    if (q === undefined) q = this.newQueue(name, log === undefined ? 0 : log.segment);
    this.slab.push(q, timestamp, value);
    this.accepted++;
    if (++this._size >= this.maxSize) this.atSize(this._size);
    if (log !== undefined) log.append(name, timestamp, value);
  }

  /**
   * `add` of each of the batch's points, in one loop. When the batch's names come with their entries in
   * a receiver's NameInterner (`PointBatch.handleTable`), the entry keeps the name's queue and the
   * queue's generation, so a known name reaches its queue without the Map: in bench/ingest (10,000
   * metrics in turn) the Map's lookup was a third of the cache's time, its table and entries each a
   * cache miss. A handle whose generation is stale (the queue was taken by the writer since) falls back
   * to the Map, and is renewed.
   */
  addBatch(batch: PointBatch): void {
    const log = this.log;
    const segment = log === undefined ? 0 : log.segment;
    const { names, timestamps, values, length, entries } = batch;
    const queues = this.queues;
    const slab = this.slab;
    const handles = batch.handleTable()?.handles;
    for (let i = 0; i < length; i++) {
      const e = handles === undefined ? -1 : entries[i];
      let q = e < 0 ? -1 : handles![2 * e];
      if (q < 0 || slab.generation(q) !== handles![2 * e + 1]) {
        const name = names[i];
        q = queues.get(name) ?? this.newQueue(name, segment);
        if (e >= 0) {
          handles![2 * e] = q;
          handles![2 * e + 1] = slab.generation(q);
        }
      }
      slab.push(q, timestamps[i], values[i]);
    }
    const before = this._size;
    this._size += length;
    this.accepted += length;
    // What `add` decides point by point; only a batch that reaches maxSize needs the walk.
    if (this._size >= this.maxSize) {
      for (let size = before + 1; size <= this._size; size++) if (size >= this.maxSize) this.atSize(size);
    }
    if (log !== undefined) log.appendBatch(batch);
  }

  /** Adds a point replayed from WAL segment `segment` (not logged again). */
  restore(name: string, timestamp: number, value: number, segment: number): void {
    let q = this.queues.get(name);
    if (q === undefined) q = this.newQueue(name, segment);
    else if (segment < this.queueSegment[q]) this.moveRef(q, segment);
    this.slab.push(q, timestamp, value);
    if (++this._size >= this.maxSize) this.atSize(this._size);
  }

  onResume(cb: () => void): void {
    this.resumeCallbacks.push(cb);
  }

  peek(metric: string): { timestamps: number[]; values: number[] } | undefined {
    const q = this.queues.get(metric);
    let flight = this.inflight.get(metric);
    if (flight === undefined) return q === undefined ? undefined : this.slab.copy(q);
    // The flights came first, oldest first, then what was queued since.
    const flights: number[] = [];
    for (; flight >= 0; flight = this.older[flight]) flights.push(flight);
    const timestamps: number[] = [];
    const values: number[] = [];
    const add = (t: number, v: number) => {
      timestamps.push(t);
      values.push(v);
    };
    for (let i = flights.length - 1; i >= 0; i--) this.slab.forEach(flights[i], add);
    if (q !== undefined) this.slab.forEach(q, add);
    return { timestamps, values };
  }

  *names(): Iterable<string> {
    yield* this.queues.keys();
    for (const name of this.inflight.keys()) if (!this.queues.has(name)) yield name;
  }

  /** Names of the metrics queued (not in flight), for drain strategies. */
  queueNames(): IterableIterator<string> {
    return this.queues.keys();
  }

  /** Points queued for `metric` (0 when none). */
  queueLength(metric: string): number {
    const q = this.queues.get(metric);
    return q === undefined ? 0 : this.slab.count(q);
  }

  /**
   * Takes all of a metric's queued points as one batch (carbon's writer writes a metric at a time), or
   * undefined when it has none. Call `release` once the store has them, or `requeue` when it has not.
   */
  pop(metric: string): Batch | undefined {
    const flight = this.take(metric);
    if (flight < 0) return undefined;
    const points = this.slab.copy(flight);
    const { timestamps, values } = lastPerTimestamp(points.timestamps, points.values);
    return { metric, timestamps, values, segment: this.queueSegment[flight], flight };
  }

  /** The store has `batch`: forget it, and let the WAL drop its segment once nothing else needs it. */
  release(batch: Batch): void {
    this.land(batch.metric, batch.flight);
  }

  /** The store could not take `batch`: put its points back ahead of any newer ones, to be tried again. */
  requeue(batch: Batch): void {
    this.putBack(batch.metric, batch.flight);
  }

  /**
   * `pop` without copying: takes a metric's queued points into flight and returns the flight's id, or -1
   * when it has none. The points stay where they are, readable by `peek` and by `copyFlight` (the writer
   * packs them straight into a write message), until `land` or `putBack`.
   */
  take(metric: string): number {
    const q = this.queues.get(metric);
    if (q === undefined) return -1;
    this.queues.delete(metric);
    // Receivers' handles to the queue go stale: the metric's next point opens a new queue.
    this.slab.invalidate(q);
    this.older[q] = this.inflight.get(metric) ?? -1;
    this.inflight.set(metric, q);
    this._size -= this.slab.count(q);
    if (this._paused && this._size < this.resumeBelow) this.resume();
    return q;
  }

  /** Points in `flight`, as accepted (duplicates of a timestamp included). */
  flightLength(flight: number): number {
    return this.slab.count(flight);
  }

  /**
   * Copies `flight`'s points in arrival order (a later point of one timestamp wins when written in this
   * order): the timestamps at out[at, at + n), the values at out[at + n, at + 2n), n = flightLength.
   */
  copyFlight(flight: number, out: Float64Array, at: number): void {
    this.slab.copyInto(flight, out, at);
  }

  /** The store has `metric`'s `flight`: free it, and let the WAL drop its segment once nothing else needs it. */
  land(metric: string, flight: number): void {
    this.unlink(metric, flight);
    this.unref(this.queueSegment[flight]);
    this.slab.release(flight);
  }

  /** The store could not take `flight`: its points go back ahead of any newer ones, to be tried again. */
  putBack(metric: string, flight: number): void {
    this.unlink(metric, flight);
    const slab = this.slab;
    const n = slab.count(flight);
    const old = this.queues.get(metric);
    if (old !== undefined) {
      // What arrived since follows the flight's points, in the flight's queue, which is queued again.
      slab.forEach(old, (t, v) => slab.push(flight, t, v));
      slab.release(old);
      // The merged queue needs one reference, to the older of the two segments; drop the other.
      const segment = this.queueSegment[old];
      const own = this.queueSegment[flight];
      this.queueSegment[flight] = Math.min(segment, own);
      this.unref(Math.max(segment, own));
    }
    this.queues.set(metric, flight);
    this._size += n;
    if (this._size >= this.maxSize) this._paused = true;
  }

  /** The oldest WAL segment still holding unpersisted points, or Infinity when none does. */
  oldestSegment(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const [segment, count] of this.segmentRefs) if (count > 0 && segment < oldest) oldest = segment;
    return oldest;
  }

  /** Runs `cb` once, the next time a metric not queued gets a point (the writer waits on it when idle). */
  whenNewQueue(cb: () => void): void {
    this.newQueueWaiter = cb;
  }

  private newQueue(name: string, segment: number): number {
    const q = this.slab.open();
    this.queues.set(name, q);
    this.queueSegment[q] = segment;
    this.segmentRefs.set(segment, (this.segmentRefs.get(segment) ?? 0) + 1);
    const waiter = this.newQueueWaiter;
    if (waiter !== undefined) {
      this.newQueueWaiter = undefined;
      waiter();
    }
    return q;
  }

  private moveRef(q: number, segment: number): void {
    this.unref(this.queueSegment[q]);
    this.queueSegment[q] = segment;
    this.segmentRefs.set(segment, (this.segmentRefs.get(segment) ?? 0) + 1);
  }

  private unref(segment: number): void {
    const count = this.segmentRefs.get(segment);
    if (count === undefined) throw new Error(`BUG: no reference to WAL segment ${segment} to drop`);
    if (count <= 1) this.segmentRefs.delete(segment);
    else this.segmentRefs.set(segment, count - 1);
  }

  /** Takes `flight` out of `metric`'s flights (usually its only one). */
  private unlink(metric: string, flight: number): void {
    const newest = this.inflight.get(metric);
    if (newest === flight) {
      const next = this.older[flight];
      if (next < 0) this.inflight.delete(metric);
      else this.inflight.set(metric, next);
      return;
    }
    for (let q = newest ?? -1; q >= 0; q = this.older[q]) {
      if (this.older[q] === flight) {
        this.older[q] = this.older[flight];
        return;
      }
    }
    throw new Error(`BUG: flight ${flight} of ${metric} is not in flight`);
  }

  /** A point took the cache to `size` >= maxSize: pause, or count it as overflow when already paused. */
  private atSize(size: number): void {
    if (this._paused) {
      if (size > this.maxSize) this.overflow++;
    } else this._paused = true;
  }

  private resume(): void {
    this._paused = false;
    for (const cb of this.resumeCallbacks) {
      try {
        cb();
      } catch (err) {
        log.limited('resume', `a resume callback threw: ${(err as Error).message}`);
      }
    }
  }
}
