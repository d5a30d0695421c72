import type { Node } from './ast.js';

/**
 * The canonical text of a node: calls as `name(arg,arg,kw=value)` without spaces, pipes written as
 * nesting, paths, strings and numbers exactly as they were written. Parsing the printed text gives
 * the same tree back (the round trip the tests check).
 */
export function printNode(node: Node): string {
  switch (node.kind) {
    case 'path':
      return node.text;
    case 'string':
      return node.quote + node.value + node.quote;
    case 'number':
      return node.text;
    case 'boolean':
      return node.value ? 'true' : 'false';
    case 'none':
      return 'None';
    case 'infinity':
      return 'inf';
    case 'call':
      return `${node.name}(${[
        ...node.args.map(printNode),
        ...node.kwargs.map((k) => `${k.name}=${printNode(k.value)}`),
      ].join(',')})`;
    case 'template':
      return `template(${[
        printNode(node.body),
        ...node.args.map(printNode),
        ...node.kwargs.map((k) => `${k.name}=${printNode(k.value)}`),
      ].join(',')})`;
  }
}
