// The syntax tree of a render target, as graphite-web 1.1.8's grammar (render/grammar_unsafe.py)
// reads it. Pipes (`a.b | sumSeries()`) are not a node of their own: the parser folds each piped call
// into a call whose first argument is the expression on its left, which is exactly how upstream's
// evaluator runs them (evaluateTokens pops the right-most piped call and passes the rest as pipedArg).

/** A metric path or glob: `servers.web*.cpu.{user,system}`, `name;tag=value`. */
export interface PathNode {
  kind: 'path';
  /** The path with backslash escapes resolved (`a\(b` -> `a(b`): what is looked up. */
  path: string;
  /** The path as written, escapes kept: what is printed back. */
  text: string;
  pos: number;
}

/** A keyword argument `name=value` of a call. */
export interface KeywordArg {
  name: string;
  value: Node;
}

/** A function call `name(args..., kw=value...)`. */
export interface CallNode {
  kind: 'call';
  name: string;
  args: Node[];
  kwargs: KeywordArg[];
  pos: number;
  /** The call as written, from its name to ')' (upstream's `call.raw`: seriesByTag's pathExpression). */
  raw?: string;
}

/**
 * A string literal. `value` is the text between the quotes as written: upstream keeps backslashes
 * (the evaluator takes `tokens.string[1:-1]`), which is what makes `aliasSub(x, "\d+", "N")` work.
 */
export interface StringNode {
  kind: 'string';
  value: string;
  quote: '"' | "'";
}

/**
 * A number literal. `float` says whether Python would see a float (a decimal point or an exponent):
 * the difference shows in series names (`scale(x,2)` vs `offset(x,2.0)`) and in integer checks.
 */
export interface NumberNode {
  kind: 'number';
  value: number;
  float: boolean;
  text: string;
}

export interface BooleanNode {
  kind: 'boolean';
  value: boolean;
}

export interface NoneNode {
  kind: 'none';
}

/** The bare word `inf` (case-insensitive): float('inf'). */
export interface InfinityNode {
  kind: 'infinity';
}

/** A template argument: only numbers and strings are allowed (upstream's `litarg`). */
export type TemplateLiteral = NumberNode | StringNode;

/**
 * `template(body, args...)` or `template(body, name=value...)`: `$1`, `$2`... or `$name` in the body's
 * paths are replaced by the arguments (or by the request's template[name] parameters).
 */
export interface TemplateNode {
  kind: 'template';
  body: PathNode | CallNode;
  args: TemplateLiteral[];
  kwargs: { name: string; value: TemplateLiteral }[];
  pos: number;
}

/** Any node of a target. A whole target is a PathNode, CallNode or TemplateNode. */
export type Node =
  | PathNode
  | CallNode
  | StringNode
  | NumberNode
  | BooleanNode
  | NoneNode
  | InfinityNode
  | TemplateNode;

/** What a whole target can be. */
export type Expression = PathNode | CallNode | TemplateNode;
