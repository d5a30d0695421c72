import type { Series } from '../../storage/series.js';
import { nodesArg, numberArg, seriesListArg, stringArg } from './args.js';
import { aggKey } from './naming.js';
import { checkSubject, compileUserRegex, pySub } from './regex.js';
import type { FunctionSpec, ParamSpec } from './registry.js';

// The Alias group: functions that rename series (graphite-web 1.1.8, render/functions.py). They
// rename in place upstream, so a series keeps its pathExpression (what sumSeries etc. name it by).

const SERIES_LIST: ParamSpec = { name: 'seriesList', type: 'seriesList', required: true };

function rename(seriesList: Series[], name: (s: Series) => string): Series[] {
  return seriesList.map((s) => ({ ...s, name: name(s) }));
}

// Python's list[start:stop] with negative indices counting from the end.
function pySlice<T>(list: T[], start: number, stop?: number): T[] {
  const at = (i: number) => (i < 0 ? Math.max(0, list.length + i) : Math.min(i, list.length));
  return list.slice(at(start), stop === undefined ? undefined : at(stop));
}

// substr: the name inside the innermost call (up to its first ')' or ','), nodes start..stop.
function substr(seriesList: Series[], start: number, stop: number): Series[] {
  return rename(seriesList, (s) => {
    const left = s.name.lastIndexOf('(') + 1;
    let right = s.name.indexOf(')');
    if (right < 0) right = s.name.length + 1;
    const clean = left <= right ? s.name.slice(left, right) : '';
    const nodes = clean.split('.');
    const name = (stop === 0 ? pySlice(nodes, start) : pySlice(nodes, start, stop)).join('.');
    return name.replace(/,.*$/, '');
  });
}

/** The Alias family (and substr, which aliasByMetric is built on). */
export const ALIAS: FunctionSpec[] = [
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.alias
  {
    name: 'alias',
    group: 'Alias',
    params: [SERIES_LIST, { name: 'newName', type: 'string', required: true }],
    description: 'Names every series of the list with the given text.',
    impl: (_ctx, a) => rename(seriesListArg(a, 'seriesList'), () => stringArg(a, 'newName')),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.aliasByNode
  {
    name: 'aliasByNode',
    group: 'Alias',
    params: [SERIES_LIST, { name: 'nodes', type: 'nodeOrTag', required: true, multiple: true }],
    description: 'Names each series by the given nodes of its path (or tag values), joined by dots.',
    impl: (_ctx, a) => rename(seriesListArg(a, 'seriesList'), (s) => aggKey(s, nodesArg(a, 'nodes'))),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.aliasByTags
  {
    name: 'aliasByTags',
    group: 'Alias',
    params: [SERIES_LIST, { name: 'tags', type: 'nodeOrTag', required: true, multiple: true }],
    description: 'Names each series by the given tag values (or nodes), joined by dots.',
    impl: (_ctx, a) => rename(seriesListArg(a, 'seriesList'), (s) => aggKey(s, nodesArg(a, 'tags'))),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.aliasByMetric
  {
    name: 'aliasByMetric',
    group: 'Alias',
    params: [SERIES_LIST],
    description: 'Names each series by the last node of its path.',
    impl: (_ctx, a) => substr(seriesListArg(a, 'seriesList'), -1, 0),
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.aliasSub
  {
    name: 'aliasSub',
    group: 'Alias',
    params: [
      SERIES_LIST,
      { name: 'search', type: 'string', required: true },
      { name: 'replace', type: 'string', required: true },
    ],
    description: 'Renames series by a regular expression search and replace (Python syntax, bounded).',
    impl: (_ctx, a) => {
      const re = compileUserRegex(stringArg(a, 'search'), 'aliasSub', 'g');
      const replacement = stringArg(a, 'replace');
      return rename(seriesListArg(a, 'seriesList'), (s) =>
        pySub(re, replacement, checkSubject(s.name, 'aliasSub')),
      );
    },
  },
  // https://graphite.readthedocs.io/en/1.1.8/functions.html#graphite.render.functions.substr
  {
    name: 'substr',
    group: 'Special',
    params: [
      SERIES_LIST,
      { name: 'start', type: 'node', default: 0 },
      { name: 'stop', type: 'node', default: 0 },
    ],
    description: 'Names each series by a slice of the nodes of its path.',
    impl: (_ctx, a) => substr(seriesListArg(a, 'seriesList'), numberArg(a, 'start'), numberArg(a, 'stop')),
  },
];
