import { pyJsonString } from './python.js';

/**
 * A JSON tree whose numbers are already spelled (pyFloat, integers): a string is a JSON string, an
 * object `{ raw }` a literal written as is, an array a list, a Map an object in insertion order.
 */
export type JsonTree = string | { raw: string } | JsonTree[] | Map<string, JsonTree>;

/**
 * `json.dumps(tree, indent=2)` as Python writes it (the `pretty` render option): one item per line,
 * "," between items with no trailing space, ": " after keys, `[]` and `{}` for empty containers.
 */
export function pyJsonIndented(tree: JsonTree, level = 0): string {
  if (typeof tree === 'string') return pyJsonString(tree);
  if (!Array.isArray(tree) && !(tree instanceof Map)) return tree.raw;
  const inner = '\n' + '  '.repeat(level + 1);
  const outer = '\n' + '  '.repeat(level);
  if (Array.isArray(tree)) {
    if (tree.length === 0) return '[]';
    return `[${inner}${tree.map((t) => pyJsonIndented(t, level + 1)).join(`,${inner}`)}${outer}]`;
  }
  if (tree.size === 0) return '{}';
  const fields = [...tree].map(([k, v]) => `${pyJsonString(k)}: ${pyJsonIndented(v, level + 1)}`);
  return `{${inner}${fields.join(`,${inner}`)}${outer}}`;
}
