/**
 * A token bucket as carbon's (carbon/util.py TokenBucket): starts full with `capacity` tokens and refills
 * at `fillRate` tokens per second up to capacity. Used for MAX_UPDATES_PER_SECOND (capacity = rate, one
 * second's worth) and MAX_CREATES_PER_MINUTE (capacity = the per-minute figure, refilled over a minute).
 * The clock is a parameter so tests can drive it.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly capacity: number,
    private readonly fillRate: number,
    private readonly now: () => number = () => performance.now() / 1000,
  ) {
    if (!(capacity > 0) || !(fillRate > 0))
      throw new Error(`token bucket got capacity ${capacity}, fill rate ${fillRate}; want both above 0`);
    this.tokens = capacity;
    this.at = now();
  }

  /** Takes one token when there is one. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when a token is there to take. */
  available(): boolean {
    this.refill();
    return this.tokens >= 1;
  }

  /** Seconds until a token will be there (0 when one is). */
  wait(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : (1 - this.tokens) / this.fillRate;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (t - this.at) * this.fillRate);
    this.at = t;
  }
}
