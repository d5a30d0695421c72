import type { CacheReader } from '../cache/reader.js';
import type { Series } from '../storage/series.js';
import type { FetchResult, Store } from '../storage/store.js';
import type { ValuesArena } from './arena.js';
import { QueryError } from './errors.js';
import { findLeaves } from './find.js';
import { mergeWithCache } from './merge-cache.js';

/** Per-request caps; a request over one is refused with a message naming the cap. */
export interface FetchLimits {
  /** Most series one request may fetch, over all its targets. */
  maxSeries: number;
  /** Most datapoints one request may fetch, over all its series. */
  maxDataPoints: number;
  /** Most leaves one path expression may match; the store's walk stops there. Unlimited when absent. */
  maxFindResults?: number;
}

/** One request's fetch settings: the window (epoch seconds), now, and where data comes from. */
export interface FetchContext {
  store: Store;
  cache: CacheReader;
  from: number;
  until: number;
  now: number;
  /** graphite-web's request `xFilesFactor` (DEFAULT_XFILES_FACTOR = 0), copied onto each series. */
  xFilesFactor: number;
  limits: FetchLimits;
  /** Step for a metric that exists only in the cache (no file yet, so no retention to read). */
  cacheOnlyStep: (metric: string) => number;
  /** Running totals against the limits; shared by every target of the request. */
  used?: { series: number; points: number };
  /** Called before each series is read; throws to stop the fetch (the request-time limit). */
  checkpoint?: () => void;
  /** Memory for the fetched values, given back when the request has answered (arena.ts). */
  arena?: ValuesArena;
}

/**
 * A store's fetch result may say the step of its finest archive: graphite-web aligns cached points
 * to it before aggregating them into a coarser archive's step. Without it the fetched step is used.
 */
export type FetchResultWithRawStep = FetchResult & { rawStep?: number };

// The Store interface does not carry the finest archive's step; a store with whisper's info() does
// (WhisperStore). Only asked when the cache holds points for the metric.
async function finestStep(store: Store, metric: string): Promise<number | undefined> {
  const withInfo = store as Store & {
    info?: (m: string) => Promise<{ archives: { secondsPerPoint: number }[] } | null>;
  };
  if (typeof withInfo.info !== 'function') return undefined;
  return (await withInfo.info(metric))?.archives[0]?.secondsPerPoint;
}

/**
 * The series a plain path or glob names, as graphite-web's fetchData returns them: one per matching
 * leaf, the store's data overlaid with the cache's, sorted by name, each carrying `pathExpression`.
 */
export async function fetchPathExpression(ctx: FetchContext, pathExpression: string): Promise<Series[]> {
  if (!ctx.used) ctx.used = { series: 0, points: 0 };
  const used = ctx.used;
  const leaves = await findLeaves(ctx.store, ctx.cache, pathExpression, ctx.limits.maxFindResults);
  if (used.series + leaves.length > ctx.limits.maxSeries)
    throw new QueryError(
      `too many series: "${pathExpression}" brings the request to ${used.series + leaves.length}; the limit is ${ctx.limits.maxSeries}`,
    );
  used.series += leaves.length;
  const out: Series[] = [];
  for (const metric of leaves) {
    ctx.checkpoint?.();
    const series = await fetchOne(ctx, metric, pathExpression);
    if (!series) continue;
    used.points += series.values.length;
    if (used.points > ctx.limits.maxDataPoints)
      throw new QueryError(
        `too many datapoints: "${metric}" brings the request to ${used.points}; the limit is ${ctx.limits.maxDataPoints}`,
      );
    out.push(series);
  }
  return out;
}

async function fetchOne(ctx: FetchContext, metric: string, pathExpression: string): Promise<Series | null> {
  const cached = ctx.cache.peek(metric);
  const stored = (await ctx.store.fetch(
    metric,
    ctx.from,
    ctx.until,
    ctx.now,
    ctx.arena?.alloc,
  )) as FetchResultWithRawStep | null;
  let start: number;
  let end: number;
  let step: number;
  let values: Float64Array;
  if (stored) {
    ({ start, end, step, values } = stored);
    if (cached?.timestamps.length) {
      const rawStep = stored.rawStep ?? (await finestStep(ctx.store, metric)) ?? step;
      values = mergeWithCache(cached, start, step, values, stored.aggregationMethod, rawStep);
    }
  } else if (cached?.timestamps.length) {
    // Not on disk yet: lay a window out as whisper would (fromInterval = from - from % step + step).
    step = ctx.cacheOnlyStep(metric);
    start = ctx.from - (ctx.from % step) + step;
    end = ctx.until - (ctx.until % step) + step;
    values = mergeWithCache(
      cached,
      start,
      step,
      new Float64Array((end - start) / step).fill(Number.NaN),
      'average',
      step,
    );
  } else return null;
  return {
    name: metric,
    tags: { name: metric },
    start,
    end,
    step,
    values,
    pathExpression,
    xFilesFactor: ctx.xFilesFactor,
    consolidationFunc: 'average',
  };
}
