import type { Series } from '../../storage/series.js';
import { compareCodePoints, parseTaggedSeries } from '../../tags/tagged-series.js';
import { QueryError } from '../errors.js';
import { aggregateSeries } from './aggregate.js';
import { nodesArg, numberArg, seriesListArg, stringArg } from './args.js';
import { pyFixed } from './legend.js';
import { aggKey, pyFloatStr, pyG, pyIndex } from './naming.js';
import { bindArgs } from './params.js';
import { checkSubject, compileUserRegex, pySub } from './regex.js';
import type { FunctionContext, FunctionSpec, ParamSpec } from './registry.js';

// Functions that call other functions or whole targets per group of series (graphite-web 1.1.8,
// render/functions.py): mapSeries/reduceSeries, applyByNode, aliasQuery, groupByTags.

const SERIES_LIST: ParamSpec = { name: 'seriesList', type: 'seriesList', required: true };

/** Calls series function `name` with these positional seriesLists, checked as a target's would be. */
async function callFunction(ctx: FunctionContext, name: string, lists: Series[][]): Promise<Series[]> {
  const spec = ctx.lookup(name);
  if (!spec) throw new QueryError(`unknown function "${name}"`);
  return spec.impl(ctx, bindArgs(name, spec, lists, new Map()));
}

// mapSeries hands reduceSeries a list of seriesLists; it travels as a seriesList whose entries are
// lists (upstream returns a list of lists the same way; rendered on its own it fails there too).
type Grouped = Series[][];

