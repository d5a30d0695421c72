import type { CacheReader } from '../../cache/reader.js';
import { compareCodePoints, type FoundNode, findNodes } from '../../query/find.js';
import type { Store } from '../../storage/store.js';
import { badParam, HttpError } from '../errors.js';
import { msgpackFindNodes } from '../format/msgpack.js';
import { type FindNodeInfo, pickleFindNodes } from '../format/pickle.js';
import type { PyJsonValue } from '../format/python.js';
import type { Handler } from '../router.js';
import { intParam, jsonReply, missing, requestZone, timeParam } from './common.js';

const FIND_FORMATS = ['treejson', 'completer', 'nodelist', 'pickle', 'msgpack'];

/**
 * /metrics/find (and /metrics): graphite-web 1.1.8's find_view. Formats treejson (default), completer,
 * nodelist, and pickle and msgpack, which a graphite-web cluster frontend asks for (finders/remote.py
 * sends local=1, format=pickle, query, from, until); json_nodes' format=json is not served.
 * from/until/now/tz and local are validated; Carbonado has no cluster behind it, so every find is local.
 */
export function findRoute(
  store: Store,
  cache: CacheReader,
  timeZone: string,
  maxFindResults?: number,
): Handler {
  return async ({ params, headers, now: clock }) => {
    const format = params.get('format') ?? 'treejson';
    const leavesOnly = intParam(params, 'leavesOnly', 0) !== 0;
    const wildcards = intParam(params, 'wildcards', 0) !== 0;
    const position = intParam(params, 'position', -1);
    const automaticVariants = intParam(params, 'automatic_variants', 0) !== 0;
    const tz = requestZone(params, timeZone);
    const now = timeParam(params, 'now', clock, tz) ?? clock;
    for (const name of ['from', 'until']) if (params.get(name) !== '-1') timeParam(params, name, now, tz);
    intParam(params, 'local', 0); // queryParamAsInt: a non-integer `local` is a 400 upstream too

    let query = params.get('query');
    if (query === undefined) throw missing('query');
    if (query === '') throw new HttpError(400, 'required parameter "query" is empty');
    if (!FIND_FORMATS.includes(format))
      throw badParam('format', format, 'want treejson, completer, nodelist, pickle or msgpack');
    const dot = query.lastIndexOf('.');
    const basePath = dot >= 0 ? query.slice(0, dot + 1) : '';

    if (format === 'completer') {
      query = query.replaceAll('..', '*.');
      if (!query.endsWith('*')) query += '*';
      if (automaticVariants)
        query = query
          .split('.')
          .map((p) => (p.includes(',') && !p.includes('{') ? `{${p}}` : p))
          .join('.');
    }
    const nodes = await findNodes(store, cache, query, { leavesOnly, maxResults: maxFindResults });

    if (format === 'treejson') return jsonReply(params, headers, treeJson(nodes, basePath, wildcards));
    if (format === 'nodelist') return jsonReply(params, headers, nodesByPosition(nodes, position));
    // find_view marks every answer no-cache (Pragma and Cache-Control); jsonReply's forms are left as
    // they were, the binary ones carry the headers.
    const noCache = { Pragma: 'no-cache', 'Cache-Control': 'no-cache' };
    if (format === 'pickle')
      return {
        contentType: 'application/pickle',
        body: pickleFindNodes(nodeInfos(nodes, now)),
        headers: noCache,
      };
    if (format === 'msgpack')
      return {
        contentType: 'application/x-msgpack',
        body: msgpackFindNodes(nodeInfos(nodes, now)),
        headers: noCache,
      };
    const results: PyJsonValue[] = nodes.map((n) => ({
      path: n.isLeaf ? n.path : `${n.path}.`,
      name: n.name,
      is_leaf: n.isLeaf ? '1' : '0',
    }));
    if (results.length > 1 && wildcards) results.push({ name: '*' });
    return jsonReply(params, headers, { metrics: results });
  };
}

/**
 * find_view's tree_json: an optional "*" node first, then branches, then leaves; a name seen twice
 * (the same last component under different parents, or a branch and a leaf) is listed once, first wins.
 */
