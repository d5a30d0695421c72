// whisper.py propagates a batch by iterating `set(lowerIntervals)`, and the order matters for the bytes
// on disk: the first interval written to an empty lower archive becomes that archive's base (slot 0).
// To write byte-identical files we replay CPython 3.11's set (Objects/setobject.c): a table of 8
// slots grown to the next power of two above used*4 once fill*5 >= mask*3, linear probing of 9
// slots, then open addressing with `perturb >>= 5; i = (i*5 + 1 + perturb) & mask`. For the
// non-negative ints below 2**61-1 used here, hash(n) == n.

const LINEAR_PROBES = 9;
const PERTURB_SHIFT = 5;
const MIN_SIZE = 8;

let table = new Float64Array(MIN_SIZE);
let used = new Uint8Array(MIN_SIZE);

/**
 * The distinct values of `items` in the order CPython 3.11 iterates `set(items)` when every item is
 * a non-negative integer below 2**53 (timestamps). Writes into `out` and returns the count.
 */
export function pythonSetOrder(items: ArrayLike<number>, count: number, out: Float64Array): number {
  if (count === 1) {
    out[0] = items[0];
    return 1;
  }
  let size = MIN_SIZE;
  let mask = size - 1;
  let fill = 0;
  if (table.length < size) grow(size);
  used.fill(0, 0, size);
  for (let k = 0; k < count; k++) {
    const key = items[k];
    if (insert(key, size, mask, true)) {
      fill++;
      if (fill * 5 >= mask * 3) {
        // set_table_resize(so, used > 50000 ? used*2 : used*4), re-inserting in table order.
        const minUsed = fill > 50000 ? fill * 2 : fill * 4;
        let newSize = MIN_SIZE;
        while (newSize <= minUsed) newSize *= 2;
        const old = table.slice(0, size);
        const oldUsed = used.slice(0, size);
        if (table.length < newSize) grow(newSize);
        used.fill(0, 0, newSize);
        size = newSize;
        mask = size - 1;
        for (let j = 0; j < old.length; j++) if (oldUsed[j]) insert(old[j], size, mask, false);
      }
    }
  }
  let n = 0;
  for (let j = 0; j < size; j++) if (used[j]) out[n++] = table[j];
  return n;
}

function grow(size: number): void {
  table = new Float64Array(size);
  used = new Uint8Array(size);
}

/** set_add_entry (checkEqual) or set_insert_clean; true when the key was newly added. */
function insert(key: number, size: number, mask: number, checkEqual: boolean): boolean {
  let perturb = key;
  let i = key % size;
  for (;;) {
    const probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
    for (let j = i; j <= i + probes; j++) {
      if (!used[j]) {
        used[j] = 1;
        table[j] = key;
        return true;
      }
      if (checkEqual && table[j] === key) return false;
    }
    perturb = Math.floor(perturb / 2 ** PERTURB_SHIFT);
    i = (i * 5 + 1 + perturb) % size;
  }
}
