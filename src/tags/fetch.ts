import { QueryError } from '../query/errors.js';
import { parseTarget } from '../query/grammar/parser.js';
import type { Series } from '../storage/series.js';
import type { TagDB } from './tagdb.js';
import { parseTaggedSeries } from './tagged-series.js';

/** True when a path expression is a seriesByTag call the fetch resolves (see resolveSeriesByTag). */
export function isSeriesByTag(pathExpression: string): boolean {
  return pathExpression.startsWith('seriesByTag(');
}

/**
 * The series of a `seriesByTag(...)` call, as graphite-web 1.1.8's STORE.fetch resolves it: the
 * call's string arguments are tag expressions looked up in the tag database, each matching series
 * is fetched by its name, and the series carry the call as written as their pathExpression (so
 * `sumSeries(seriesByTag('name=cpu'))` is named after the call). Sorted by name.
 */
export async function resolveSeriesByTag(
  call: string,
  tagdb: TagDB,
  fetchName: (name: string) => Promise<Series[]>,
): Promise<Series[]> {
  const node = parseTarget(call);
  if (node.kind !== 'call') throw new Error(`BUG: seriesByTag path ${JSON.stringify(call)} is not a call`);
  // Upstream keeps only the string arguments (`if t.string`).
  const exprs = node.args.flatMap((a) => (a.kind === 'string' ? [a.value] : []));
  if (exprs.length === 0) throw new QueryError(`seriesByTag: no tag expressions in ${call}`);
  const out: Series[] = [];
  // fetchData's TimeSeries parses the tags of a tagged name (the fetch only knows {name}).
  for (const name of tagdb.findSeries(exprs))
    for (const s of await fetchName(name))
      out.push({ ...s, tags: Object.fromEntries(parseTaggedSeries(s.name).tags), pathExpression: call });
  return out;
}
