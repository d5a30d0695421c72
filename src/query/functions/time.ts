import type { Series } from '../../storage/series.js';
import { QueryError } from '../errors.js';
import { parseATTime, parseTimeOffset } from '../time/attime.js';
import { localize, toWallClock, type WallClock, weekday } from '../time/zone.js';
import { getAggFunc } from './aggfuncs.js';
import { booleanArg, numberArg, rawArg, seriesListArg, stringArg } from './args.js';
import type { FunctionContext, FunctionSpec, ParamSpec, TimeWindow } from './registry.js';
import { withTag } from './series-tags.js';

// The functions of graphite-web 1.1.8 (render/functions.py) that move series in time or regroup
// their points into time buckets: timeShift, timeStack, timeSlice, summarize, smartSummarize,
// hitcount, integralByInterval. Those that look at other times evaluate their first argument
// again over another window (upstream's evaluateTarget with a copied requestContext).

const SERIES_LIST: ParamSpec = { name: 'seriesList', type: 'seriesList', required: true };
const SHIFT_SUGGESTIONS = ['1h', '6h', '12h', '1d', '2d', '7d', '14d', '30d'];
const BUCKET_SUGGESTIONS = ['10min', '1h', '1d'];

/** Seconds of an offset argument, a QueryError naming it when it does not parse. */
function offsetSeconds(what: string, text: string): number {
  try {
    return parseTimeOffset(text);
  } catch (err) {
    throw new QueryError(`invalid ${what} "${text}": ${(err as Error).message}`);
  }
}

/** A bucket interval: its seconds, which must be positive (upstream loops forever or divides by zero). */
function bucketSeconds(text: string): number {
  const seconds = offsetSeconds('interval', text);
  if (seconds <= 0)
    throw new QueryError(`invalid interval "${text}": got ${seconds} seconds; want more than 0`);
  return seconds;
}

// timeShift and timeStack: a shift without a sign goes back in time.
function backwards(shift: string): string {
  return /^[0-9]/.test(shift) ? `-${shift}` : shift;
}

function reevaluate(ctx: FunctionContext, window: TimeWindow): Promise<Series[]> {
  return ctx.evaluateOver(ctx.rawArgs[0], window);
}

// Python's `a // b` for the floor division integralByInterval does on possibly negative times.
function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

/**
 * _summarizeValues: buckets of `interval` seconds from newStart to newEnd; a bucket takes the points
 * from the last one at or before its start up to its end (so a point on a boundary is counted in the
 * bucket before it too), and has a value when its share of non-null points reaches xFilesFactor.
 */
function summarizeValues(
  s: Series,
  func: string,
  interval: number,
  newStart = s.start,
  newEnd = s.end,
): { values: Float64Array; alignedEnd: number } {
  const aggregate = getAggFunc(func);
  if (!aggregate) throw new QueryError(`unknown aggregation function "${func}"`);
  const numPoints = Math.min(Math.max(0, Math.ceil((s.end - s.start) / s.step)), s.values.length);
  const intervalPoints = interval / s.step;
  const out: number[] = [];
  let i = 0;
  let t = newStart;
  while (t < newEnd) {
    let first = i;
    let nonNull = 0;
    while (i < numPoints && s.start + i * s.step < t + interval) {
      const ts = s.start + i * s.step;
      if (ts <= t) first = i;
      if (ts >= t && !Number.isNaN(s.values[i])) nonNull++;
      i++;
    }
    const enough = nonNull > 0 && intervalPoints > 0 && nonNull / intervalPoints >= s.xFilesFactor;
    out.push(enough ? aggregate(s.values.subarray(first, i)) : Number.NaN);
    t += interval;
  }
  return { values: Float64Array.from(out), alignedEnd: t };
}

const UNITS = ['seconds', 'minutes', 'hours', 'days', 'weeks', 'months', 'years'];

// attime.py's getUnitString: the first matching prefix names the unit.
function unitOf(alignTo: string): string {
  for (const [prefix, unit] of [
    ['s', 'seconds'],
    ['min', 'minutes'],
    ['h', 'hours'],
    ['d', 'days'],
    ['w', 'weeks'],
    ['mon', 'months'],
    ['y', 'years'],
  ])
    if (alignTo.startsWith(prefix)) return unit;
  throw new QueryError(`invalid alignTo "${alignTo}"; want one of ${UNITS.join(', ')}`);
}

