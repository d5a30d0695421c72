import type { IngestSink } from '../../src/ingest/sink.js';

/** One point as a receiver handed it over. */
export interface RecordedPoint {
  name: string;
  timestamp: number;
  value: number;
}

/**
 * An IngestSink that records points, for receiver tests. `pauseAt` makes it report `paused` once that
 * many points arrived (as the cache does at its maximum size); `resume()` clears it and fires the
 * onResume callbacks. `waitFor(n)` resolves when n points have arrived — tests await it, never sleep.
 */
export class FakeSink implements IngestSink {
  readonly points: RecordedPoint[] = [];
  paused = false;
  pauseAt = Number.POSITIVE_INFINITY;
  private readonly resumeCallbacks: (() => void)[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  add(name: string, timestamp: number, value: number): void {
    this.points.push({ name, timestamp, value });
    if (this.points.length >= this.pauseAt) this.paused = true;
    this.waiters = this.waiters.filter((w) => {
      if (this.points.length < w.n) return true;
      w.resolve();
      return false;
    });
  }

  onResume(cb: () => void): void {
    this.resumeCallbacks.push(cb);
  }

  resume(): void {
    this.paused = false;
    this.pauseAt = Number.POSITIVE_INFINITY;
    for (const cb of this.resumeCallbacks) cb();
  }

  waitFor(n: number): Promise<void> {
    if (this.points.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  names(): string[] {
    return this.points.map((p) => p.name);
  }
}
