import type { PointBatch } from './batch.js';

/**
 * Where receivers hand accepted points. The cache implements it. `paused` is flow control: when the
 * cache is over its maximum size, receivers stop reading their sockets until `onResume` fires.
 */
export interface IngestSink {
  /** Accepts one validated point. `name` is already validated and normalized. */
  add(name: string, timestamp: number, value: number): void;
  /** Accepts the batch's points in order, as `add` of each would; the batch is the caller's again after. */
  addBatch?(batch: PointBatch): void;
  readonly paused: boolean;
  /** Registers a callback run each time the sink goes from paused to accepting again. */
  onResume(cb: () => void): void;
}
