/**
 * Wall-clock arithmetic in a named time zone (IANA, via Intl), what graphite-web does with pytz:
 * `now.replace(hour=…)` works on the local wall clock and `tzinfo.localize()` turns it back into an
 * instant. UTC takes a fast path without Intl.
 */

/** A naive (zone-less) wall-clock time, like a Python datetime without tzinfo. */
export interface WallClock {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True when `tz` names a zone this runtime knows (graphite-web ignores unknown zones, pytz's behaviour). */
export function isKnownZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in `tz` at epoch second `t`. */
export function toWallClock(t: number, tz: string): WallClock {
  if (tz === 'UTC') return fromUtcMs(t * 1000);
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(t * 1000))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour,
    minute: parts.minute,
    second: parts.second,
  };
}

/** Epoch seconds of a wall clock read as UTC (no zone): the naive datetime's own arithmetic. */
export function naiveSeconds(w: WallClock): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) / 1000;
}

/** The wall clock `seconds` after the naive epoch `0`, inverse of naiveSeconds. */
export function fromNaiveSeconds(seconds: number): WallClock {
  return fromUtcMs(seconds * 1000);
}

/**
 * The instant whose wall clock in `tz` is `w` (pytz's `localize`). In a gap or an overlap at a DST
 * change the answer is one of the candidate instants; graphite-web's is_dst=False choice is not
 * reproduced there.
 */
export function localize(w: WallClock, tz: string): number {
  const naive = naiveSeconds(w);
  if (tz === 'UTC') return naive;
  let t = naive - offsetAt(naive, tz);
  t = naive - offsetAt(t, tz);
  return t;
}

/** Weekday of a wall clock, 0 = Sunday (graphite-web's `weekdays` list order). */
export function weekday(w: WallClock): number {
  return new Date(naiveSeconds(w) * 1000).getUTCDay();
}

function offsetAt(t: number, tz: string): number {
  return naiveSeconds(toWallClock(t, tz)) - t;
}

function fromUtcMs(ms: number): WallClock {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}
