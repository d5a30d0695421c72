import type { EventStore, GraphiteEvent, TagSetOperation } from '../../events/store.js';
import { badParam, HttpError } from '../errors.js';
import { pyJson } from '../format/python.js';
import type { Handler, Reply } from '../router.js';
import { timeParam } from './common.js';

// graphite-web 1.1.8's events API (events/views.py): POST /events/ with a JSON body, GET
// /events/get_data, GET /events/<id>/. Upstream has no delete endpoint (events are deleted in
// Django's admin); DELETE /events/<id>/ is Carbonado's own. GET /events/ is an HTML page upstream;
// here it answers what get_data answers for all events.

/** /events: POST adds an event; GET lists them as get_data does. */
export function eventsRoute(store: EventStore, timeZone: string): Handler {
  const list = eventsDataRoute(store, timeZone);
  return (ctx) => {
    if (ctx.method === 'POST') return postEvent(store, ctx.body ?? Buffer.alloc(0), ctx.now);
    if (ctx.method === 'GET') return list(ctx);
    return { status: 405, contentType: 'text/html; charset=utf-8', body: '' };
  };
}

// post_event: {"what", "tags" (a list or a space-separated string), "data", "when" (epoch seconds,
// default now)}; answers 200 with an empty body.
function postEvent(store: EventStore, body: Buffer, now: number): Reply {
  let event: unknown;
  try {
    event = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `invalid event: the body is not JSON: ${(err as Error).message}`);
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event))
    throw new HttpError(400, 'invalid event: want a JSON object');
  const e = event as Record<string, unknown>;
  let tags: string[] = [];
  if (Array.isArray(e.tags)) tags = e.tags.map(String).join(' ').split(/\s+/).filter(Boolean);
  else if (typeof e.tags === 'string') tags = e.tags.split(/\s+/).filter(Boolean);
  else if (e.tags !== undefined && e.tags !== null)
    return {
      status: 400,
      contentType: 'text/html; charset=utf-8',
      body: pyJson({ error: '"tags" must be an array or space-separated string' }),
    };
  // Upstream's model refuses a missing `what` (NOT NULL) with a 500; it is the client's mistake.
  if (typeof e.what !== 'string') throw new HttpError(400, 'invalid event: "what" must be a string');
  if (e.when !== undefined && (typeof e.when !== 'number' || !Number.isFinite(e.when)))
    throw new HttpError(400, `invalid event: "when" must be epoch seconds; got ${JSON.stringify(e.when)}`);
  store.add({
    what: e.what,
    data: typeof e.data === 'string' ? e.data : e.data === undefined ? '' : JSON.stringify(e.data),
    tags,
    when: typeof e.when === 'number' ? e.when : now,
  });
  return { status: 200, contentType: 'text/html; charset=utf-8', body: '' };
}

/**
 * /events/get_data: events between from (default the epoch) and until (default now), optionally
 * with tags (space-separated; set=union for any of them), as a JSON list (jsonp supported).
 */
export function eventsDataRoute(store: EventStore, timeZone: string): Handler {
  return ({ params, now }) => {
    const from = timeParam(params, 'from', now, timeZone) ?? 0;
    const until = timeParam(params, 'until', now, timeZone) ?? now;
    const set = params.get('set');
    if (set !== undefined && set !== 'union' && set !== 'intersection')
      throw badParam('set', set, 'want union or intersection');
    const tagsText = params.get('tags');
    const tags = tagsText === undefined ? undefined : tagsText.split(' ');
    const body = pyJson(store.find(from, until, tags, set as TagSetOperation).map(asDict));
    const jsonp = params.get('jsonp');
    if (jsonp !== undefined) return { contentType: 'text/javascript', body: `${jsonp}(${body})` };
    return { contentType: 'application/json', body };
  };
}

/** /events/<id>: GET the event (model_to_dict, `when` in ISO 8601); DELETE removes it. */
export function eventDetailRoute(store: EventStore, id: number): Handler {
  return ({ method }) => {
    const event = store.get(id);
    if (method === 'DELETE') {
      if (!event || !store.delete(id)) return notFound();
      return { contentType: 'application/json', body: pyJson({ deleted: id }) };
    }
    if (method !== 'GET') return { status: 405, contentType: 'text/html; charset=utf-8', body: '' };
    if (!event) return notFound();
    return {
      contentType: 'application/json',
      body: pyJson({
        id: event.id,
        when: new Date(Math.floor(event.when) * 1000).toISOString().replace('.000Z', 'Z'),
        what: event.what,
        data: event.data,
        tags: event.tags,
      }),
    };
  };
}

function notFound(): Reply {
  return {
    status: 404,
    contentType: 'application/json',
    body: pyJson({ error: 'Event matching query does not exist' }),
  };
}

// Event.as_dict with `when` as epoch seconds (EventEncoder: calendar.timegm, whole seconds).
function asDict(e: GraphiteEvent) {
  return { when: Math.floor(e.when), what: e.what, data: e.data, tags: e.tags, id: e.id };
}
