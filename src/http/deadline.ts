import { HttpError } from './errors.js';

/**
 * The request-time limit of one request (HttpLimits.maxRequestTime). The request is answered when the
 * time is up (`race`), and its work stops at the next `checkpoint()` — before each fetch, each series
 * read and each function call — since JavaScript cannot interrupt a running computation.
 */
export class Deadline {
  private readonly expiresAt: number;
  private expired = false;

  constructor(
    private readonly limitMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.expiresAt = clock() + limitMs;
  }

  /** Throws the limit's 503 once the time is up; cheap enough to call per series. */
  checkpoint(): void {
    if (this.expired || this.clock() > this.expiresAt) {
      this.expired = true;
      throw this.error();
    }
  }

  /** `work`, or the limit's 503 when the time is up first; the work is then stopped at its next checkpoint. */
  async race<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeUp = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => {
          this.expired = true;
          reject(this.error());
        },
        Math.max(0, this.expiresAt - this.clock()),
      );
    });
    // The losing side's rejection is handled: work that fails after the answer went out is dropped.
    work.catch(() => {});
    try {
      return await Promise.race([work, timeUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  private error(): HttpError {
    // 503 as Prometheus answers a query timeout: the query is not malformed and may pass when the
    // server is less busy.
    return new HttpError(
      503,
      `request time limit: the query ran longer than maxRequestTime (${this.limitMs} ms) and was stopped`,
    );
  }
}
