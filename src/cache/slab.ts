/**
 * Where the cache keeps its points: queues of (timestamp, value) pairs in blocks of large Float64Array
 * pages, with no JavaScript object per queue or per point.
 *
 * Why: with a Map of per-metric queues of two JavaScript arrays each, adding a point touched the Map's
 * table, a queue object, two array objects and their two backing stores; at 10,000 metrics receiving in
 * turn (an agent reporting every metric each interval) each of those was a cache miss, and the cache was
 * the largest part of the receive path (bench/ingest, CPU profile of the server: 28 % of its main thread,
 * about 200 ns per point). Here a point costs a read of its queue's 32-byte state and one 16-byte store,
 * and a cached point takes 16 bytes plus block slack instead of about 130.
 *
 * A queue is a chain of blocks whose sizes double, from 3 points up to 65,535; the first pair of doubles of a
 * block is its header (the next block's address, and the block's size class). Blocks are cut from 1 MiB pages
 * and go back to a free list per size class when their queue is taken. Addresses are int32 indexes of doubles
 * across all pages, so the slab holds at most 2^31 doubles (1 Gi points, 16 GiB); `MAX_POINTS` is the cache's
 * hard limit, well under it at the worst slack.
 */

/** Doubles per page (1 MiB). A power of two: an address is page << PAGE_BITS | offset. */
const PAGE_BITS = 17;
const PAGE = 1 << PAGE_BITS;
const OFFSET_MASK = PAGE - 1;
/** Doubles in a block of size class 0: a header pair and 3 points. Class k holds 8 << k doubles. */
const MIN_BLOCK = 8;
/** The largest class fills a page. */
const MAX_CLASS = PAGE_BITS - 3;
/** One page short of 2^31 doubles: the end of the last block must still fit in an int32. */
const MAX_PAGES = 2 ** (31 - PAGE_BITS) - 1;
/** Pages kept for reuse when the slab empties (32 MiB): a burst's worth, not a spike's. */
const SPARE_PAGES = 32;
/** Points the slab is sure to hold: every block at most half full, every page used, with room to spare. */
export const MAX_POINTS = 2 ** 28;

/**
 * Per queue: head block, next write position, end of the tail block, points held, its generation
 * (bumped at each release, so a handle kept for a queue id tells whether the id still means that queue),
 * and the tail block's size class (the next block is one class larger).
 */
const HEAD = 0;
const POS = 1;
const END = 2;
const COUNT = 3;
const GEN = 4;
const TAIL_CLASS = 5;
const STRIDE = 8;

export class PointSlab {
  private pages: Float64Array[] = [];
  /**
   * Pages let go at the last `reset`, kept for the next ones `newPage` needs (at most SPARE_PAGES). A new
   * page's first touch costs the kernel a fault per 4 KiB (256 per page, ~14 µs each on this project's
   * VMs, where freed memory goes back to the host): on bench/ingest every interval filled the slab from
   * empty again, and its new pages were about a fifth of the receiving thread's page faults.
   */
  private spare: Float64Array[] = [];
  /** Where the next new block is cut from: an address in the last page, with `bumpLeft` doubles after it. */
  private bump = 0;
  private bumpLeft = 0;
  private readonly free: number[][] = Array.from({ length: MAX_CLASS + 1 }, () => []);
  private state = new Int32Array(64 * STRIDE);
  private freeQueues: number[] = [];
  private queues = 0;
  private _live = 0;

  /** Queues in use. */
  get live(): number {
    return this._live;
  }

  /** A new empty queue's id. Ids are small integers, reused after `release`. */
  open(): number {
    let q = this.freeQueues.pop();
    if (q === undefined) {
      q = this.queues++;
      if (q * STRIDE === this.state.length) this.growQueues();
    }
    const s = q * STRIDE;
    const head = this.allocate(0);
    this.state[s + HEAD] = head;
    this.state[s + POS] = head + 2;
    this.state[s + END] = head + MIN_BLOCK;
    this.state[s + COUNT] = 0;
    this.state[s + TAIL_CLASS] = 0;
    this._live++;
    return q;
  }

  /** Queue id `q`'s generation: it changes when the queue is released, before the id is reused. */
  generation(q: number): number {
    return this.state[q * STRIDE + GEN];
  }

  /** Points held by queue `q`. */
  count(q: number): number {
    return this.state[q * STRIDE + COUNT];
  }

  /** Appends a point to queue `q`. */
  push(q: number, timestamp: number, value: number): void {
    const state = this.state;
    const s = q * STRIDE;
    let pos = state[s + POS];
    if (pos === state[s + END]) pos = this.extend(q);
    const page = this.pages[pos >>> PAGE_BITS];
    const at = pos & OFFSET_MASK;
    page[at] = timestamp;
    page[at + 1] = value;
    state[s + POS] = pos + 2;
    state[s + COUNT]++;
  }

  /** Calls `visit` for each point of queue `q`, in the order pushed. */
  forEach(q: number, visit: (timestamp: number, value: number) => void): void {
    this.walk(q, (page, from, to) => {
      for (let i = from; i < to; i += 2) visit(page[i], page[i + 1]);
    });
  }

  /**
   * Copies queue `q`'s points out, in the order pushed. Into plain arrays: allocating a typed array costs
   * about a microsecond, and the writer pops tens of thousands of queues a second.
   */
  copy(q: number): { timestamps: number[]; values: number[] } {
    const n = this.count(q);
    const timestamps = new Array<number>(n);
    const values = new Array<number>(n);
    let k = 0;
    this.walk(q, (page, from, to) => {
      for (let i = from; i < to; i += 2, k++) {
        timestamps[k] = page[i];
        values[k] = page[i + 1];
      }
    });
    return { timestamps, values };
  }

