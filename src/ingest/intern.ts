/**
 * Metric names already accepted, looked up by their raw bytes. Agents send the same few thousand
 * names over and over; a receiver that finds a line's name here reuses the string it made the first
 * time, so the name is neither decoded, validated nor normalized again, and the cache's Map lookup
 * hashes nothing (V8 keeps a string's hash in the string). bench/ingest: decoding a fresh string per
 * line and hashing it in the cache's Map was a third of the receive path.
 *
 * An open-addressing table over one byte arena; the hash is FNV-1a, which the parser computes while it
 * scans the name for its end anyway (`fnvStep`). Memory is bounded: past `maxBytes` of names the table
 * starts afresh, which costs only the first-time work again.
 */

/** FNV-1a's 32-bit offset basis: the hash of no bytes. */
export const FNV_BASIS = 0x811c9dc5 | 0;

/** One byte into an FNV-1a hash (32-bit, as an int32). */
export function fnvStep(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, 0x01000193);
}

export class NameInterner {
  // slot -> entry index + 1 (0: empty); a power of two, kept at most half full.
  private slots: Int32Array;
  private hashes = new Int32Array(1024);
  private starts = new Int32Array(1024);
  private lengths = new Int32Array(1024);
  private names: string[] = [];
  private arena: Uint8Array;
  private used = 0;

  /** `maxBytes`: name bytes kept before the table starts afresh. */
  constructor(private readonly maxBytes = 16 << 20) {
    this.slots = new Int32Array(2048);
    this.arena = new Uint8Array(Math.min(maxBytes, 64 * 1024));
  }

  /** Names held. */
  get size(): number {
    return this.names.length;
  }

  /** The name stored for the bytes `buf[start, end)` whose FNV-1a hash is `hash`, or undefined. */
  get(buf: Uint8Array, start: number, end: number, hash: number): string | undefined {
    const len = end - start;
    const slots = this.slots;
    const mask = slots.length - 1;
    const arena = this.arena;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const e = slots[s];
      if (e === 0) return undefined;
      const i = e - 1;
      if (this.hashes[i] !== hash || this.lengths[i] !== len) continue;
      let at = this.starts[i];
      let k = start;
      while (k < end && arena[at] === buf[k]) {
        at++;
        k++;
      }
      if (k === end) return this.names[i];
    }
  }

  /** Remembers `name` for the bytes `buf[start, end)` (hash as for `get`); they must not be held yet. */
  add(buf: Uint8Array, start: number, end: number, hash: number, name: string): void {
    const len = end - start;
    if (len > this.maxBytes) return;
    if (this.used + len > this.maxBytes) this.clear();
    if (this.used + len > this.arena.length) this.growArena(this.used + len);
    const i = this.names.length;
    if (i === this.hashes.length) this.growEntries();
    if (2 * (i + 1) > this.slots.length) this.rehash(this.slots.length * 2);
    this.arena.set(buf.subarray(start, end), this.used);
    this.hashes[i] = hash;
    this.starts[i] = this.used;
    this.lengths[i] = len;
    this.names.push(name);
    this.used += len;
    this.place(i);
  }

  /** Forgets every name. */
  clear(): void {
    this.slots.fill(0);
    this.names = [];
    this.used = 0;
  }

  private place(i: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let s = this.hashes[i] & mask;
    while (slots[s] !== 0) s = (s + 1) & mask;
    slots[s] = i + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    for (let i = 0; i < this.names.length; i++) this.place(i);
  }

  private growEntries(): void {
    const n = this.hashes.length * 2;
    const grow = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.hashes = grow(this.hashes);
    this.starts = grow(this.starts);
    this.lengths = grow(this.lengths);
  }

  private growArena(need: number): void {
    let size = this.arena.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(Math.min(size, this.maxBytes));
    next.set(this.arena.subarray(0, this.used));
    this.arena = next;
  }
}
