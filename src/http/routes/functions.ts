import { AGG_FUNC_NAMES } from '../../query/functions/aggfuncs.js';
import { PIE_FUNCTIONS, type PieFunctionSpec, type PieParamSpec } from '../../query/functions/pie.js';
import type { FunctionSpec, ParamSpec, Registry } from '../../query/functions/registry.js';
import { pyFloat, pyJsonString } from '../format/python.js';
import type { Handler, Reply } from '../router.js';

// /functions and /functions/<name>, shaped as graphite-web 1.1.8's functions/views.py answers them
// (Grafana's function editor reads these): per function {name, function, description, module,
// group, params}, each param {name, type, required?, default?, multiple?, options?, suggestions?}.
// Upstream builds `function` with inspect.getargspec, which Python 3.11 no longer has, so Debian's
// graphite-web answers 500 here; we build the signature from the parameter table instead.

type Json = string | number | boolean | null | Json[] | [string, Json][] | { entries: [string, Json][] };

/** What /functions describes of a series function or a pie function. */
type Described = Pick<FunctionSpec | PieFunctionSpec, 'group' | 'description'> & {
  params: (ParamSpec | PieParamSpec)[];
};

/**
 * /functions: every function (or `?group=`), flat or `?grouped=true` by group; `?type=pie` lists the
 * pie functions (average, maximum, minimum) instead, as functions/views.py does.
 */
export function functionListRoute(registry: Registry): Handler {
  return ({ params }) => {
    const grouped = ['1', 'true'].includes((params.get('grouped') ?? '').toLowerCase());
    const group = params.get('group');
    const result = new Map<string, Json>();
    const groups = new Map<string, [string, Json][]>();
    const table: [string, Described][] =
      params.get('type') === 'pie' ? PIE_FUNCTIONS.map((f) => [f.name, f]) : registry.entries();
    for (const [name, spec] of table) {
      if (group !== undefined && group !== spec.group) continue;
      const info = functionInfo(name, spec, registry);
      if (!grouped) result.set(name, info);
      else {
        const g = groups.get(spec.group) ?? [];
        groups.set(spec.group, g);
        g.push([name, info]);
      }
    }
    const entries: [string, Json][] = grouped
      ? [...groups].map(([g, list]) => [g, { entries: list }])
      : [...result];
    return reply(200, { entries }, params.has('pretty'));
  };
}

/** /functions/<name>: one function's description, or a 404 {"error": ...}. */
export function functionDetailsRoute(registry: Registry): (name: string) => Handler {
  return (name) =>
    ({ params }) => {
      const spec: Described | undefined =
        params.get('type') === 'pie' ? PIE_FUNCTIONS.find((f) => f.name === name) : registry.get(name);
      if (!spec) return reply(404, { entries: [['error', `Function not found: ${name}`]] }, false);
      return reply(200, functionInfo(name, spec, registry), params.has('pretty'));
    };
}

function reply(status: number, data: Json, pretty: boolean): Reply {
  // jsonInfinityEncoder's replace: an infinite default followed by a comma is written 1e9999.
  const body = toJson(data, pretty ? 0 : undefined).replaceAll('Infinity,', '1e9999,');
  return { status, contentType: 'application/json', body };
}

function functionInfo(name: string, spec: Described, registry: Registry): Json {
  return {
    entries: [
      ['name', name],
      ['function', `${name}(${spec.params.map(signaturePart).join(', ')})`],
      ['description', spec.description],
      ['module', 'graphite.render.functions'],
      ['group', spec.group],
      ['params', spec.params.map((p) => paramInfo(p, registry))],
    ],
  };
}

function signaturePart(p: ParamSpec | PieParamSpec): string {
  if (p.multiple) return `*${p.name}`;
  if (p.required) return p.name;
  return `${p.name}=${p.default === undefined ? 'None' : pyRepr(p.default)}`;
}

function pyRepr(v: string | number | boolean): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return v === Number.POSITIVE_INFINITY ? 'inf' : String(v);
}

function paramInfo(p: ParamSpec | PieParamSpec, registry: Registry): Json {
  const entries: [string, Json][] = [
    ['name', p.name],
    ['type', p.type],
  ];
  if (p.required) entries.push(['required', true]);
  if (p.default !== undefined) entries.push(['default', p.default]);
  if (p.multiple) entries.push(['multiple', true]);
  const options = new Set<string | number>(p.options ?? []);
  if (p.type === 'aggFunc' || p.type === 'aggOrSeriesFunc') for (const f of AGG_FUNC_NAMES) options.add(f);
  if (p.type === 'aggOrSeriesFunc') for (const [n, s] of registry.entries()) if (s.aggregator) options.add(n);
  // Param.options: sorted by str().
  if (options.size) entries.push(['options', [...options].sort((a, b) => (String(a) < String(b) ? -1 : 1))]);
  if (p.suggestions?.length) entries.push(['suggestions', p.suggestions]);
  return { entries };
}

// json.dumps with default separators (or indent=2, sorted keys, when `pretty`, as upstream).
function toJson(v: Json, indent?: number): string {
  const nl = indent === undefined ? '' : `\n${'  '.repeat(indent + 1)}`;
  const close = indent === undefined ? '' : `\n${'  '.repeat(indent)}`;
  const sep = indent === undefined ? ', ' : ',';
  const inner = indent === undefined ? undefined : indent + 1;
  if (v === null) return 'null';
  if (typeof v === 'string') return pyJsonString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (v === Number.POSITIVE_INFINITY) return 'Infinity';
    if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
    return Number.isInteger(v) ? String(v) : pyFloat(v);
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[${nl}${(v as Json[]).map((x) => toJson(x, inner)).join(sep + nl)}${close}]`;
  }
  let entries = v.entries;
  if (indent !== undefined) entries = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return '{}';
  return `{${nl}${entries.map(([k, x]) => `${pyJsonString(k)}: ${toJson(x, inner)}`).join(sep + nl)}${close}}`;
}
