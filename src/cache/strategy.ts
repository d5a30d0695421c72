/**
 * The order in which the writer drains the cache: carbon's CACHE_WRITE_STRATEGY (carbon/cache.py,
 * NaiveStrategy, MaxStrategy, SortedStrategy). To add one: a class with `next`, a name in STRATEGIES.
 */

/** carbon.conf's CACHE_WRITE_STRATEGY values Carbonado implements. */
export const STRATEGIES = ['max', 'sorted', 'naive'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** What a strategy sees of the cache (MetricCache implements it). */
export interface DrainSource {
  queueNames(): IterableIterator<string>;
  queueLength(metric: string): number;
}

/** Chooses the next metric to write. */
export interface DrainStrategy {
  /**
   * The next metric with queued points for which `skip` is not true (the writer skips metrics waiting
   * for a create token or backing off after an error), or undefined when there is none.
   */
  next(skip?: (metric: string) => boolean): string | undefined;
}

/** Builds the named strategy over `source`. */
export function createStrategy(name: StrategyName, source: DrainSource): DrainStrategy {
  switch (name) {
    case 'max':
      return new MaxStrategy(source);
    case 'sorted':
      return new SortedStrategy(source);
    case 'naive':
      return new NaiveStrategy(source);
    default:
      throw new Error(`write strategy got '${name}'; want ${STRATEGIES.join(', ')}`);
  }
}

const never = () => false;

/**
 * carbon's "max": always the metric with the most points queued. Less variance in points per update, but
 * a metric that rarely gets points may wait until shutdown. A scan of every queue per choice, as carbon's.
 */
class MaxStrategy implements DrainStrategy {
  constructor(private readonly source: DrainSource) {}

  next(skip: (metric: string) => boolean = never): string | undefined {
    let best: string | undefined;
    let bestLength = 0;
    for (const metric of this.source.queueNames()) {
      const length = this.source.queueLength(metric);
      if (length > bestLength && !skip(metric)) {
        best = metric;
        bestLength = length;
      }
    }
    return best;
  }
}

/**
 * A strategy that walks a snapshot of the queued metrics, then takes a fresh one. Metrics written (or
 * skipped) meanwhile are passed over; metrics that arrive after a snapshot wait for the next.
 */
abstract class RoundStrategy implements DrainStrategy {
  /** Metrics of this round, the next one last (taken with pop, as carbon's generators do). */
  private round: string[] = [];

  constructor(protected readonly source: DrainSource) {}

  protected abstract snapshot(): string[];

  next(skip: (metric: string) => boolean = never): string | undefined {
    for (let fresh = false; ; fresh = true) {
      while (this.round.length > 0) {
        const metric = this.round.pop()!;
        if (this.source.queueLength(metric) > 0 && !skip(metric)) return metric;
      }
      // One fresh snapshot per call at most: when it yields nothing either, nothing qualifies now.
      if (fresh) return undefined;
      this.round = this.snapshot();
      if (this.round.length === 0) return undefined;
    }
  }
}

/**
 * carbon's "sorted" (its default): each round writes every queued metric once, the ones with the most
 * points first.
 */
class SortedStrategy extends RoundStrategy {
  protected snapshot(): string[] {
    const names = Array.from(this.source.queueNames());
    const n = names.length;
    // Sorted by index over a typed array of lengths: a Map lookup per comparison cost ~10 ms a round of
    // 10,000 metrics on the receiving thread.
    const lengths = new Float64Array(n);
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      lengths[i] = this.source.queueLength(names[i]);
      order[i] = i;
    }
    // Ascending (pop() takes the longest first); ties in snapshot order, as a stable sort of the names.
    order.sort((a, b) => lengths[a] - lengths[b] || a - b);
    const sorted = new Array<string>(n);
    for (let i = 0; i < n; i++) sorted[i] = names[order[i]];
    return sorted;
  }
}

/** carbon's "naive": each round writes every queued metric once, in no particular order. */
class NaiveStrategy extends RoundStrategy {
  protected snapshot(): string[] {
    return Array.from(this.source.queueNames());
  }
}
