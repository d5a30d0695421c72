/**
 * Why a piece of input was dropped. Every receiver counts drops under these names, so the self-metrics
 * of the plaintext, UDP and pickle receivers line up (carbon reports only `metricsReceived`; the
 * per-reason counts are ours, so an operator can tell a broken client from a flood).
 */
export const DROP_REASONS = [
  /** A line without exactly three whitespace-separated fields (`path value timestamp`). */
  'badFieldCount',
  /** A metric name that fails validation (see names.ts). */
  'badName',
  /** A value that is not a finite decimal number. */
  'badValue',
  /** A timestamp that is not a decimal number, is negative, or is beyond the configured maximum. */
  'badTimestamp',
  /** Bytes that are not UTF-8. */
  'badEncoding',
  /** A line longer than maxLineLength, discarded whole. */
  'lineTooLong',
  /** A pickle frame that the safe unpickler refused or whose top level is not a list of items. */
  'badPickle',
  /** A pickle item that is not `(path, (timestamp, value))`. */
  'badItem',
  /** A pickle length prefix over the frame limit; the connection is closed. */
  'frameTooLarge',
  /** A UDP datagram that arrived while the sink was paused (UDP cannot be paused, only dropped). */
  'droppedWhilePaused',
] as const;

/** One of DROP_REASONS. */
export type DropReason = (typeof DROP_REASONS)[number];

/**
 * The counters every receiver keeps. `stats()` of a receiver returns `toRecord()`: `metricsReceived`
 * (carbon's own name for accepted points), `errors` (all drops), `errors.<reason>` for each reason
 * (always present, zero included, so a dashboard sees the series from the first flush), the
 * connection counts, and `paused` (1 while flow control holds reading).
 */
export class ReceiverStats {
  metricsReceived = 0;
  errors = 0;
  connectionsOpen = 0;
  connectionsAccepted = 0;
  /** 1 while reading is paused for flow control. */
  paused = 0;
  readonly dropped: Record<DropReason, number>;

  constructor() {
    this.dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  }

  /** Counts one dropped line, item, frame or datagram. */
  drop(reason: DropReason): void {
    this.errors++;
    this.dropped[reason]++;
  }

  /** The flat record `Service.stats()` returns. */
  toRecord(): Record<string, number> {
    const out: Record<string, number> = {
      metricsReceived: this.metricsReceived,
      errors: this.errors,
      connectionsOpen: this.connectionsOpen,
      connectionsAccepted: this.connectionsAccepted,
      paused: this.paused,
    };
    for (const r of DROP_REASONS) out[`errors.${r}`] = this.dropped[r];
    return out;
  }
}
