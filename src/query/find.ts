import type { CacheReader } from '../cache/reader.js';
import type { MetricNode, Store } from '../storage/store.js';
import { QueryError } from './errors.js';
import { compilePathGlob } from './glob.js';

/** A find result as graphite-web's views use it: the path, its last component, leaf or branch. */
export interface FoundNode {
  path: string;
  /** The last path component (graphite-web's `node.name`). */
  name: string;
  isLeaf: boolean;
}

/**
 * The nodes matching a Graphite pattern in the store and in the cache, the way graphite-web's
 * storage.Store.find reports them: one node per (path, kind) — a path may be both a branch and a leaf
 * when a directory and a .wsp file share a name — sorted by name (find_view's `matches.sort(key=name)`).
 * Among equal names graphite-web's order is random (_list_nodes shuffles); ours is path, branch first.
 *
 * Metrics that exist only in the cache (accepted, not yet written) are found too, with the branches
 * leading to them.
 */
export async function findNodes(
  store: Store,
  cache: CacheReader,
  pattern: string,
  opts: { leavesOnly?: boolean; maxResults?: number } = {},
): Promise<FoundNode[]> {
  // Compiling first refuses a malformed pattern (GlobError, a 400) before any store sees it.
  const inCache = [...findInCache(cache, pattern)];
  const seen = new Map<string, FoundNode>();
  const add = (n: MetricNode) => {
    if (opts.leavesOnly && !n.isLeaf) return;
    const key = `${n.isLeaf ? 'L' : 'B'}${n.path}`;
    if (seen.has(key)) return;
    seen.set(key, { path: n.path, name: lastComponent(n.path), isLeaf: n.isLeaf });
    // Thrown inside the loop over store.find, so the store's walk of a huge tree stops here.
    if (opts.maxResults !== undefined && seen.size > opts.maxResults)
      throw new QueryError(
        `too many matches: "${pattern}" matches more than ${opts.maxResults} nodes; the limit is maxFindResults (${opts.maxResults})`,
      );
  };
  for await (const node of store.find(pattern)) add(node);
  for (const node of inCache) add(node);
  return [...seen.values()].sort(byName);
}

/** Paths of the leaves matching `pattern`, in the order graphite-web fetches them (sorted by path). */
export async function findLeaves(
  store: Store,
  cache: CacheReader,
  pattern: string,
  maxResults?: number,
): Promise<string[]> {
  const nodes = await findNodes(store, cache, pattern, { leavesOnly: true, maxResults });
  return nodes.map((n) => n.path).sort(compareCodePoints);
}

/** The nodes a pattern matches among the names held by the cache (leaves, and branches above them). */
export function* findInCache(cache: CacheReader, pattern: string): Iterable<MetricNode> {
  // The standard finder matches with the backslashes of escaped fields removed.
  const matchers = compilePathGlob(pattern.replaceAll('\\', ''));
  const branches = new Set<string>();
  for (const name of cache.names()) {
    const nameParts = name.split('.');
    if (nameParts.length < matchers.length) continue;
    let ok = true;
    for (let i = 0; i < matchers.length && ok; i++) ok = matchers[i].test(nameParts[i]);
    // StandardFinder drops results whose own name is hidden (a leading '.').
    if (!ok || nameParts[matchers.length - 1].startsWith('.')) continue;
    if (nameParts.length === matchers.length) yield { path: name, isLeaf: true };
    else {
      const branch = nameParts.slice(0, matchers.length).join('.');
      if (!branches.has(branch)) {
        branches.add(branch);
        yield { path: branch, isLeaf: false };
      }
    }
  }
}

function lastComponent(path: string): string {
  const i = path.lastIndexOf('.');
  return i < 0 ? path : path.slice(i + 1);
}

/** Python's str ordering (code points); equal to UTF-16 order outside the astral planes. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byName(a: FoundNode, b: FoundNode): number {
  return (
    compareCodePoints(a.name, b.name) ||
    compareCodePoints(a.path, b.path) ||
    (a.isLeaf === b.isLeaf ? 0 : a.isLeaf ? 1 : -1)
  );
}
