import { fromNaiveSeconds, localize, naiveSeconds, toWallClock, type WallClock, weekday } from './zone.js';

/**
 * Graphite's `from` / `until` / `now` syntax (graphite-web 1.1.8 render/attime.py), parsed to epoch
 * seconds. Pure: the current time is passed in. Accepts what attime.py accepts:
 *
 *   1700000000            epoch seconds (but an 8-digit YYYYMMDD date is a date)
 *   now, -30s, -5min, -1h, -2d, -1w, -1mon (30 days), -1y (365 days), -1d2h, +1h
 *   noon, midnight, teatime, 6pm, 8am, 14:30, 2:30pm   time of day (today unless a day follows)
 *   today, yesterday, tomorrow, monday…sunday, jan1, 20240131, 12/31/2024   day references
 *   combinations: "noon yesterday", "14:30 20240131", "midnight-1d"
 *
 * Spaces, commas and underscores are ignored and case does not matter, as in attime.py.
 */
export function parseATTime(input: string, now: number, tz = 'UTC'): number {
  const s = input.trim().toLowerCase().replace(/[_, ]/g, '');
  if (isDigits(s)) {
    const isDate =
      s.length === 8 && Number(s.slice(0, 4)) > 1900 && Number(s.slice(4, 6)) < 13 && Number(s.slice(6)) < 32;
    if (!isDate) return Number(s);
  }
  // attime.py splits at the first '+', else at the first '-': "now-1d" is reference "now", offset "-1d".
  let ref = s;
  let offset = '';
  const plus = s.indexOf('+');
  const minus = s.indexOf('-');
  const cut = plus >= 0 ? plus : minus;
  if (cut >= 0) {
    ref = s.slice(0, cut);
    offset = s.slice(cut);
  }
  return parseTimeReference(ref, now, tz) + parseTimeOffset(offset);
}

/** The instant named by a reference such as "noon yesterday" or "20240131" (no offset part). */
export function parseTimeReference(input: string, now: number, tz = 'UTC'): number {
  if (input === '' || input === 'now') return now;
  let ref = input;
  let hour = 0;
  let minute = 0;

  // Time of day: "14:30", "2:30pm".
  let i = ref.indexOf(':');
  if (i > 0 && i < 3) {
    hour = pyInt(ref.slice(0, i), input);
    minute = pyInt(ref.slice(i + 1, i + 3), input);
    ref = ref.slice(i + 3);
    if (ref.startsWith('am')) ref = ref.slice(2);
    else if (ref.startsWith('pm')) {
      hour = (hour + 12) % 24;
      ref = ref.slice(2);
    }
  }
  i = ref.indexOf('am');
  if (i > 0 && i < 3) {
    hour = pyInt(ref.slice(0, i), input);
    ref = ref.slice(i + 2);
  }
  i = ref.indexOf('pm');
  if (i > 0 && i < 3) {
    hour = (pyInt(ref.slice(0, i), input) + 12) % 24;
    ref = ref.slice(i + 2);
  }
  for (const [word, h] of [
    ['noon', 12],
    ['midnight', 0],
    ['teatime', 16],
  ] as const) {
    if (ref.startsWith(word)) {
      hour = h;
      minute = 0;
      ref = ref.slice(word.length);
      break;
    }
  }

  // attime.py: now.replace(hour, minute, second=0) on the local wall clock, then day arithmetic on it.
  const today = toWallClock(now, tz);
  let refDate: WallClock = checkedDate(today.year, today.month, today.day, hour, minute, input);

  if (ref === 'yesterday' || ref === 'today' || ref === 'tomorrow') {
    const days = ref === 'yesterday' ? -1 : ref === 'tomorrow' ? 1 : 0;
    refDate = fromNaiveSeconds(naiveSeconds(refDate) + days * 86400);
  } else if (ref.split('/').length === 3) {
    const [m, d, y0] = ref.split('/').map((p) => pyInt(p, input));
    let y = y0;
    if (y < 1900) y += 1900;
    if (y < 1970) y += 100;
    refDate = checkedDate(y, m, d, hour, minute, input);
  } else if (ref.length === 8 && isDigits(ref)) {
    refDate = checkedDate(
      Number(ref.slice(0, 4)),
      Number(ref.slice(4, 6)),
      Number(ref.slice(6, 8)),
      hour,
      minute,
      input,
    );
  } else if (MONTHS.includes(ref.slice(0, 3))) {
    let d: number;
    if (isDigits(ref.slice(-2))) d = Number(ref.slice(-2));
    else if (isDigits(ref.slice(-1))) d = Number(ref.slice(-1));
    else throw new Error(`day of month required after month name in "${input}"`);
    refDate = checkedDate(refDate.year, MONTHS.indexOf(ref.slice(0, 3)) + 1, d, hour, minute, input);
  } else if (WEEKDAYS.includes(ref.slice(0, 3))) {
    let back = weekday(refDate) - WEEKDAYS.indexOf(ref.slice(0, 3));
    if (back < 0) back += 7;
    refDate = fromNaiveSeconds(naiveSeconds(refDate) - back * 86400);
  } else if (ref !== '') {
    throw new Error(
      `unknown day reference "${ref}" in "${input}"; want today, yesterday, tomorrow, a weekday, a month and day, YYYYMMDD or MM/DD/YY`,
    );
  }
  return localize(refDate, tz);
}

