import type { IncomingHttpHeaders } from 'node:http';
import { parseATTime } from '../../query/time/attime.js';
import { isKnownZone } from '../../query/time/zone.js';
import { badParam, HttpError } from '../errors.js';
import { type PyJsonValue, pyJson } from '../format/python.js';
import type { Params } from '../params.js';
import type { Reply } from '../router.js';

/**
 * graphite-web's json_response_for (metrics/views.py): ASCII-escaped JSON unless the client's Accept
 * header is anything but exactly application/json (then UTF-8, said in the content type), wrapped
 * in `jsonp(...)` as text/javascript when a jsonp callback is given.
 */
export function jsonReply(params: Params, headers: IncomingHttpHeaders, data: PyJsonValue): Reply {
  const accept = headers.accept ?? 'application/json';
  const ensureAscii = accept === 'application/json';
  let body = pyJson(data, ensureAscii);
  let contentType = 'application/json';
  const jsonp = params.get('jsonp');
  if (jsonp) {
    body = `${jsonp}(${body})`;
    contentType = 'text/javascript';
  }
  if (!ensureAscii) contentType += ';charset=utf-8';
  return { contentType, body, headers: { Pragma: 'no-cache', 'Cache-Control': 'no-cache' } };
}

/** An integer parameter as Python's int() reads it, or `fallback` when absent; a 400 otherwise. */
export function intParam(params: Params, name: string, fallback: number): number {
  const v = params.get(name);
  if (v === undefined) return fallback;
  if (!/^\s*[+-]?\d+\s*$/.test(v)) throw badParam(name, v, 'want an integer');
  return Number(v);
}

/** The time zone of a request: `tz` when it names a known zone (unknown ones are ignored, as upstream). */
export function requestZone(params: Params, defaultZone: string): string {
  const tz = params.get('tz');
  return tz !== undefined && isKnownZone(tz) ? tz : defaultZone;
}

/** Parses a from/until/now parameter; a 400 quoting it and saying what is wrong otherwise. */
export function timeParam(params: Params, name: string, now: number, tz: string): number | undefined {
  const v = params.get(name);
  if (v === undefined) return undefined;
  try {
    return parseATTime(v, now, tz);
  } catch (err) {
    throw badParam(name, v, (err as Error).message);
  }
}

/** A 400 for a request that needs a parameter it does not have. */
export function missing(name: string): HttpError {
  return new HttpError(400, `missing required parameter "${name}"`);
}