/** smartSummarize's new start: `from` truncated to the unit on the request's wall clock. */
function alignStart(from: number, alignTo: string, tz: string): number {
  const w = toWallClock(from, tz);
  const at = (c: Partial<WallClock>): number =>
    localize({ year: w.year, month: 1, day: 1, hour: 0, minute: 0, second: 0, ...c }, tz);
  switch (unitOf(alignTo)) {
    case 'years':
      return at({});
    case 'months':
      return at({ month: w.month });
    case 'weeks': {
      // To the ISO weekday named by a trailing digit (1 = Monday, the default).
      const isoDay = /[0-9]$/.test(alignTo) ? Number(alignTo.slice(-1)) : 1;
      let back = (weekday(w) || 7) - isoDay;
      if (back < 0) back += 7;
      return at({ month: w.month, day: w.day }) - back * 86400;
    }
    case 'days':
      return at({ month: w.month, day: w.day });
    case 'hours':
      return at({ month: w.month, day: w.day, hour: w.hour });
    case 'minutes':
      return at({ month: w.month, day: w.day, hour: w.hour, minute: w.minute });
    default:
      return at({ month: w.month, day: w.day, hour: w.hour, minute: w.minute, second: w.second });
  }
}

/** hitcount(alignToInterval): `from` truncated to the day, hour or minute the interval spans. */
function alignToInterval(from: number, interval: number, tz: string): number {
  const w = toWallClock(from, tz);
  const base = { year: w.year, month: w.month, day: w.day, hour: 0, minute: 0, second: 0 };
  if (interval >= 86400) return localize(base, tz);
  if (interval >= 3600) return localize({ ...base, hour: w.hour }, tz);
  if (interval >= 60) return localize({ ...base, hour: w.hour, minute: w.minute }, tz);
  return from;
}

/** hitcount's buckets: each value is hits per second, spread over the buckets its step overlaps. */
function hitcountValues(s: Series, interval: number): { values: Float64Array; start: number } {
  const bucketCount = Math.ceil((s.end - s.start) / interval);
  const newStart = s.end - bucketCount * interval;
  const buckets: number[][] = Array.from({ length: Math.max(0, bucketCount) }, () => []);
  s.values.forEach((value, i) => {
    if (Number.isNaN(value)) return;
    const startTime = s.start + i * s.step;
    const startBucket = floorDiv(startTime - newStart, interval);
    const startMod = startTime - newStart - startBucket * interval;
    const endTime = startTime + s.step;
    let endBucket = floorDiv(endTime - newStart, interval);
    let endMod = endTime - newStart - endBucket * interval;
    if (endBucket >= bucketCount) {
      endBucket = bucketCount - 1;
      endMod = interval;
    }
    if (startBucket === endBucket) {
      if (startBucket >= 0) buckets[startBucket].push(value * (endMod - startMod));
    } else {
      if (startBucket >= 0) buckets[startBucket].push(value * (interval - startMod));
      for (let j = startBucket + 1; j < endBucket; j++) buckets.at(j)?.push(value * interval);
      if (endMod > 0) buckets[endBucket].push(value * endMod);
    }
  });
  const values = Float64Array.from(buckets, (b) => (b.length ? b.reduce((x, y) => x + y, 0) : Number.NaN));
  return { values, start: newStart };
}

