import { QueryError } from '../errors.js';
import { parseTimeOffset } from '../time/attime.js';
import { AGG_FUNC_NAMES } from './aggfuncs.js';
import type { BoundArgs, FunctionSpec, ParamSpec } from './registry.js';
import { describeValue, PyNumber, type Value } from './values.js';

// Argument checking driven by the parameter table, as graphite-web 1.1.8's validateParams and
// Param.validateValue (graphite/functions/params.py): positional arguments fill parameters in order
// (extra ones go to a `multiple` last parameter), keyword arguments fill the rest by name, a missing
// required one or an unknown keyword is an error. One difference: upstream only logs a bad argument
// and calls the function anyway (ENFORCE_INPUT_VALIDATION = False); we answer 400, naming the
// function, the parameter and the value given.

const given = new WeakMap<BoundArgs, Set<string>>();

/**
 * Whether the caller gave this argument (rather than it taking its default). Python keeps the type
 * of a given float (`5.0`) where the default is an int (`0`), and names or tags show it.
 */
export function wasGiven(a: BoundArgs, name: string): boolean {
  return given.get(a)?.has(name) ?? false;
}

/** Checks the arguments of one call against its spec and binds them to parameter names. */
export function bindArgs(
  name: string,
  spec: FunctionSpec,
  args: Value[],
  kwargs: Map<string, Value>,
): BoundArgs {
  const params = spec.params;
  const bound: BoundArgs = new Map();
  const last = params[params.length - 1];
  if (args.length + kwargs.size > params.length && !last?.multiple)
    throw new QueryError(
      `too many arguments for function "${name}": got ${args.length + kwargs.size}; want at most ${params.length}`,
    );
  args.forEach((value, i) => {
    const param = i < params.length ? params[i] : last;
    const checked = checkValue(name, param, value);
    if (param.multiple) {
      const list = (bound.get(param.name) as unknown[] | undefined) ?? [];
      list.push(checked);
      bound.set(param.name, list);
    } else bound.set(param.name, checked);
  });
  for (const param of params.slice(args.length)) {
    const value = kwargs.get(param.name);
    if (value === undefined || value === null) {
      if (param.required && !bound.has(param.name))
        throw new QueryError(`missing required parameter "${param.name}" for function "${name}"`);
      continue;
    }
    const checked = checkValue(name, param, value);
    bound.set(param.name, param.multiple ? [checked] : checked);
  }
  given.set(bound, new Set(bound.keys()));
  const known = new Set(params.slice(args.length).map((p) => p.name));
  const unexpected = [...kwargs.keys()].filter((k) => !known.has(k));
  if (unexpected.length)
    throw new QueryError(`unexpected keyword arguments for function "${name}": ${unexpected.join(', ')}`);
  for (const param of params) {
    if (bound.has(param.name) && bound.get(param.name) !== null) continue;
    if (param.multiple) bound.set(param.name, bound.get(param.name) ?? []);
    else if (param.default !== undefined) bound.set(param.name, param.default);
    else bound.set(param.name, null);
  }
  return bound;
}

function invalid(func: string, param: ParamSpec, value: Value, why?: string): QueryError {
  return new QueryError(
    `invalid ${param.type} for parameter "${param.name}" of function "${func}": got ${describeValue(value)}` +
      (why ? `; ${why}` : ''),
  );
}

/** Checks one argument and converts it to what the function body reads (numbers unwrapped). */
function checkValue(func: string, param: ParamSpec, value: Value): unknown {
  if (value === null && !param.required) return null;
  if (param.options && !isAggType(param) && !param.options.includes(plain(value) as string | number))
    throw invalid(func, param, value, `want one of ${param.options.join(', ')}`);
  switch (param.type) {
    case 'seriesList':
      if (!Array.isArray(value)) throw invalid(func, param, value, 'want a seriesList');
      return value;
    case 'seriesLists':
      if (!Array.isArray(value)) throw invalid(func, param, value, 'want a list of seriesLists');
      return value;
    case 'integer':
    case 'node': {
      const n = pyInt(value);
      if (n === undefined) throw invalid(func, param, value, 'want an integer');
      return n;
    }
    case 'intOrInf': {
      const n =
        pyInt(value) ?? (pyFloat(value) === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : undefined);
      if (n === undefined) throw invalid(func, param, value, 'want an integer or inf');
      return n;
    }
    case 'float': {
      const n = pyFloat(value);
      if (n === undefined) throw invalid(func, param, value, 'want a number');
      return n;
    }
    case 'boolean': {
      const b = pyBool(value);
      if (b === undefined) throw invalid(func, param, value, 'want true or false');
      return b;
    }
    case 'interval':
      try {
        parseTimeOffset(String(plain(value)));
      } catch (err) {
        throw invalid(func, param, value, (err as Error).message);
      }
      return value;
    case 'aggFunc':
    case 'aggOrSeriesFunc':
      // Upstream also accepts the deprecated `sumSeries` spelling of `sum` (with a warning).
      if (
        typeof value !== 'string' ||
        !(AGG_FUNC_NAMES.includes(value) || AGG_FUNC_NAMES.includes(value.replace(/Series$/, '')))
      )
        if (param.type === 'aggFunc' || typeof value !== 'string')
          throw invalid(func, param, value, `want one of ${AGG_FUNC_NAMES.join(', ')}`);
      return value;
    default:
      return plain(value);
  }
}

function isAggType(param: ParamSpec): boolean {
  return param.type === 'aggFunc' || param.type === 'aggOrSeriesFunc';
}

function plain(value: Value): unknown {
  return value instanceof PyNumber ? value.value : value;
}

// Python's int(): ints, booleans and integer strings; a float is refused (validateInteger).
function pyInt(value: Value): number | undefined {
  if (value instanceof PyNumber) return value.float ? undefined : value.value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && /^\s*[+-]?\d+(_\d+)*\s*$/.test(value))
    return Number(value.replaceAll('_', ''));
  return undefined;
}

// Python's float(): numbers, booleans, and strings such as '1.5', '1e3', 'inf', 'nan'.
function pyFloat(value: Value): number | undefined {
  if (value instanceof PyNumber) return value.value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const t = value.trim().toLowerCase();
    if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?nan$/.test(t)) return Number.NaN;
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return Number(t);
  }
  return undefined;
}

// validateBoolean: true/false in any case, 0 or 1, or a real boolean.
function pyBool(value: Value): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const t = value.toLowerCase();
    return t === 'true' ? true : t === 'false' ? false : undefined;
  }
  if (value instanceof PyNumber) return value.value === 0 ? false : value.value === 1 ? true : undefined;
  return undefined;
}
