import { pyFloat } from '../../http/format/python.js';
import type { Series } from '../../storage/series.js';
import type { Node } from '../grammar/ast.js';
import { parseTarget } from '../grammar/parser.js';

// How graphite-web builds series names out of arguments: Python's str() and '%g' of numbers, and
// the node / tag lookups of aliasByNode, groupByNodes and friends (render/functions.py).

/** Python's `'%g' % x`: 6 significant digits, trailing zeros dropped, exponent from 1e-5 and 1e6. */
export function pyG(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(6)))));
  if (exp < -4 || exp >= 6) {
    const [mantissa, e] = x.toExponential(5).split('e');
    const m = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const fixed = x.toFixed(Math.max(0, 5 - exp));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** Python's str() of a float parameter (always a float after checking: `2` prints `2.0`). */
export function pyFloatStr(x: number): string {
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  if (Number.isNaN(x)) return 'nan';
  return pyFloat(x);
}

/** Python's str() of an argument that stayed as given: ints as ints, strings as they are. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloatStr(v);
  return String(v);
}

/** Python's list[n] with negative n counting from the end; undefined when out of range. */
export function pyIndex<T>(list: T[], n: number): T | undefined {
  const i = n < 0 ? list.length + n : n;
  return i >= 0 && i < list.length ? list[i] : undefined;
}

/**
 * getNodeOrTag: an integer picks that '.'-separated node of the name (tags after ';' cut off first),
 * anything else, or a node out of range, is a tag name whose value is used ('' when missing).
 */
export function nodeOrTag(series: Series, n: number | string, pathExpression?: string): string {
  if (typeof n === 'number' && Number.isInteger(n)) {
    const node = pyIndex((pathExpression ?? series.name).split(';')[0].split('.'), n);
    if (node !== undefined) return node;
  }
  return series.tags[String(n)] ?? '';
}

/**
 * aggKey: the nodes (or tags) joined by '.'. When the name ends in ')' it names a call, and the nodes
 * are taken from the first path expression inside it (`sumSeries(a.b.c)` -> `a.b.c`).
 */
export function aggKey(series: Series, nodes: (number | string)[]): string {
  const path = series.name.endsWith(')') ? firstPathExpression(series.name) : undefined;
  return nodes.map((n) => nodeOrTag(series, n, path)).join('.');
}

/**
 * _getFirstPathExpression: parse a series name as a target and follow first arguments down to a
 * path. Undefined when it holds none (or does not parse, where upstream fails the request).
 */
export function firstPathExpression(name: string): string | undefined {
  let node: Node;
  try {
    node = parseTarget(name);
  } catch {
    return undefined;
  }
  for (;;) {
    if (node.kind === 'path') return node.path;
    if (node.kind === 'call' && node.args.length > 0) node = node.args[0];
    else if (node.kind === 'template') node = node.body;
    else return undefined;
  }
}
