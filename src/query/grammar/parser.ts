import { QueryError } from '../errors.js';
import type { CallNode, Expression, Node, PathNode, TemplateLiteral, TemplateNode } from './ast.js';
import { readIdentifier, readKeyword, readNumber, readPath, readString, skipSpace } from './lexer.js';

/** Default deepest nesting of calls in one target; deeper targets are refused. */
export const DEFAULT_MAX_DEPTH = 50;

/** A target that does not parse: the 0-based position and what was found there. */
export class TargetSyntaxError extends QueryError {
  constructor(
    readonly target: string,
    readonly position: number,
    readonly problem: string,
  ) {
    super(`invalid target ${JSON.stringify(target)}: at position ${position}: ${problem}`);
    this.name = 'TargetSyntaxError';
  }
}

/**
 * Parses one render target into its tree, following graphite-web 1.1.8's grammar: a path expression,
 * a call, or `template(...)`, each optionally followed by `| call(...)` pipes. Arguments are booleans,
 * numbers, None, strings, `inf` or nested expressions; keyword arguments follow positional ones.
 * Two deliberate differences: text left over after the target is an error (upstream's parseString
 * silently ignores it, so `a.b)` meant `a.b`), and calls nested deeper than `maxDepth` are refused.
 */
export function parseTarget(target: string, opts: { maxDepth?: number } = {}): Expression {
  const p = new Parser(target, opts.maxDepth ?? DEFAULT_MAX_DEPTH);
  const expr = p.expression(skipSpace(target, 0), 0);
  const end = skipSpace(target, expr.end);
  if (end < target.length) p.fail(end, 'want end of target (or a "|" pipe)');
  return expr.node;
}

type Parsed<T> = { node: T; end: number };

class Parser {
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  fail(at: number, want: string): never {
    throw new TargetSyntaxError(this.text, at, `got ${this.describe(at)}; ${want}`);
  }

  private describe(at: number): string {
    if (at >= this.text.length) return 'end of target';
    return `'${this.text.slice(at, at + 12).split(/[\s,()]/)[0] || this.text[at]}'`;
  }

  // pipedExpression: (template | call | pathExpression) (| call)*
  expression(pos: number, depth: number): Parsed<Expression> {
    let left = this.primary(pos, depth);
    for (;;) {
      const at = skipSpace(this.text, left.end);
      if (this.text[at] !== '|') return left;
      const start = skipSpace(this.text, at + 1);
      const call = this.call(start, depth);
      if (!call) this.fail(start, 'want a function call after "|"');
      call.node.args.unshift(left.node);
      left = call;
    }
  }

  private primary(pos: number, depth: number): Parsed<Expression> {
    const template = this.template(pos, depth);
    if (template) return template;
    const call = this.call(pos, depth);
    if (call) return call;
    const path = this.path(pos);
    if (path) return path;
    return this.fail(pos, 'want a metric path or a function call');
  }

  private path(pos: number): Parsed<PathNode> | null {
    const r = readPath(this.text, pos);
    if (r === null) return null;
    if ('error' in r) return this.fail(r.at, r.error);
    return { node: { kind: 'path', path: r.path, text: r.text, pos }, end: r.end };
  }

  // call: funcname '(' [args [',' kwargs]] ')'. Null when no `name(` starts here (then a path may).
  private call(pos: number, depth: number): Parsed<CallNode> | null {
    const id = readIdentifier(this.text, pos);
    if (!id) return null;
    const open = skipSpace(this.text, id.end);
    if (this.text[open] !== '(') return null;
    if (depth + 1 > this.maxDepth)
      this.fail(pos, `want calls nested at most ${this.maxDepth} deep (the nesting-depth limit)`);
    const node: CallNode = { kind: 'call', name: id.name, args: [], kwargs: [], pos };
    let at = skipSpace(this.text, open + 1);
    if (this.text[at] === ')') {
      node.raw = this.text.slice(pos, at + 1);
      return { node, end: at + 1 };
    }
    for (;;) {
      const kw = this.keywordName(at);
      if (kw) {
        const value = this.argument(kw.valueAt, depth + 1);
        node.kwargs.push({ name: kw.name, value: value.node });
        at = value.end;
      } else {
        if (node.kwargs.length > 0)
          this.fail(at, 'want a keyword argument (name=value): positional arguments come first');
        const value = this.argument(at, depth + 1);
        node.args.push(value.node);
        at = value.end;
      }
      at = skipSpace(this.text, at);
      if (this.text[at] === ')') {
        node.raw = this.text.slice(pos, at + 1);
        return { node, end: at + 1 };
      }
      if (this.text[at] !== ',') this.fail(at, `want ',' or ')' to go on the call to ${id.name}`);
      at = skipSpace(this.text, at + 1);
    }
  }