/** Seconds of an offset such as "-1d", "+2h30min" or "-1mon" (30 days) or "-1y" (365 days). */
export function parseTimeOffset(input: string): number {
  if (input === '') return 0;
  let rest = input;
  let sign = 1;
  if (!isDigits(rest[0])) {
    if (rest[0] === '+') sign = 1;
    else if (rest[0] === '-') sign = -1;
    else throw new Error(`invalid offset "${input}": want + or - first`);
    rest = rest.slice(1);
  }
  let total = 0;
  while (rest.length > 0) {
    const num = /^\d*/.exec(rest)![0];
    if (num === '') throw new Error(`invalid offset "${input}": want a number at "${rest}"`);
    rest = rest.slice(num.length);
    const unit = /^[a-z]*/.exec(rest)![0];
    rest = rest.slice(unit.length);
    total += sign * Number(num) * unitSeconds(unit, input);
  }
  return total;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

// attime.py's getUnitString: the first matching prefix wins, so "s", "sec", "seconds" are seconds and a
// bare "m" is an error (neither "min" nor "mon").
function unitSeconds(unit: string, input: string): number {
  if (unit.startsWith('s')) return 1;
  if (unit.startsWith('min')) return 60;
  if (unit.startsWith('h')) return 3600;
  if (unit.startsWith('d')) return 86400;
  if (unit.startsWith('w')) return 7 * 86400;
  if (unit.startsWith('mon')) return 30 * 86400;
  if (unit.startsWith('y')) return 365 * 86400;
  throw new Error(`invalid offset unit "${unit}" in "${input}"; want s, min, h, d, w, mon or y`);
}

function isDigits(s: string | undefined): boolean {
  return s !== undefined && /^[0-9]+$/.test(s);
}

// Python's int(): optional sign, digits; anything else is a ValueError.
function pyInt(s: string, input: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new Error(`invalid number "${s}" in "${input}"`);
  return Number(s);
}

// Python's datetime() constructor rejects impossible dates; so do we, naming the date.
function checkedDate(year: number, month: number, day: number, hour: number, minute: number, input: string) {
  const dim = month >= 1 && month <= 12 ? new Date(Date.UTC(year, month, 0)).getUTCDate() : 0;
  if (year < 1 || year > 9999 || dim === 0 || day < 1 || day > dim || hour > 23 || minute > 59 || minute < 0)
    throw new Error(
      `invalid date ${year}-${month}-${day} ${hour}:${String(minute).padStart(2, '0')} in "${input}"`,
    );
  return { year, month, day, hour, minute, second: 0 };
}