  /**
   * Copies queue `q`'s points into `out` in the order pushed: the timestamps at [at, at + n), the values
   * right after them, at [at + n, at + 2n), where n is `count(q)`. The writer packs a write message this
   * way, with no array per metric in between.
   */
  copyInto(q: number, out: Float64Array, at: number): void {
    // The walk written out, not through `walk`'s callback: this runs for every metric of every write.
    const s = q * STRIDE;
    const tail = this.state[s + END];
    const pos = this.state[s + POS];
    let t = at;
    let v = at + this.state[s + COUNT];
    for (let block = this.state[s + HEAD]; block !== -1; ) {
      const page = this.pages[block >>> PAGE_BITS];
      const start = block & OFFSET_MASK;
      const size = MIN_BLOCK << page[start + 1];
      const last = block + size === tail;
      const to = start + (last ? pos - block : size);
      for (let i = start + 2; i < to; i += 2) {
        out[t++] = page[i];
        out[v++] = page[i + 1];
      }
      if (last) return;
      block = page[start];
    }
  }

  /**
   * Changes queue `q`'s generation without freeing it: a handle taken before no longer reaches `q`. The
   * cache does this when the writer takes a queue, whose points stay here until they are persisted.
   */
  invalidate(q: number): void {
    this.state[q * STRIDE + GEN]++;
  }

  /** Frees queue `q` and its blocks; `q` may be handed out again by `open`. */
  release(q: number): void {
    let block = this.state[q * STRIDE + HEAD];
    while (block !== -1) {
      const page = this.pages[block >>> PAGE_BITS];
      const at = block & OFFSET_MASK;
      const next = page[at];
      this.free[page[at + 1] | 0].push(block);
      block = next;
    }
    this.state[q * STRIDE + GEN]++;
    this.freeQueues.push(q);
    if (--this._live === 0) this.reset();
  }

  /** Doubles allocated in pages: what the slab holds in memory, besides its per-queue state. */
  get allocatedBytes(): number {
    return this.pages.length * PAGE * 8;
  }

  /** Pages set aside for reuse since the slab last emptied (not counted in allocatedBytes). */
  get spareBytes(): number {
    return this.spare.length * PAGE * 8;
  }

  /** Runs `span` over each block's used part of queue `q`: the doubles [from, to) of `page`. */
  private walk(q: number, span: (page: Float64Array, from: number, to: number) => void): void {
    const s = q * STRIDE;
    const tail = this.state[s + END];
    const pos = this.state[s + POS];
    let block = this.state[s + HEAD];
    while (block !== -1) {
      const page = this.pages[block >>> PAGE_BITS];
      const at = block & OFFSET_MASK;
      const size = MIN_BLOCK << page[at + 1];
      const last = block + size === tail;
      span(page, at + 2, at + (last ? pos - block : size));
      if (last) return;
      block = page[at];
    }
  }

  /** Chains a block one class larger to queue `q`'s full tail; returns the new write position. */
  private extend(q: number): number {
    const s = q * STRIDE;
    const tailClass = this.state[s + TAIL_CLASS];
    const k = Math.min(tailClass + 1, MAX_CLASS);
    const block = this.allocate(k);
    // The full tail's header is the block that ends at END.
    const oldTail = this.state[s + END] - (MIN_BLOCK << tailClass);
    this.pages[oldTail >>> PAGE_BITS][oldTail & OFFSET_MASK] = block;
    this.state[s + TAIL_CLASS] = k;
    this.state[s + END] = block + (MIN_BLOCK << k);
    return block + 2;
  }

  /** A block of class `k` with its header written (no next block). */
  private allocate(k: number): number {
    let block = this.free[k].pop();
    if (block === undefined) {
      const size = MIN_BLOCK << k;
      if (this.bumpLeft < size) {
        this.carve(this.bump, this.bumpLeft);
        this.newPage();
      }
      block = this.bump;
      this.bump += size;
      this.bumpLeft -= size;
    }
    const page = this.pages[block >>> PAGE_BITS];
    page[block & OFFSET_MASK] = -1;
    page[(block & OFFSET_MASK) + 1] = k;
    return block;
  }

  /** Puts the unused end of a page on the free lists, largest blocks first (all sizes are powers of two). */
  private carve(at: number, doubles: number): void {
    for (let k = MAX_CLASS; k >= 0 && doubles >= MIN_BLOCK; k--) {
      const size = MIN_BLOCK << k;
      while (doubles >= size) {
        this.free[k].push(at);
        at += size;
        doubles -= size;
      }
    }
  }

  private newPage(): void {
    if (this.pages.length === MAX_PAGES) throw new RangeError('the cache slab is full (2^31 doubles)');
    this.pages.push(this.spare.pop() ?? new Float64Array(PAGE));
    this.bump = (this.pages.length - 1) << PAGE_BITS;
    this.bumpLeft = PAGE;
  }

  /** No queue left: keep the first page, set up to SPARE_PAGES others aside, forget every free block. */
  private reset(): void {
    while (this.pages.length > 1) {
      const page = this.pages.pop()!;
      if (this.spare.length < SPARE_PAGES) this.spare.push(page);
    }
    for (const list of this.free) list.length = 0;
    this.bump = 0;
    this.bumpLeft = this.pages.length * PAGE;
  }

  private growQueues(): void {
    const state = new Int32Array(this.state.length * 2);
    state.set(this.state);
    this.state = state;
  }
}
