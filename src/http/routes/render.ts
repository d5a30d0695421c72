import type { CacheReader } from '../../cache/reader.js';
import type { EventSource } from '../../events/store.js';
import { ValuesArena } from '../../query/arena.js';
import { renderDatapoints } from '../../query/consolidate.js';
import { evaluateTargets } from '../../query/evaluator.js';
import { type FetchContext, type FetchLimits, fetchPathExpression } from '../../query/fetch.js';
import type { Registry } from '../../query/functions/registry.js';
import { parseATTime } from '../../query/time/attime.js';
import type { Series } from '../../storage/series.js';
import type { Store } from '../../storage/store.js';
import { isSeriesByTag, resolveSeriesByTag } from '../../tags/fetch.js';
import type { TagDB } from '../../tags/tagdb.js';
import { Deadline } from '../deadline.js';
import { badParam, HttpError } from '../errors.js';
import { renderDygraph } from '../format/dygraph.js';
import { msgpackSeriesInfo } from '../format/msgpack.js';
import { pickleSeriesInfo } from '../format/pickle.js';
import { renderRaw } from '../format/raw.js';
import { renderCsv, renderJson, streamJson } from '../format/render.js';
import { renderRickshaw } from '../format/rickshaw.js';
import type { Handler, Reply, RouteContext, StreamedBody } from '../router.js';
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
  /** The tag database seriesByTag() looks series up in; without one it finds nothing. */
  tagdb?: TagDB;
  /** The events the events() function counts; without a store it counts none. */
  events?: EventSource;
  /** Deepest call nesting allowed in one target. */
  maxDepth?: number;
  /** Longest one request may run (ms): then a 503, and the work stops at its next checkpoint. */
  maxRequestTime?: number;
  /** A json answer of at least this many points is streamed, chunked. Default STREAM_JSON_POINTS. */
  streamJsonPoints?: number;
}

/**
 * From this many points (about 3 MB) a json answer is sent in pieces as it is written, so the client
 * reads while the rest is produced: for 846,000 points (28 MB) the transfer alone took 55-80 ms after
 * the last byte was written. Smaller answers go whole, with a Content-Length, as graphite-web's do.
 */
export const STREAM_JSON_POINTS = 100_000;

/** The formats /render writes; graph images (png, svg, pdf) belong to the graph renderer. */
const FORMATS = ['json', 'csv', 'raw', 'pickle', 'msgpack', 'dygraph', 'rickshaw'];

/**
 * /render: targets evaluated (paths, globs and series functions), as graphite-web 1.1.8's renderView
 * with parseOptions: targets from `target` or `target[]`, from (default -1d) / until / now / tz, the
 * window ordered min..max and refused when empty, xFilesFactor, maxDataPoints (digits only, else
 * ignored; json only), noNullPoints, pretty. Formats json, csv, raw, pickle, msgpack, dygraph and
 * rickshaw (`pickle` and `rawData` parameters as upstream); `jsonp` wraps json, dygraph and rickshaw
 * when a `format` parameter is given. Graph images are not drawn here, so a missing or other format is
 * a 400. The whole request runs under the maxRequestTime deadline.
 */
export function renderRoute(opts: RenderOptions): Handler {
  return async (ctx) => {
    const deadline = new Deadline(opts.maxRequestTime ?? Number.POSITIVE_INFINITY);
    if (opts.maxRequestTime === undefined) return render(opts, ctx, deadline);
    return deadline.race(render(opts, ctx, deadline));
  };
}

async function render(opts: RenderOptions, { params, now: clock }: RouteContext, deadline: Deadline) {
  // parseOptions: `pickle`, then `rawData`, then `format` — the last one present wins.
  let format = params.get('format');
  if (format === undefined) {
    if (params.has('rawData')) format = 'raw';
    else if (params.has('pickle')) format = 'pickle';
  }
  const want = `want one of ${FORMATS.join(', ')}`;
  if (format === undefined) throw new HttpError(400, `missing format: ${want} (graphs are not drawn here)`);
  if (!FORMATS.includes(format)) throw badParam('format', format, want);

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
  // The fetched values live in the arena, given back once the json answer is written (below); other
  // formats and errors leave them to the garbage collector.
  const arena = new ValuesArena();
  const checkpoint = () => deadline.checkpoint();
  const data: Series[] = await evaluateTargets(
    targets,
    { from: Math.min(from, until), until: Math.max(from, until), now },
    {
      registry: opts.registry,
      tz,
      xFilesFactor,
      maxDepth: opts.maxDepth,
      checkpoint,
      events: opts.events,
      fetch: (pathExpression, window) => {
        deadline.checkpoint();
        const ctx: FetchContext = {
          store: opts.store,
          cache: opts.cache,
          ...window,
          xFilesFactor,
          limits: opts.limits,
          cacheOnlyStep: opts.cacheOnlyStep,
          used,
          checkpoint,
          arena,
        };
        // seriesByTag(...) arrives here as a path, as in graphite-web's STORE.fetch.
        if (opts.tagdb && isSeriesByTag(pathExpression))
          return resolveSeriesByTag(pathExpression, opts.tagdb, (name) => fetchPathExpression(ctx, name));
        return fetchPathExpression(ctx, pathExpression);
      },
    },
  );
  deadline.checkpoint();

  // bool(queryParams.get('pretty')): any non-empty value, even "0".
  const pretty = Boolean(params.get('pretty'));
  const jsonp = params.has('format') ? params.get('jsonp') : undefined;
  const script = (body: string | Buffer | StreamedBody): Reply =>
    jsonp === undefined
      ? { contentType: 'application/json', body }
      : { contentType: 'text/javascript', body: wrapped(`${jsonp}(`, body, ')') };
  switch (format) {
    case 'csv':
      return { contentType: 'text/csv', body: renderCsv(data, tz) };
    case 'raw':
      return { contentType: 'text/plain', body: renderRaw(data) };
    case 'pickle':
      return { contentType: 'application/pickle', body: pickleSeriesInfo(data) };
    case 'msgpack':
      return { contentType: 'application/x-msgpack', body: msgpackSeriesInfo(data) };
    case 'dygraph':
      return script(renderDygraph(data));
    case 'rickshaw':
      return script(renderRickshaw(data, pretty));
  }
  // renderViewJson's `if any(data)`: a list of only empty series prints [].
  const any = data.some((s) => s.values.length > 0);
  if (!any) return script('[]');
  const points = renderDatapoints(data, maxDataPoints);
  const noNullPoints = params.has('noNullPoints');
  let total = 0;
  for (const p of points) total += p.values.length;
  if (!pretty && total >= (opts.streamJsonPoints ?? STREAM_JSON_POINTS)) {
    const body = streamJson(data, points, noNullPoints);
    // stream() writes the whole answer before it returns (the pieces are copies).
    return script({
      stream(write) {
        body.stream(write);
        arena.release();
      },
    });
  }
  const body = renderJson(data, points, noNullPoints, pretty);
  arena.release();
  return script(body);
}

/** `body` between `before` and `after`, in the body's own kind. */
function wrapped(
  before: string,
  body: string | Buffer | StreamedBody,
  after: string,
): string | Buffer | StreamedBody {
  if (typeof body === 'string') return `${before}${body}${after}`;
  if (body instanceof Uint8Array) return Buffer.concat([Buffer.from(before), body, Buffer.from(after)]);
  const done = () => {};
  return {
    stream(write) {
      write(Buffer.from(before), done);
      body.stream(write);
      write(Buffer.from(after), done);
    },
  };
}
