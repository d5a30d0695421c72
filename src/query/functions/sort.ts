import type { Series } from '../../storage/series.js';
import { AGG_FUNCS, getAggFunc } from './aggfuncs.js';
import { booleanArg, seriesListArg, stringArg } from './args.js';
import { sortByKey } from './ranking.js';
import type { FunctionSpec, ParamSpec } from './registry.js';

// The Sorting group (graphite-web 1.1.8, render/functions.py): the series come back unchanged, in
// a new order. Python's sort is stable, also with reverse=True, and a series whose aggregate is
// None sorts as -inf (keyFunc); ranking.ts does both.

const SERIES_LIST: ParamSpec = { name: 'seriesList', type: 'seriesList', required: true };

/** Python's `a < b` on str: by code point (JavaScript's `<` compares UTF-16 units instead). */
function comparePy(a: string, b: string): number {
  if (a === b) return 0;
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (x[i].codePointAt(0) ?? 0) - (y[i].codePointAt(0) ?? 0);
  }
  return x.length - y.length;
}

// sortByName's natSortKey: every run of digits as a 10-digit zero-padded number ('{0:010}'); a
// longer run keeps all its digits, as format() does. (Python's \d also takes other scripts' digits;
// metric names are ASCII in practice, and we pad ASCII digit runs only.)
function naturalKey(name: string): string {
  return name.replace(/\d+/g, (digits) => BigInt(digits).toString().padStart(10, '0'));
}

/** The Sorting family. */
export const SORT: FunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.sortBy
  {
    name: 'sortBy',
    group: 'Sorting',
    params: [
      SERIES_LIST,
      { name: 'func', type: 'aggFunc', default: 'average' },
      { name: 'reverse', type: 'boolean', default: false },
    ],
    description: 'Sorts the series by an aggregation of their values, ascending unless reverse.',
    impl: (_ctx, a) => {
      const func = getAggFunc(stringArg(a, 'func'));
      if (!func) throw new Error(`BUG: aggFunc "${stringArg(a, 'func')}" passed the parameter check`);
      return sortByKey(seriesListArg(a, 'seriesList'), func, booleanArg(a, 'reverse'));
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.sortByName
  {
    name: 'sortByName',
    group: 'Sorting',
    params: [
      SERIES_LIST,
      { name: 'natural', type: 'boolean', default: false },
      { name: 'reverse', type: 'boolean', default: false },
    ],
    description: 'Sorts the series by name, alphabetically or naturally (server2 before server11).',
    impl: (_ctx, a) => {
      const key = booleanArg(a, 'natural') ? naturalKey : (name: string) => name;
      const sign = booleanArg(a, 'reverse') ? -1 : 1;
      const keyed = seriesListArg(a, 'seriesList').map((s): [string, Series] => [key(s.name), s]);
      keyed.sort(([x], [y]) => sign * comparePy(x, y));
      return keyed.map(([, s]) => s);
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.sortByTotal
  {
    name: 'sortByTotal',
    group: 'Sorting',
    params: [SERIES_LIST],
    description: 'Sorts the series by the sum of their values, largest first.',
    impl: (_ctx, a) => sortByKey(seriesListArg(a, 'seriesList'), AGG_FUNCS.sum, true),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.sortByMaxima
  {
    name: 'sortByMaxima',
    group: 'Sorting',
    params: [SERIES_LIST],
    description: 'Sorts the series by their maximum, largest first.',
    impl: (_ctx, a) => sortByKey(seriesListArg(a, 'seriesList'), AGG_FUNCS.max, true),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.sortByMinima
  {
    name: 'sortByMinima',
    group: 'Sorting',
    params: [SERIES_LIST],
    description:
      'Sorts the series by their minimum, smallest first, keeping only those whose maximum is above 0.',
    impl: (_ctx, a) => {
      // safeMax(series, default=0) > 0: a series without values is dropped too.
      const positive = seriesListArg(a, 'seriesList').filter((s) => AGG_FUNCS.max(s.values) > 0);
      return sortByKey(positive, AGG_FUNCS.min);
    },
  },
];
