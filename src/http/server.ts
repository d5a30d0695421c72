import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CacheReader } from '../cache/reader.js';
import type { EventStore } from '../events/store.js';
import type { Service } from '../lifecycle.js';
import { createLogger, type Logger } from '../log.js';
import { QueryError } from '../query/errors.js';
import type { FetchLimits } from '../query/fetch.js';
import { defaultRegistry } from '../query/functions/index.js';
import { GlobError } from '../query/glob.js';
import type { Store } from '../storage/store.js';
import type { TagDB } from '../tags/tagdb.js';
import { HttpError } from './errors.js';
import { Params } from './params.js';
import { type Reply, Router, type StreamedBody } from './router.js';
import { eventDetailRoute, eventsDataRoute, eventsRoute } from './routes/events.js';
import { functionDetailsRoute, functionListRoute } from './routes/functions.js';
import { expandRoute, findRoute, indexRoute } from './routes/metrics.js';
import { renderRoute } from './routes/render.js';
import { tagDetailsRoute, tagRoutes } from './routes/tags.js';
import { versionRoute } from './routes/version.js';

/** Per-request caps; each refusal is a 400 naming the cap. */
export interface HttpLimits extends FetchLimits {
  /** Most `target` parameters in one /render request. */
  maxTargets: number;
  /** Largest request body (urlencoded POST form) in bytes. */
  maxBodyBytes: number;
  /** Deepest nesting of function calls in one target. */
  maxDepth: number;
  /**
   * Most nodes one pattern may match: a /metrics/find or /metrics/expand query, or one path
   * expression of a render target (the store's walk stops at the cap).
   */
  maxFindResults: number;
  /** Longest a /render request may run, in milliseconds; then a 503, and its work stops. */
  maxRequestTime: number;
}

export const DEFAULT_LIMITS: HttpLimits = {
  maxTargets: 100,
  maxSeries: 10_000,
  maxDataPoints: 10_000_000,
  maxBodyBytes: 1 << 20,
  maxDepth: 50,
  maxFindResults: 100_000,
  maxRequestTime: 60_000,
};

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port; read it from address() after start(). */
  port: number;
  store: Store;
  cache: CacheReader;
  limits?: Partial<HttpLimits>;
  /** graphite-web's TIME_ZONE: the zone of day references in from/until and of CSV timestamps. */
  timeZone?: string;
  /** Step for metrics that exist only in the cache (carbon's default schema is 60 s). */
  cacheOnlyStep?: (metric: string) => number;
  /** The clock, epoch seconds (tests pin it). */
  clock?: () => number;
  logger?: Logger;
  /** The tag database behind /tags and seriesByTag(); without one those routes are 404. */
  tagdb?: TagDB;
  /** The event store behind /events and events(); without one those routes are 404. */
  events?: EventStore;
  /** json answers of at least this many points are streamed (RenderOptions.streamJsonPoints). */
  streamJsonPoints?: number;
}

/** The HTTP API as a Service, with the bound address once started. */
export interface HttpService extends Service {
  address(): AddressInfo;
}

/**
 * graphite-web's HTTP API on plain node:http: /render, /metrics/find, /metrics/expand,
 * /metrics/index.json, /version. One handler turns errors into responses: an HttpError, QueryError or
 * GlobError is its status (400) with the message as text; anything else is a logged 500.
 */
