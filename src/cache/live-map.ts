/**
 * A Map from names to non-negative numbers (queue or flight ids) that does not shrink and grow again as
 * entries come and go. `delete` leaves the key in place with -1 as its value, and a later `set` of the key
 * reuses that entry; the dead entries are dropped all at once only when they are many (over PRUNE_MIN and
 * over twice the live ones).
 *
 * Why: the cache's metrics leave its queue map each time the writer takes them and come back with their
 * next point, interval after interval. In a V8 Map each delete leaves a hole and the table is rebuilt when
 * the holes fill it, shrunk when it is a quarter full and grown again when it fills: on bench/ingest
 * (10,000 metrics) those rebuilt tables were half of the receiving thread's page faults in the timed run,
 * each a first touch of new memory (~14 µs on this project's VMs), besides the copying.
 */
export class LiveMap {
  private readonly map = new Map<string, number>();
  private live = 0;

  /** Dead entries kept at least up to this many before a prune (a fleet's worth of names). */
  static readonly PRUNE_MIN = 65_536;

  /** Live entries. */
  get size(): number {
    return this.live;
  }

  /** Entries held, dead ones included (for tests and memory accounting). */
  get held(): number {
    return this.map.size;
  }

  get(key: string): number | undefined {
    const v = this.map.get(key);
    return v === undefined || v < 0 ? undefined : v;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** `value` must be >= 0. */
  set(key: string, value: number): void {
    const old = this.map.get(key);
    if (old === undefined || old < 0) this.live++;
    this.map.set(key, value);
  }

  delete(key: string): void {
    const old = this.map.get(key);
    if (old === undefined || old < 0) return;
    this.map.set(key, -1);
    this.live--;
    const dead = this.map.size - this.live;
    if (dead > LiveMap.PRUNE_MIN && dead > 2 * this.live) this.prune();
  }

  /** The live keys, in insertion order of their entries. */
  *keys(): IterableIterator<string> {
    for (const [key, value] of this.map) if (value >= 0) yield key;
  }

  /** Drops every dead entry. */
  prune(): void {
    for (const [key, value] of this.map) if (value < 0) this.map.delete(key);
  }
}
