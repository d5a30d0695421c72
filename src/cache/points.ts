/**
 * Puts one metric's cached points in the order a store wants them: by timestamp, one point per timestamp,
 * the later-accepted point winning. carbon's cache gets the same from a dict keyed by timestamp
 * (carbon/cache.py, `store` overwrites, `pop` sorts), and its writer notes that whisper's update_many
 * would otherwise keep the *first* of two points for one timestamp (carbon/writer.py).
 */
export function lastPerTimestamp(
  timestamps: ArrayLike<number>,
  values: ArrayLike<number>,
): { timestamps: ArrayLike<number>; values: ArrayLike<number> } {
  const n = timestamps.length;
  let ordered = true;
  for (let i = 1; i < n; i++) {
    if (timestamps[i] <= timestamps[i - 1]) {
      ordered = false;
      break;
    }
  }
  // The common case (a client sending in time order) costs one pass and no copy.
  if (ordered) return { timestamps, values };
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Ties keep arrival order (Array.prototype.sort is stable), so the last of equal timestamps ends last.
  order.sort((a, b) => timestamps[a] - timestamps[b]);
  const ts: number[] = [];
  const vs: number[] = [];
  for (const i of order) {
    const t = timestamps[i];
    if (ts.length > 0 && ts[ts.length - 1] === t) vs[vs.length - 1] = values[i];
    else {
      ts.push(t);
      vs.push(values[i]);
    }
  }
  return { timestamps: ts, values: vs };
}