export const APPLY: FunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.mapSeries
  {
    name: 'mapSeries',
    aliases: ['map'],
    group: 'Combine',
    params: [SERIES_LIST, { name: 'mapNodes', type: 'nodeOrTag', required: true, multiple: true }],
    description: 'Groups the series by nodes into a list of seriesLists, for reduceSeries.',
    impl: (_ctx, a) => {
      const groups = new Map<string, Series[]>();
      for (const s of seriesListArg(a, 'seriesList')) {
        const key = aggKey(s, nodesArg(a, 'mapNodes'));
        const g = groups.get(key);
        if (g) g.push(s);
        else groups.set(key, [s]);
      }
      return [...groups.values()] as unknown as Series[];
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.reduceSeries
  {
    name: 'reduceSeries',
    aliases: ['reduce'],
    group: 'Combine',
    params: [
      { name: 'seriesLists', type: 'seriesLists', required: true },
      { name: 'reduceFunction', type: 'string', required: true },
      { name: 'reduceNode', type: 'node', required: true },
      { name: 'reduceMatchers', type: 'string', required: true, multiple: true },
    ],
    description:
      'Calls a function with the series matching each matcher at a node, per group from mapSeries.',
    impl: async (ctx, a) => {
      const raw = a.get('seriesLists') as unknown[];
      const lists: Grouped = raw.every(Array.isArray) ? (raw as Grouped) : [raw as Series[]];
      const fn = stringArg(a, 'reduceFunction');
      const reduceNode = numberArg(a, 'reduceNode');
      const matchers = (a.get('reduceMatchers') as unknown[]).map(String);
      const groups = new Map<string, (Series | undefined)[]>();
      for (const list of lists) {
        for (const s of list) {
          const nodes = s.name.split('.');
          const node = pyIndex(nodes, reduceNode);
          if (node === undefined) throw new QueryError(`reduceSeries: ${s.name} has no node ${reduceNode}`);
          const prefix =
            reduceNode < 0 ? nodes.slice(0, nodes.length + reduceNode) : nodes.slice(0, reduceNode);
          const key = `${prefix.join('.')}.reduce.${fn}`;
          const i = matchers.indexOf(node);
          if (i < 0) continue;
          const g = groups.get(key) ?? new Array<Series | undefined>(matchers.length).fill(undefined);
          groups.set(key, g);
          g[i] = s;
        }
      }
      const out: Series[] = [];
      for (const [key, g] of groups) {
        if (g.some((s) => s === undefined))
          throw new QueryError(
            `reduceSeries: ${key} has no series for every matcher (${matchers.join(', ')})`,
          );
        const [result] = await callFunction(
          ctx,
          fn,
          (g as Series[]).map((s) => [s]),
        );
        if (result) out.push({ ...result, name: key });
      }
      return out;
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.applyByNode
  {
    name: 'applyByNode',
    group: 'Combine',
    params: [
      SERIES_LIST,
      { name: 'nodeNum', type: 'node', required: true },
      { name: 'templateFunction', type: 'string', required: true },
      { name: 'newName', type: 'string' },
    ],
    description: "Evaluates a target per distinct prefix (up to a node), '%' in it standing for the prefix.",
    impl: async (ctx, a) => {
      const list = seriesListArg(a, 'seriesList');
      const nodeNum = numberArg(a, 'nodeNum');
      const template = stringArg(a, 'templateFunction');
      const newName = a.get('newName') as string | null;
      if (!ctx.evaluateTarget) throw new Error('BUG: applyByNode needs evaluateTarget');
      const prefixes = new Set<string>();
      for (const s of list) {
        const nodes = s.name.split('.');
        prefixes.add(nodes.slice(0, nodeNum < -1 ? nodes.length + nodeNum + 1 : nodeNum + 1).join('.'));
      }
      // Upstream sets start and end from its loop variable: the last series of the list.
      const last = list[list.length - 1];
      const out: Series[] = [];
      for (const prefix of [...prefixes].sort(compareCodePoints)) {
        for (const r of await ctx.evaluateTarget(template.replaceAll('%', prefix), ctx.window)) {
          out.push({
            ...r,
            name: newName ? newName.replaceAll('%', prefix) : r.name,
            pathExpression: prefix,
            start: last.start,
            end: last.end,
          });
        }
      }
      return out;
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.aliasQuery
  {
    name: 'aliasQuery',
    group: 'Alias',
    params: [
      SERIES_LIST,
      { name: 'search', type: 'string', required: true },
      { name: 'replace', type: 'string', required: true },
      { name: 'newName', type: 'string', required: true },
    ],
    description: 'Names each series with the last value of another target, built from its name by a regex.',
    impl: async (ctx, a) => {
      if (!ctx.evaluateTarget) throw new Error('BUG: aliasQuery needs evaluateTarget');
      const re = compileUserRegex(stringArg(a, 'search'), 'aliasQuery', 'g');
      const replace = stringArg(a, 'replace');
      const newName = stringArg(a, 'newName');
      const out: Series[] = [];
      for (const s of seriesListArg(a, 'seriesList')) {
        const query = pySub(re, replace, checkSubject(s.name, 'aliasQuery'));
        const found = await ctx.evaluateTarget(query, ctx.window);
        if (found.length === 0) throw new QueryError(`No series found with query: ${query}`);
        let current = Number.NaN;
        const v = found[0].values;
        for (let i = v.length - 1; i >= 0; i--)
          if (!Number.isNaN(v[i])) {
            current = v[i];
            break;
          }
        if (Number.isNaN(current)) throw new QueryError(`Cannot get last value of series: ${found[0].name}`);
        out.push({ ...s, name: pyPercent(newName, current) });
      }
      return out;
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.groupByTags
  {
    name: 'groupByTags',
    group: 'Combine',
    params: [
      SERIES_LIST,
      { name: 'callback', type: 'aggOrSeriesFunc', required: true },
      { name: 'tags', type: 'tag', required: true, multiple: true },
    ],
    description: 'Groups the series by tag values and aggregates each group; names are tagged names.',
    impl: async (ctx, a) => {
      const list = seriesListArg(a, 'seriesList');
      const callback = stringArg(a, 'callback');
      const tags = nodesArg(a, 'tags').map(String);
      if (tags.length === 0) throw new QueryError('groupByTags(): no tags specified');
      const byName = tags.includes('name');
      // One name for all when the series share it, else the callback's name.
      const names = new Set(list.map((s) => s.tags.name));
      const name = names.size === 1 ? [...names][0] : callback;
      const groups = new Map<string, Series[]>();
      for (const s of list) {
        const pairs = tags.filter((t) => !byName || t !== 'name').map((t) => `${t}=${s.tags[t] ?? ''}`);
        const key = [byName ? s.tags.name : name, ...pairs.sort(compareCodePoints)].join(';');
        const g = groups.get(key);
        if (g) g.push(s);
        else groups.set(key, [s]);
      }
      const out: Series[] = [];
      for (const [key, group] of groups) {
        // `if callback in SeriesFunctions`: any series function by name, else an aggregate().
        const [result] = ctx.lookup(callback)
          ? await callFunction(ctx, callback, [group])
          : aggregateSeries([group], callback, ctx.xFilesFactor);
        let keyTags: Record<string, string>;
        try {
          keyTags = Object.fromEntries(parseTaggedSeries(key).tags);
        } catch (err) {
          throw new QueryError(`groupByTags(): ${(err as Error).message}`);
        }
        out.push({ ...result, name: key, pathExpression: key, tags: keyTags });
      }
      return out;
    },
  },
];

/**
 * Python's `format % value` for one number: %d %i %f %e %g %s %r with flags, width and precision,
 * and %%; what aliasQuery's newName uses (`"cpu %d"`, `"%.1f GB"`).
 */
export function pyPercent(format: string, value: number): string {
  let used = false;
  const out = format.replace(
    /%([-+ 0#]*)(\d+)?(?:\.(\d+))?([diouxXeEfFgGsr%])/g,
    (_m, flags: string, w, p, c: string) => {
      if (c === '%') return '%';
      if (used)
        throw new QueryError(`aliasQuery: newName ${JSON.stringify(format)} wants more than one value`);
      used = true;
      const prec = p === undefined ? undefined : Number(p);
      let text: string;
      switch (c) {
        case 'd':
        case 'i':
        case 'u':
          text = String(Math.trunc(value));
          break;
        case 'f':
        case 'F':
          text = pyFixed(value, prec ?? 6);
          break;
        case 'e':
        case 'E': {
          const [m, e] = value.toExponential(prec ?? 6).split('e');
          text = `${m}e${e[0]}${e.slice(1).padStart(2, '0')}`;
          if (c === 'E') text = text.toUpperCase();
          break;
        }
        case 'g':
        case 'G':
          text = prec === undefined ? pyG(value) : Number(value.toPrecision(prec || 1)).toString();
          break;
        case 'x':
        case 'X':
        case 'o':
          text = Math.trunc(value).toString(c === 'o' ? 8 : 16);
          if (c === 'X') text = text.toUpperCase();
          break;
        default:
          text = pyFloatStr(value);
      }
      if (flags.includes('+') && value >= 0 && c !== 's' && c !== 'r') text = `+${text}`;
      const width = w === undefined ? 0 : Number(w);
      if (flags.includes('-')) return text.padEnd(width);
      if (flags.includes('0') && c !== 's') {
        const sign = /^[-+]/.test(text) ? text[0] : '';
        return sign + text.slice(sign.length).padStart(width - sign.length, '0');
      }
      return text.padStart(width);
    },
  );
  if (!used)
    throw new QueryError(`aliasQuery: newName ${JSON.stringify(format)} has no % conversion for the value`);
  return out;
}
