import type { NameInterner } from './intern.js';
import type { IngestSink } from './sink.js';

/**
 * The points accepted from one read, column by column, handed to the sink in one call
 * (`IngestSink.addBatch`). Per point, a call from receiver to tag index to cache to WAL cost more than
 * the work each did, and every double passed across a call that was not inlined was boxed on the heap;
 * a batch makes it one call per read and plain array reads inside the loops. Reused: `clear` keeps the
 * arrays.
 */
export class PointBatch {
  names: string[] = [];
  timestamps: Float64Array;
  values: Float64Array;
  length = 0;
  /**
   * The exact bytes of the plaintext lines these points were parsed from, as views valid only during the
   * `addBatch` call: the write-ahead log copies them as one record instead of encoding each point
   * (docs/wal.md, "Raw record"). Invariant: when non-empty, `parseLine` over these bytes, line by line,
   * under the receiver's limits and with `now = rawNow`, gives exactly this batch's points in order. Only
   * the plaintext receivers fill it; anything that changes, drops or adds points must empty it first.
   */
  rawLines: Buffer[] = [];
  /** Epoch seconds that timestamp -1 in `rawLines` stood for. */
  rawNow = 0;
  /**
   * Per point, its name's entry in `interner` (-1: none), when `interner` is set and still at
   * `internerEpoch`: a sink may keep a handle per entry there (`NameInterner.handles`) and skip looking
   * the name up (MetricCache does). Only the plaintext receivers set it.
   */
  entries: Int32Array;
  /**
   * The interner entry of the last point parseCommonLines pushed, kept across `clear`: the next read's
   * first name is most likely the one that followed it before (NameInterner.nextAfter). -1: none.
   */
  lastEntry = -1;
  private interner: NameInterner | undefined;
  private internerEpoch = 0;

  constructor(capacity = 1024) {
    this.timestamps = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.entries = new Int32Array(capacity);
  }

  push(name: string, timestamp: number, value: number, entry = -1): void {
    if (this.length === this.timestamps.length) this.grow();
    const i = this.length++;
    this.names[i] = name;
    this.timestamps[i] = timestamp;
    this.values[i] = value;
    this.entries[i] = entry;
  }

  /**
   * The interner whose entries `push` is given, from now on (at its current epoch); undefined for none.
   */
  useInterner(interner: NameInterner | undefined): void {
    this.interner = interner;
    this.internerEpoch = interner?.epoch ?? 0;
  }

  /** The interner, if the entries pushed are still its entries (it was not cleared since). */
  handleTable(): NameInterner | undefined {
    const t = this.interner;
    return t !== undefined && t.epoch === this.internerEpoch ? t : undefined;
  }

  /** Forgets the points and raw lines, keeping the arrays for the next read. */
  clear(): void {
    this.length = 0;
    this.rawLines.length = 0;
  }

  private grow(): void {
    const n = this.timestamps.length * 2;
    const timestamps = new Float64Array(n);
    const values = new Float64Array(n);
    const entries = new Int32Array(n);
    timestamps.set(this.timestamps);
    values.set(this.values);
    entries.set(this.entries);
    this.timestamps = timestamps;
    this.values = values;
    this.entries = entries;
  }
}

/** Hands `batch` to `sink`: in one call when the sink takes batches, else point by point. */
export function addBatch(sink: IngestSink, batch: PointBatch): void {
  if (batch.length === 0) return;
  if (sink.addBatch !== undefined) {
    sink.addBatch(batch);
    return;
  }
  for (let i = 0; i < batch.length; i++) sink.add(batch.names[i], batch.timestamps[i], batch.values[i]);
}
