import type { CacheReader } from '../../cache/reader.js';
import { renderDatapoints } from '../../query/consolidate.js';
import { evaluateTargets } from '../../query/evaluator.js';
import { type FetchContext, type FetchLimits, fetchPathExpression } from '../../query/fetch.js';
import type { Registry } from '../../query/functions/registry.js';
import { parseATTime } from '../../query/time/attime.js';
import type { Series } from '../../storage/series.js';
import type { Store } from '../../storage/store.js';
import { badParam, HttpError } from '../errors.js';
import { renderCsv, renderJson } from '../format/render.js';
import type { Handler } from '../router.js';
import { requestZone, timeParam } from './common.js';

/** What /render needs besides the request. */
export interface RenderOptions {
  store: Store;
  cache: CacheReader;
  timeZone: string;
  /** Most targets one request may carry. */
  maxTargets: number;
  limits: FetchLimits;
  cacheOnlyStep: (metric: string) => number;
  /** The series functions targets may call. */
  registry: Registry;
  /** Deepest call nesting allowed in one target. */
  maxDepth?: number;
}

/**
 * /render: targets evaluated (paths, globs and series functions), formats json (jsonp) and csv, as graphite-web 1.1.8's renderView
 * with parseOptions: targets from `target` or `target[]`, from (default -1d) / until / now / tz, the
 * window ordered min..max and refused when empty, xFilesFactor, maxDataPoints (digits only, else
 * ignored), noNullPoints. Graph images are not drawn yet, so a missing or other format is a 400.
 */
export function renderRoute(opts: RenderOptions): Handler {
  return async ({ params, now: clock }) => {
    let format = params.get('format');
    if (format === undefined) {
      if (params.has('pickle')) format = 'pickle';
      else if (params.has('rawData')) format = 'raw';
    }
    if (format === undefined)
      throw new HttpError(400, 'missing format: want json or csv (graphs are not drawn yet)');
    if (format !== 'json' && format !== 'csv') throw badParam('format', format, 'want json or csv');

    const targets = params.getAll('target').length ? params.getAll('target') : params.getAll('target[]');
    if (targets.length > opts.maxTargets)
      throw new HttpError(400, `too many targets: ${targets.length}; the limit is ${opts.maxTargets}`);

    const tz = requestZone(params, opts.timeZone);
    const now = timeParam(params, 'now', clock, tz) ?? clock;
    const until = timeParam(params, 'until', now, tz) ?? now;
    const from = timeParam(params, 'from', now, tz) ?? parseATTime('-1d', now, tz);
    if (from === until) throw new HttpError(400, `invalid empty time range: from and until are both ${from}`);

    const xffText = params.get('xFilesFactor');
    const xFilesFactor = xffText === undefined ? 0 : Number(xffText);
    if (xffText !== undefined && (xffText.trim() === '' || Number.isNaN(xFilesFactor)))
      throw badParam('xFilesFactor', xffText, 'want a number');
    const mdpText = params.get('maxDataPoints');
    const maxDataPoints = mdpText !== undefined && /^\d+$/.test(mdpText) ? Number(mdpText) : undefined;
    if (maxDataPoints === 0) throw badParam('maxDataPoints', mdpText!, 'want at least 1');

    // One running total against the limits for the whole request, whatever windows functions such as
    // timeShift fetch over.
    const used = { series: 0, points: 0 };
    const data: Series[] = await evaluateTargets(
      targets,
      { from: Math.min(from, until), until: Math.max(from, until), now },
      {
        registry: opts.registry,
        tz,
        xFilesFactor,
        maxDepth: opts.maxDepth,
        fetch: (pathExpression, window) => {
          const ctx: FetchContext = {
            store: opts.store,
            cache: opts.cache,
            ...window,
            xFilesFactor,
            limits: opts.limits,
            cacheOnlyStep: opts.cacheOnlyStep,
            used,
          };
          return fetchPathExpression(ctx, pathExpression);
        },
      },
    );

    if (format === 'csv') return { contentType: 'text/csv', body: renderCsv(data, tz) };
    // renderViewJson's `if any(data)`: a list of only empty series prints [].
    const any = data.some((s) => s.values.length > 0);
    const body = any
      ? renderJson(data, renderDatapoints(data, maxDataPoints), params.has('noNullPoints'))
      : '[]';
    const jsonp = params.get('jsonp');
    if (jsonp !== undefined) return { contentType: 'text/javascript', body: `${jsonp}(${body})` };
    return { contentType: 'application/json', body };
  };
}