export function createHttpServer(opts: HttpServerOptions): HttpService {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const timeZone = opts.timeZone ?? 'UTC';
  const clock = opts.clock ?? (() => Math.floor(Date.now() / 1000));
  const log = opts.logger ?? createLogger('http');
  const counts = { requests: 0, errors4xx: 0, errors5xx: 0 };

  const find = findRoute(opts.store, opts.cache, timeZone, limits.maxFindResults);
  const registry = defaultRegistry();
  const functionDetails = functionDetailsRoute(registry);
  const router = new Router()
    .add(
      '/render',
      renderRoute({
        store: opts.store,
        cache: opts.cache,
        timeZone,
        maxTargets: limits.maxTargets,
        limits,
        cacheOnlyStep: opts.cacheOnlyStep ?? (() => 60),
        registry,
        maxDepth: limits.maxDepth,
        maxRequestTime: limits.maxRequestTime,
        tagdb: opts.tagdb,
        events: opts.events,
        streamJsonPoints: opts.streamJsonPoints,
      }),
    )
    .add('/metrics/find', find)
    .add('/metrics', find)
    .add('/metrics/expand', expandRoute(opts.store, opts.cache, limits.maxFindResults))
    .add('/metrics/index.json', indexRoute(opts.store, opts.cache), { trailingSlash: false })
    .add('/version', versionRoute)
    .add('/functions', functionListRoute(registry));
  if (opts.tagdb) {
    // The specific routes have no trailing-slash twin upstream (tags/urls.py), only /tags/ has.
    for (const [path, handler] of tagRoutes(opts.tagdb))
      router.add(path, handler, { trailingSlash: path === '/tags' });
  }
  if (opts.events) {
    router.add('/events', eventsRoute(opts.events, timeZone));
    router.add('/events/get_data', eventsDataRoute(opts.events, timeZone), { trailingSlash: false });
  }
  const { tagdb, events } = opts;
  // Routes with a parameter in their path: /functions/<name>, /tags/<tag>, /events/<id>.
  const withParameter = (pathname: string) => {
    const functionName = /^\/functions\/([^/]+)\/?$/.exec(pathname);
    if (functionName) return functionDetails(decodeURIComponent(functionName[1]));
    const tag = /^\/tags\/(.+)$/.exec(pathname);
    if (tag && tagdb) return tagDetailsRoute(tagdb, decodeURIComponent(tag[1]));
    const eventId = /^\/events\/(\d+)\/?$/.exec(pathname);
    if (eventId && events) return eventDetailRoute(events, Number(eventId[1]));
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    counts.requests++;
    let reply: Reply;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const handler = router.match(url.pathname) ?? withParameter(url.pathname);
      if (!handler) throw new HttpError(404, `no such endpoint: ${url.pathname}`);
      const body = await readBody(req, limits.maxBodyBytes);
      reply = await handler({
        params: new Params(url.searchParams, formFields(req, body)),
        headers: req.headers,
        now: clock(),
        method: req.method ?? 'GET',
        body,
      });
    } catch (err) {
      reply = errorReply(err, req, log);
    }
    const status = reply.status ?? 200;
    if (status >= 500) counts.errors5xx++;
    else if (status >= 400) counts.errors4xx++;
    if (isStreamed(reply.body)) {
      res.writeHead(status, { ...reply.headers, 'Content-Type': reply.contentType });
      try {
        reply.body.stream((piece, written) => res.write(piece, written));
      } catch (err) {
        // The status line is gone already: all that is left is to cut the answer short, which the
        // client sees as a broken chunked body rather than a complete wrong one.
        counts.errors5xx++;
        log.limited('500', `500 while streaming ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
        res.destroy(err as Error);
        return;
      }
      res.end();
      return;
    }
    const body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
    res.writeHead(status, {
      ...reply.headers,
      'Content-Type': reply.contentType,
      'Content-Length': body.length,
    });
    res.end(body);
  };

  const server = http.createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 65_000; // longer than common proxies' idle timeout, so they close first
  let started: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;

  return {
    name: 'http',
    start() {
      started ??= new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return started;
    },
    stop() {
      if (!started) return Promise.resolve();
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      return stopped;
    },
    stats: () => ({ ...counts }),
    address() {
      const a = server.address();
      if (!a || typeof a === 'string') throw new Error('BUG: http server address() before start()');
      return a;
    },
  };
}

function errorReply(err: unknown, req: IncomingMessage, log: Logger): Reply {
  if (err instanceof HttpError || err instanceof QueryError || err instanceof GlobError) {
    const status = err instanceof HttpError ? err.status : 400;
    return { status, contentType: 'text/plain; charset=utf-8', body: `${err.message}\n` };
  }
  log.limited('500', `500 on ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
  return { status: 500, contentType: 'text/plain; charset=utf-8', body: 'internal server error\n' };
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  if (req.method === 'GET' || req.method === 'HEAD') return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new HttpError(413, `request body over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

// graphite-web reads POSTed form fields as well as the query string (QueryDict.update(request.POST)).
function formFields(req: IncomingMessage, body: Buffer): URLSearchParams {
  const type = req.headers['content-type'] ?? '';
  if (req.method !== 'POST' || !type.startsWith('application/x-www-form-urlencoded'))
    return new URLSearchParams();
  return new URLSearchParams(body.toString('utf8'));
}

function isStreamed(body: Reply['body']): body is StreamedBody {
  return typeof body === 'object' && !(body instanceof Uint8Array);
}
