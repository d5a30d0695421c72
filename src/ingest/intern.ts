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

const HASH = 0;
const START = 1;
const LENGTH = 2;
const ENTRY = 4;

export class NameInterner {
  // slot -> entry index + 1 (0: empty); a power of two, kept at most half full.
  private slots: Int32Array;
  /** Per entry, ENTRY int32s side by side (one cache line for a lookup): hash, start in arena, length, spare. */
  private entries = new Int32Array(1024 * ENTRY);
  private names: string[] = [];
  /**
   * Per entry, two int32s a sink may keep for the name: MetricCache keeps its queue and the queue's
   * generation there (cache.ts addBatch), so a known name finds its queue without a Map lookup. -1 when
   * unset. Entry numbers are reused after `clear`, which bumps `epoch` and unsets every handle.
   */
  handles = new Int32Array(1024 * 2).fill(-1);
  /** Bumped by `clear`: entry numbers taken before then mean other names now. */
  epoch = 0;
  /**
   * Per entry, the entry a connection sent next the last time it sent this one (`follow`), or -1: agents
   * send their metrics in the same order every interval, so the next line's name is nearly always this
   * one (`nextAfter`), checked with a few word compares instead of a hash and three lookups.
   */
  private successors = new Int32Array(1024).fill(-1);
  private arena: Uint8Array;
  /** The arena, read four bytes at a time by `nextAfter`. */
  private arenaWords: DataView;
  private used = 0;

  /** `maxBytes`: name bytes kept before the table starts afresh. */
  constructor(private readonly maxBytes = 16 << 20) {
    this.slots = new Int32Array(2048);
    this.arena = new Uint8Array(Math.min(maxBytes, 64 * 1024));
    this.arenaWords = new DataView(this.arena.buffer);
  }

  /** Names held. */
  get size(): number {
    return this.names.length;
  }

  /** The name stored for the bytes `buf[start, end)` whose FNV-1a hash is `hash`, or undefined. */
  get(buf: Uint8Array, start: number, end: number, hash: number): string | undefined {
    const i = this.find(buf, start, end, hash);
    return i < 0 ? undefined : this.names[i];
  }

  /** The entry of the bytes `buf[start, end)` whose FNV-1a hash is `hash` (see `nameOf`), or -1. */
  find(buf: Uint8Array, start: number, end: number, hash: number): number {
    const len = end - start;
    const slots = this.slots;
    const mask = slots.length - 1;
    const arena = this.arena;
    const entries = this.entries;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const e = slots[s];
      if (e === 0) return -1;
      const i = e - 1;
      const at = i * ENTRY;
      if (entries[at + HASH] !== hash || entries[at + LENGTH] !== len) continue;
      let a = entries[at + START];
      let k = start;
      while (k < end && arena[a] === buf[k]) {
        a++;
        k++;
      }
      if (k === end) return i;
    }
  }

  /** The name of entry `i` (from `find` or `add`). */
  nameOf(i: number): string {
    return this.names[i];
  }

  /** Bytes of entry `i`'s name as it was added. */
  lengthOf(i: number): number {
    return this.entries[i * ENTRY + LENGTH];
  }

  /**
   * The entry that followed entry `previous` last time (`follow`), if its bytes are those at `start` and a
   * space comes right after them; else -1. `words` views the same bytes as `buf` (same offset and length).
   * Its end is `start + lengthOf(entry)`. The same answer `find` would give for those bytes, without the
   * name's hash: a name found here is one a receiver accepted before, and it ends where its bytes do.
   */
  nextAfter(previous: number, buf: Uint8Array, words: DataView, start: number, end: number): number {
    if (previous < 0) return -1;
    const guess = this.successors[previous];
    if (guess < 0) return -1;
    const at = guess * ENTRY;
    const nameEnd = start + this.entries[at + LENGTH];
    if (nameEnd >= end || buf[nameEnd] !== 0x20) return -1;
    const arenaWords = this.arenaWords;
    let a = this.entries[at + START];
    let k = start;
    for (; k + 4 <= nameEnd; k += 4, a += 4) {
      if (arenaWords.getInt32(a, true) !== words.getInt32(k, true)) return -1;
    }
    const arena = this.arena;
    for (; k < nameEnd; k++, a++) if (arena[a] !== buf[k]) return -1;
    return guess;
  }

  /** Notes that a connection sent entry `next` right after entry `previous` (for `nextAfter`). */
  follow(previous: number, next: number): void {
    if (previous >= 0 && previous < this.names.length) this.successors[previous] = next;
  }

  /**
   * Remembers `name` for the bytes `buf[start, end)` (hash as for `get`); they must not be held yet.
   * Returns its entry, or -1 for bytes longer than the table holds.
   */
  add(buf: Uint8Array, start: number, end: number, hash: number, name: string): number {
    const len = end - start;
    if (len > this.maxBytes) return -1;
    if (this.used + len > this.maxBytes) this.clear();
    if (this.used + len > this.arena.length) this.growArena(this.used + len);
    const i = this.names.length;
    if ((i + 1) * ENTRY > this.entries.length) this.growEntries();
    if (2 * (i + 1) > this.slots.length) this.rehash(this.slots.length * 2);
    this.arena.set(buf.subarray(start, end), this.used);
    const at = i * ENTRY;
    this.entries[at + HASH] = hash;
    this.entries[at + START] = this.used;
    this.entries[at + LENGTH] = len;
    this.names.push(name);
    this.used += len;
    this.place(i);
    return i;
  }

  /** Forgets every name. */
  clear(): void {
    this.slots.fill(0);
    this.names = [];
    this.used = 0;
    this.handles.fill(-1);
    this.successors.fill(-1);
    this.epoch++;
  }

  private place(i: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let s = this.entries[i * ENTRY + HASH] & mask;
    while (slots[s] !== 0) s = (s + 1) & mask;
    slots[s] = i + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    for (let i = 0; i < this.names.length; i++) this.place(i);
  }

  private growEntries(): void {
    const entries = new Int32Array(this.entries.length * 2);
    entries.set(this.entries);
    this.entries = entries;
    const handles = new Int32Array(this.handles.length * 2).fill(-1);
    handles.set(this.handles);
    this.handles = handles;
    const successors = new Int32Array(this.successors.length * 2).fill(-1);
    successors.set(this.successors);
    this.successors = successors;
  }

  private growArena(need: number): void {
    let size = this.arena.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(Math.min(size, this.maxBytes));
    next.set(this.arena.subarray(0, this.used));
    this.arena = next;
    this.arenaWords = new DataView(next.buffer);
  }
}
