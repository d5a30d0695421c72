/**
 * Memory for fetched values, reused from one /render answer to the next.
 *
 * A dashboard request reads tens of whisper files and each gives a fresh 67 KB Float64Array (a day at
 * 10 s): fresh memory is malloc'd, page-faulted in on first touch, and counted as external memory, whose
 * growth makes V8 run extra scavenges and mark-compacts. An arena hands out arrays from buffers that
 * earlier answers gave back, and takes them all back at once when its request has produced its answer.
 *
 * Only the owner of the request may call `release`, and only once nothing can read the arrays any more:
 * after the response bytes have been written (they are copies), never on an error path (an abandoned
 * evaluation may still be running; its arrays are simply left to the garbage collector).
 */
export class ValuesArena {
  private readonly taken: ArrayBuffer[] = [];
  private released = false;

  /**
   * A Float64Array of `count` values, contents undefined (the caller writes every slot). A bound
   * function, so it can be handed to a store as is.
   */
  readonly alloc = (count: number): Float64Array => {
    if (this.released) throw new Error('BUG: ValuesArena.alloc after release');
    const size = sizeClass(count * 8);
    if (size === 0) return new Float64Array(count);
    let buffer = spare.get(size)?.pop();
    if (buffer) {
      spareBytes -= size;
      reused++;
    } else buffer = newBuffer(size);
    this.taken.push(buffer);
    return new Float64Array(buffer, 0, count);
  };

  /** Gives every array handed out back for reuse. Their contents will be overwritten. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const buffer of this.taken) {
      if (spareBytes + buffer.byteLength > MAX_SPARE_BYTES) break;
      let list = spare.get(buffer.byteLength);
      if (!list) {
        list = [];
        spare.set(buffer.byteLength, list);
      }
      list.push(buffer);
      spareBytes += buffer.byteLength;
    }
    this.taken.length = 0;
  }
}

// Buffers given back, by size class. Bounded: a huge answer does not pin its memory for good.
const spare = new Map<number, ArrayBuffer[]>();
let spareBytes = 0;
let reused = 0;

/** How many arrays arenas have handed out in memory given back earlier (tests, diagnostics). */
export function reusedBuffers(): number {
  return reused;
}
const MAX_SPARE_BYTES = 64 * 1024 * 1024;
// Below this, V8's own heap allocation is cheap enough; above MAX_POOLED, too rare to keep.
const MIN_POOLED = 4 * 1024;
const MAX_POOLED = 8 * 1024 * 1024;

// Not zeroed (new ArrayBuffer would be): every slot is written before it is read.
function newBuffer(size: number): ArrayBuffer {
  return Buffer.allocUnsafeSlow(size).buffer;
}

// Sizes rounded up to a multiple of 1/8 of their power of two, so windows a few points apart share a
// class (at most 12.5% unused); 0 for sizes not pooled.
function sizeClass(bytes: number): number {
  if (bytes < MIN_POOLED || bytes > MAX_POOLED) return 0;
  const power = 2 ** Math.floor(Math.log2(bytes));
  const unit = power / 8;
  return Math.ceil(bytes / unit) * unit;
}