/** The Transform group's time functions. */
export const TIME: FunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.timeShift
  {
    name: 'timeShift',
    group: 'Transform',
    params: [
      SERIES_LIST,
      { name: 'timeShift', type: 'interval', required: true, suggestions: SHIFT_SUGGESTIONS },
      { name: 'resetEnd', type: 'boolean', default: true },
      // Upstream's table says alignDst while the function takes alignDST, so only a positional
      // argument reaches it; the zone is UTC-like for DST purposes unless the request names one.
      { name: 'alignDst', type: 'boolean', default: false },
    ],
    description:
      'The series as it was some time ago (or later, with a + sign), drawn over the requested range.',
    impl: async (ctx, a) => {
      const seriesList = seriesListArg(a, 'seriesList');
      const shift = backwards(String(rawArg(a, 'timeShift')));
      const delta = offsetSeconds('timeShift', shift);
      const w = ctx.window;
      let from = w.from + delta;
      let until = w.until + delta;
      if (booleanArg(a, 'alignDst')) {
        const dst = dstOffset(ctx.tz, w.from, w.until, from, until);
        from += dst;
        until += dst;
      }
      if (seriesList.length === 0) return [];
      const first = seriesList[0];
      const resetEnd = booleanArg(a, 'resetEnd');
      const shifted = await reevaluate(ctx, { from, until, now: w.now });
      // The name changes but pathExpression stays the fetched one, as upstream.
      return shifted.map((s) => ({
        ...s,
        name: `timeShift(${s.name}, "${shift}")`,
        tags: withTag(s, 'timeShift', shift),
        start: first.start,
        end: resetEnd ? first.end : s.end - s.start + first.start,
      }));
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.timeStack
  {
    name: 'timeStack',
    group: 'Transform',
    params: [
      SERIES_LIST,
      { name: 'timeShiftUnit', type: 'interval', default: '1d', suggestions: SHIFT_SUGGESTIONS },
      { name: 'timeShiftStart', type: 'integer', default: 0 },
      { name: 'timeShiftEnd', type: 'integer', default: 7 },
    ],
    description:
      'The series shifted by each multiple of a unit from timeShiftStart up to (not including) timeShiftEnd.',
    impl: async (ctx, a) => {
      const seriesList = seriesListArg(a, 'seriesList');
      const unit = backwards(String(rawArg(a, 'timeShiftUnit')));
      const delta = offsetSeconds('timeShiftUnit', unit);
      if (seriesList.length === 0) return [];
      const first = seriesList[0];
      const w = ctx.window;
      const out: Series[] = [];
      for (let shift = numberArg(a, 'timeShiftStart'); shift < numberArg(a, 'timeShiftEnd'); shift++) {
        const window = { from: w.from + delta * shift, until: w.until + delta * shift, now: w.now };
        for (const s of await reevaluate(ctx, window)) {
          const name = `timeShift(${s.name}, ${unit}, ${shift})`;
          out.push({
            ...s,
            name,
            pathExpression: name,
            tags: { ...s.tags, timeShiftUnit: unit, timeShift: String(shift) },
            start: first.start,
            end: first.end,
          });
        }
      }
      return out;
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.timeSlice
  {
    name: 'timeSlice',
    group: 'Transform',
    params: [
      SERIES_LIST,
      { name: 'startSliceAt', type: 'date', required: true },
      { name: 'endSliceAt', type: 'date', default: 'now' },
    ],
    description: 'Only the values between two times (inclusive); the rest become None.',
    impl: (ctx, a) => {
      // Upstream parses both without the request's `now` (attime.parseATTime's default, the clock).
      const clock = Math.floor(Date.now() / 1000);
      const at = (name: string): number => {
        const text = stringArg(a, name);
        try {
          return parseATTime(text, clock, ctx.tz);
        } catch (err) {
          throw new QueryError(`invalid ${name} "${text}": ${(err as Error).message}`);
        }
      };
      const start = Math.trunc(at('startSliceAt'));
      const end = Math.trunc(at('endSliceAt'));
      return seriesListArg(a, 'seriesList').map((s) => {
        // Point times are counted from the request's `from`, not the series' start, as upstream.
        let t = ctx.window.from;
        const values = s.values.map((v) => {
          const keep = t >= start && t <= end;
          t += s.step;
          return keep ? v : Number.NaN;
        });
        return {
          ...s,
          name: `timeSlice(${s.name}, ${start}, ${end})`,
          tags: { ...s.tags, timeSliceStart: String(start), timeSliceEnd: String(end) },
          values,
        };
      });
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.summarize
  {
    name: 'summarize',
    group: 'Transform',
    params: [
      SERIES_LIST,
      { name: 'intervalString', type: 'interval', required: true, suggestions: BUCKET_SUGGESTIONS },
      { name: 'func', type: 'aggFunc', default: 'sum' },
      { name: 'alignToFrom', type: 'boolean', default: false },
    ],
    description: 'One value per interval bucket (aligned to the interval, or to the series start).',
    impl: (_ctx, a) => {
      const intervalString = String(rawArg(a, 'intervalString'));
      const interval = bucketSeconds(intervalString);
      const func = stringArg(a, 'func');
      const alignToFrom = booleanArg(a, 'alignToFrom');
      return seriesListArg(a, 'seriesList').map((s) => {
        const newStart = alignToFrom ? s.start : s.start - (s.start % interval);
        let newEnd = alignToFrom ? s.end : s.end - (s.end % interval) + interval;
        const { values, alignedEnd } = summarizeValues(s, func, interval, newStart, newEnd);
        if (alignToFrom) newEnd = alignedEnd;
        const name = `summarize(${s.name}, "${intervalString}", "${func}"${alignToFrom ? ', true' : ''})`;
        return {
          ...s,
          name,
          pathExpression: name,
          tags: { ...s.tags, summarize: intervalString, summarizeFunction: func },
          start: newStart,
          end: newEnd,
          step: interval,
          values,
        };
      });
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.smartSummarize
  {
    name: 'smartSummarize',
    group: 'Transform',
    params: [
      SERIES_LIST,
      { name: 'intervalString', type: 'interval', required: true, suggestions: BUCKET_SUGGESTIONS },
      { name: 'func', type: 'aggFunc', default: 'sum' },
      { name: 'alignTo', type: 'string', options: UNITS.slice().reverse() },
    ],
    description: 'summarize() with buckets starting at `from`, optionally first aligned to a calendar unit.',
    impl: async (ctx, a) => {
      let seriesList = seriesListArg(a, 'seriesList');
      const intervalString = String(rawArg(a, 'intervalString'));
      const interval = bucketSeconds(intervalString);
      const func = stringArg(a, 'func');
      const alignTo = a.get('alignTo');
      if (typeof alignTo === 'string') {
        const w = ctx.window;
        seriesList = await reevaluate(ctx, { ...w, from: alignStart(w.from, alignTo, ctx.tz) });
      }
      return seriesList.map((s) => {
        const { values, alignedEnd } = summarizeValues(s, func, interval);
        const name = `smartSummarize(${s.name}, "${intervalString}", "${func}")`;
        return {
          ...s,
          name,
          pathExpression: name,
          tags: { ...s.tags, smartSummarize: intervalString, smartSummarizeFunction: func },
          end: alignedEnd,
          step: interval,
          values,
        };
      });
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.hitcount
  {
    name: 'hitcount',
    group: 'Transform',
    params: [
      SERIES_LIST,
      { name: 'intervalString', type: 'interval', required: true, suggestions: BUCKET_SUGGESTIONS },
      { name: 'alignToInterval', type: 'boolean', default: false },
    ],
    description:
      'Hits per interval from values that are hits per second, spread over the buckets each step overlaps.',
    impl: async (ctx, a) => {
      let seriesList = seriesListArg(a, 'seriesList');
      const intervalString = String(rawArg(a, 'intervalString'));
      const interval = Math.trunc(bucketSeconds(intervalString));
      const align = booleanArg(a, 'alignToInterval');
      if (align) {
        const w = ctx.window;
        seriesList = (await reevaluate(ctx, { ...w, from: alignToInterval(w.from, interval, ctx.tz) })).map(
          (s) => ({ ...s, end: s.start + Math.floor((s.end - s.start) / interval) * interval + interval }),
        );
      }
      return seriesList.map((s) => {
        const { values, start } = hitcountValues(s, interval);
        const name = `hitcount(${s.name}, "${intervalString}"${align ? ', true' : ''})`;
        return {
          ...s,
          name,
          pathExpression: name,
          tags: { ...s.tags, hitcount: intervalString },
          start,
          step: interval,
          values,
        };
      });
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.integralByInterval
  {
    name: 'integralByInterval',
    group: 'Transform',
    params: [SERIES_LIST, { name: 'intervalUnit', type: 'string', required: true }],
    description: 'The running total of the values, restarting at 0 every interval counted from `from`.',
    impl: (ctx, a) => {
      const intervalUnit = stringArg(a, 'intervalUnit');
      const duration = Math.trunc(Math.abs(offsetSeconds('intervalUnit', intervalUnit)));
      if (duration === 0)
        throw new QueryError(`invalid intervalUnit "${intervalUnit}": want more than 0 seconds`);
      const from = ctx.window.from;
      return seriesListArg(a, 'seriesList').map((s) => {
        let t = s.start;
        let current = 0;
        const values = s.values.map((v) => {
          if (floorDiv(t - from, duration) !== floorDiv(t - from - s.step, duration)) current = 0;
          // A None keeps the total so far (which may just have been reset to 0).
          if (!Number.isNaN(v)) current += v;
          t += s.step;
          return current;
        });
        const name = `integralByInterval(${s.name},'${intervalUnit}')`;
        return {
          ...s,
          name,
          pathExpression: name,
          tags: withTag(s, 'integralByInterval', intervalUnit),
          values,
        };
      });
    },
  },
];

/**
 * timeShift(alignDST): one hour more (or less) when the whole requested range is in daylight saving
 * time and the whole shifted range is not (or the other way round). Upstream asks the server's local
 * zone; we ask the request's.
 */
function dstOffset(
  tz: string,
  from: number,
  until: number,
  shiftedFrom: number,
  shiftedUntil: number,
): number {
  const reqStart = isDst(from, tz);
  const reqEnd = isDst(until, tz);
  const myStart = isDst(shiftedFrom, tz);
  const myEnd = isDst(shiftedUntil, tz);
  if (reqStart && reqEnd && !myStart && !myEnd) return 3600;
  if (!reqStart && !reqEnd && myStart && myEnd) return -3600;
  return 0;
}

// In daylight saving time: the zone's offset is more than its smaller offset of January and July.
function isDst(t: number, tz: string): boolean {
  const offset = (at: number) => {
    const w = toWallClock(at, tz);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) / 1000 - at;
  };
  const year = toWallClock(t, tz).year;
  const jan = offset(Date.UTC(year, 0, 1) / 1000);
  const jul = offset(Date.UTC(year, 6, 1) / 1000);
  return offset(t) > Math.min(jan, jul);
}