  // `name=` ahead (upstream's `~kwarg` look-ahead); a path like `a.b;t=v` is not one.
  private keywordName(pos: number): { name: string; valueAt: number } | null {
    const id = readIdentifier(this.text, pos);
    if (!id) return null;
    const eq = skipSpace(this.text, id.end);
    if (this.text[eq] !== '=') return null;
    return { name: id.name, valueAt: skipSpace(this.text, eq + 1) };
  }

  // arg: boolean | number | none | string | infinity | expression, in upstream's order.
  private argument(pos: number, depth: number): Parsed<Node> {
    if (pos >= this.text.length || this.text[pos] === ')' || this.text[pos] === ',')
      this.fail(pos, 'want an argument');
    const kw = readKeyword(this.text, pos);
    if (kw) {
      if (kw.word === 'none') return { node: { kind: 'none' }, end: kw.end };
      if (kw.word === 'inf') return { node: { kind: 'infinity' }, end: kw.end };
      return { node: { kind: 'boolean', value: kw.word === 'true' }, end: kw.end };
    }
    const n = readNumber(this.text, pos);
    if (n) return { node: { kind: 'number', value: n.value, float: n.float, text: n.text }, end: n.end };
    const s = readString(this.text, pos);
    if (s) return { node: { kind: 'string', value: s.value, quote: s.quote }, end: s.end };
    if (this.text[pos] === '"' || this.text[pos] === "'")
      this.fail(pos, `want a closing ${this.text[pos]} on the same line`);
    return this.expression(pos, depth);
  }

  // template: 'template(' (call | path) [',' (litargs | litkwargs)] ')'
  private template(pos: number, depth: number): Parsed<TemplateNode> | null {
    if (!this.text.startsWith('template', pos)) return null;
    const open = skipSpace(this.text, pos + 'template'.length);
    if (this.text[open] !== '(') return null;
    if (depth + 1 > this.maxDepth)
      this.fail(pos, `want calls nested at most ${this.maxDepth} deep (the nesting-depth limit)`);
    const bodyAt = skipSpace(this.text, open + 1);
    const body = this.call(bodyAt, depth + 1) ?? this.path(bodyAt);
    if (!body) return this.fail(bodyAt, 'want a metric path or a function call to template');
    const node: TemplateNode = { kind: 'template', body: body.node, args: [], kwargs: [], pos };
    let at = skipSpace(this.text, body.end);
    while (this.text[at] === ',') {
      at = skipSpace(this.text, at + 1);
      const kw = this.keywordName(at);
      // Upstream takes either all positional or all keyword literals, never both.
      if (kw && node.args.length > 0) this.fail(at, 'want only positional template arguments');
      if (!kw && node.kwargs.length > 0) this.fail(at, 'want only keyword template arguments');
      const valueAt = kw ? kw.valueAt : at;
      const lit = this.literal(valueAt);
      if (kw) node.kwargs.push({ name: kw.name, value: lit.node });
      else node.args.push(lit.node);
      at = skipSpace(this.text, lit.end);
    }
    if (this.text[at] !== ')') this.fail(at, "want ',' or ')' to go on the template");
    return { node, end: at + 1 };
  }

  private literal(pos: number): Parsed<TemplateLiteral> {
    const n = readNumber(this.text, pos);
    if (n) return { node: { kind: 'number', value: n.value, float: n.float, text: n.text }, end: n.end };
    const s = readString(this.text, pos);
    if (s) return { node: { kind: 'string', value: s.value, quote: s.quote }, end: s.end };
    return this.fail(pos, 'want a number or a string (template arguments are literals)');
  }
}
