import { TagQueryError } from '../../tags/match.js';
import type { TagDB } from '../../tags/tagdb.js';
import { TagSyntaxError } from '../../tags/tagged-series.js';
import type { PyJsonValue } from '../format/python.js';
import { pyJson } from '../format/python.js';
import type { Params } from '../params.js';
import type { Handler, Reply, RouteContext } from '../router.js';

// The /tags API of graphite-web 1.1.8 (tags/views.py over tags/localdatabase.py): json.dumps of the
// answer (indented and key-sorted with `pretty`), a wrong method a bare 405, a bad request a 400
// `{"error": "..."}`. Upstream answers a tagged name that does not parse with a 500 (a plain
// Exception); it is the client's mistake, so we answer 400 with the same body shape.

/** graphite-web's TAGDB_AUTOCOMPLETE_LIMIT. */
const AUTOCOMPLETE_LIMIT = 100;

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The /tags routes by path (all but /tags/<tag>, which is `tagDetailsRoute`). */
export function tagRoutes(tagdb: TagDB): [string, Handler][] {
  return [
    ['/tags', json(['GET'], ({ params }) => tagdb.listTags(listOptions(params)) as unknown as PyJsonValue)],
    [
      '/tags/tagSeries',
      json(['POST'], ({ params }) => {
        const path = params.get('path');
        if (!path) throw new ApiError(400, 'no path specified');
        return tagdb.tagSeries(path);
      }),
    ],
    [
      '/tags/tagMultiSeries',
      json(['POST'], ({ params }) => tagdb.tagMultiSeries(listParam(params, 'path', 'no paths specified'))),
    ],
    [
      '/tags/delSeries',
      json(['POST'], ({ params }) => tagdb.delSeries(listParam(params, 'path', 'no path specified'))),
    ],
    [
      '/tags/findSeries',
      json(['GET', 'POST'], ({ params }) =>
        tagdb.findSeries(listParam(params, 'expr', 'no tag expressions specified')),
      ),
    ],
    [
      '/tags/autoComplete/tags',
      json(['GET', 'POST'], ({ params }) =>
        tagdb.autoCompleteTags(
          exprs(params),
          params.get('tagPrefix'),
          limitParam(params) ?? AUTOCOMPLETE_LIMIT,
        ),
      ),
    ],
    [
      '/tags/autoComplete/values',
      json(['GET', 'POST'], ({ params }) => {
        const tag = params.get('tag');
        if (!tag) throw new ApiError(400, 'no tag specified');
        return tagdb.autoCompleteValues(
          exprs(params),
          tag,
          params.get('valuePrefix'),
          limitParam(params) ?? AUTOCOMPLETE_LIMIT,
        );
      }),
    ],
  ];
}

/** /tags/<tag>: the tag with its values and counts, or null when no series ever had it. */
export function tagDetailsRoute(tagdb: TagDB, tag: string): Handler {
  return json(['GET'], ({ params }) => tagdb.getTag(tag, listOptions(params)) as unknown as PyJsonValue);
}

function json(methods: string[], answer: (ctx: RouteContext) => PyJsonValue): Handler {
  return (ctx) => {
    if (!methods.includes(ctx.method ?? 'GET'))
      return { status: 405, contentType: 'text/html; charset=utf-8', body: '' };
    const pretty = Boolean(ctx.params.get('pretty'));
    try {
      return reply(200, answer(ctx), pretty);
    } catch (err) {
      if (err instanceof ApiError) return reply(err.status, { error: err.message }, pretty);
      if (err instanceof TagQueryError || err instanceof TagSyntaxError)
        return reply(400, { error: err.message }, pretty);
      throw err;
    }
  };
}

function reply(status: number, data: PyJsonValue, pretty: boolean): Reply {
  return { status, contentType: 'application/json', body: pretty ? prettyJson(data, '') : pyJson(data) };
}

// json.dumps(indent=2, sort_keys=True).
function prettyJson(v: PyJsonValue, indent: string): string {
  const inner = `${indent}  `;
  if (Array.isArray(v))
    return v.length === 0 ? '[]' : `[\n${v.map((x) => inner + prettyJson(x, inner)).join(',\n')}\n${indent}]`;
  if (v !== null && typeof v === 'object' && !(v instanceof Map)) {
    const keys = Object.keys(v).sort();
    if (keys.length === 0) return '{}';
    return `{\n${keys.map((k) => `${inner}${pyJson(k)}: ${prettyJson(v[k], inner)}`).join(',\n')}\n${indent}}`;
  }
  return pyJson(v);
}

// `?x=a&x=b`, or the Rails/PHP/jQuery spelling `?x[]=a&x[]=b`.
function listParam(params: Params, name: string, missingMessage: string): string[] {
  const values = params.getAll(name).length > 0 ? params.getAll(name) : params.getAll(`${name}[]`);
  if (values.length === 0) throw new ApiError(400, missingMessage);
  return values;
}

function exprs(params: Params): string[] {
  return params.getAll('expr').length > 0 ? params.getAll('expr') : params.getAll('expr[]');
}

function listOptions(params: Params): { filter?: string; limit?: number } {
  return { filter: params.get('filter') || undefined, limit: limitParam(params) };
}

// Python's int(limit); an empty limit means none (`if limit:`).
function limitParam(params: Params): number | undefined {
  const v = params.get('limit');
  if (!v) return undefined;
  if (!/^\s*[+-]?\d+\s*$/.test(v)) throw new ApiError(400, `invalid literal for int() with base 10: '${v}'`);
  return Math.max(0, Number(v));
}