export function treeJson(nodes: FoundNode[], basePath: string, wildcards: boolean): PyJsonValue[] {
  const branchFlags = { allowChildren: 1, expandable: 1, leaf: 0 };
  const leafFlags = { allowChildren: 0, expandable: 0, leaf: 1 };
  const results: PyJsonValue[] = [];
  if (nodes.length > 1 && wildcards)
    results.push({
      text: '*',
      id: `${basePath}*`,
      ...(nodes.some((n) => !n.isLeaf) ? branchFlags : leafFlags),
    });
  const found = new Set<string>();
  const branches: PyJsonValue[] = [];
  const leaves: PyJsonValue[] = [];
  for (const n of nodes) {
    if (found.has(n.name)) continue;
    found.add(n.name);
    const entry = { text: unquotePlus(n.name), id: basePath + n.name };
    if (n.isLeaf) leaves.push({ ...entry, ...leafFlags });
    else branches.push({ ...entry, ...branchFlags });
  }
  return [...results, ...branches, ...leaves];
}

/**
 * The node list of pickle_nodes/msgpack_nodes/json_nodes. A leaf's interval is (0, now): graphite-web
 * derives it from the whisper file (now - maxRetention .. mtime), but the Store answers for any time
 * and the cache holds points newer than any file. The interval only decides between several cluster
 * servers holding the same path (storage.py _merge_leaf_nodes), where claiming all time up to now
 * means "ask this server".
 */
function nodeInfos(nodes: FoundNode[], now: number): FindNodeInfo[] {
  return nodes.map((n) =>
    n.isLeaf ? { path: n.path, isLeaf: true, intervals: [[0, now]] } : { path: n.path, isLeaf: false },
  );
}

function nodesByPosition(nodes: FoundNode[], position: number): PyJsonValue {
  const found = new Set<string>();
  for (const n of nodes) {
    const parts = n.path.split('.');
    const i = position < 0 ? parts.length + position : position;
    if (i < 0 || i >= parts.length)
      throw badParam('position', String(position), `"${n.path}" has ${parts.length} components`);
    found.add(parts[i]);
  }
  return { nodes: [...found].sort(compareCodePoints) };
}

/** /metrics/expand: graphite-web's expand_view (query repeatable, leavesOnly, groupByExpr, jsonp). */
export function expandRoute(store: Store, cache: CacheReader, maxFindResults?: number): Handler {
  return async ({ params, headers }) => {
    const groupByExpr = intParam(params, 'groupByExpr', 0) !== 0;
    const leavesOnly = intParam(params, 'leavesOnly', 0) !== 0;
    const byQuery = new Map<string, Set<string>>();
    for (const query of params.getAll('query')) {
      const paths = new Set<string>();
      byQuery.set(query, paths);
      const nodes = await findNodes(store, cache, query, { maxResults: maxFindResults });
      for (const n of nodes) if (n.isLeaf || !leavesOnly) paths.add(n.path);
    }
    if (groupByExpr) {
      // A Map, not an object: integer-like queries would be reordered; Python keeps request order.
      const grouped = new Map<string, PyJsonValue>();
      for (const [q, paths] of byQuery) grouped.set(q, [...paths].sort(compareCodePoints));
      return jsonReply(params, headers, { results: grouped });
    }
    const all = new Set<string>();
    for (const paths of byQuery.values()) for (const p of paths) all.add(p);
    return jsonReply(params, headers, { results: [...all].sort(compareCodePoints) });
  };
}

/** /metrics/index.json: every leaf name, sorted (graphite-web walks the whisper tree; we walk find). */
export function indexRoute(store: Store, cache: CacheReader): Handler {
  return async ({ params, headers }) => {
    const leaves = new Set<string>();
    const walk = async (prefix: string) => {
      for (const n of await findNodes(store, cache, prefix ? `${prefix}.*` : '*')) {
        if (n.isLeaf) leaves.add(n.path);
        else await walk(n.path);
      }
    };
    await walk('');
    return jsonReply(params, headers, [...leaves].sort(compareCodePoints));
  };
}

// urllib's unquote_plus: '+' is a space, %XX bytes decode as UTF-8 (bad sequences become U+FFFD).
function unquotePlus(s: string): string {
  const spaced = s.replaceAll('+', ' ');
  if (!spaced.includes('%')) return spaced;
  const bytes: number[] = [];
  for (let i = 0; i < spaced.length; i++) {
    const hex = spaced.slice(i + 1, i + 3);
    if (spaced[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(spaced[i]));
  }
  return Buffer.from(bytes).toString('utf8');
}
