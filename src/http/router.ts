import type { IncomingHttpHeaders } from 'node:http';
import type { Params } from './params.js';

/** What a route sees: parsed parameters, request headers, and the request's clock reading. */
export interface RouteContext {
  params: Params;
  headers: IncomingHttpHeaders;
  /** Epoch seconds when the request arrived (graphite-web's `now` default). */
  now: number;
  /** The HTTP method (GET, POST, DELETE...): routes that answer 405 to others read it. */
  method?: string;
  /** The raw request body (POST /events reads JSON from it); empty for GET. */
  body?: Buffer;
}

/**
 * A body sent in pieces while it is being produced, without a Content-Length (HTTP/1.1 chunked): the
 * client reads the first megabytes of a big json answer while the rest is written. `stream` calls
 * `write` for each piece in order; `written` runs once the piece has gone to the kernel, after which
 * its memory may be used again.
 */
export interface StreamedBody {
  stream(write: (piece: Uint8Array, written: () => void) => void): void;
}

/** What a route answers; the server adds Content-Length (for a whole body) and writes it. */
export interface Reply {
  status?: number;
  contentType: string;
  /** Text is sent as UTF-8; bytes (pickle, msgpack) as they are; a StreamedBody piece by piece. */
  body: string | Uint8Array | StreamedBody;
  headers?: Record<string, string>;
}

export type Handler = (ctx: RouteContext) => Promise<Reply> | Reply;

/**
 * Exact-path routing with graphite-web's optional trailing slash (its url patterns end in `/?$`), so
 * `/metrics/find` and `/metrics/find/` are the same route.
 */
export class Router {
  private readonly routes = new Map<string, Handler>();

  /** Registers `handler` for `path` (without trailing slash) and `path/`. */
  add(path: string, handler: Handler, opts: { trailingSlash?: boolean } = {}): this {
    this.routes.set(path, handler);
    if (opts.trailingSlash !== false) this.routes.set(`${path}/`, handler);
    return this;
  }

  match(pathname: string): Handler | undefined {
    return this.routes.get(pathname);
  }
}
