import type { EventSource } from '../events/store.js';
import type { Series } from '../storage/series.js';
import { QueryError } from './errors.js';
import { bindArgs } from './functions/params.js';
import type { FunctionContext, Registry, RequestState, TimeWindow } from './functions/registry.js';
import { PyNumber, type Value } from './functions/values.js';
import type { Expression, Node, TemplateNode } from './grammar/ast.js';
import { parseTarget } from './grammar/parser.js';

// Evaluates render targets the way graphite-web 1.1.8's render/evaluator.py does: every path
// expression of every target is fetched first (prefetchData), each once per request and window;
// then each target is evaluated depth-first, arguments left to right, and its series appended.

/** Everything target evaluation needs from the request. */
export interface EvaluateOptions {
  registry: Registry;
  /** Fetches the series of one path expression over a window (the caller applies limits). */
  fetch(pathExpression: string, window: TimeWindow): Promise<Series[]>;
  /** The request's time zone. */
  tz: string;
  /** The request's xFilesFactor. */
  xFilesFactor: number;
  /** The request's `template[name]=value` parameters; they override template() arguments. */
  template?: Record<string, string>;
  /** Deepest call nesting allowed in one target. */
  maxDepth?: number;
  /** The events the events() function counts. */
  events?: EventSource;
  /** Called before each function call; throws to stop the evaluation (the request-time limit). */
  checkpoint?: () => void;
}

type Replacements = Map<string, string | PyNumber>;

/**
 * Parses and evaluates `targets` over `window`: the series of each target in order (a blank target
 * gives none). A bad target, an unknown function or a bad argument is a QueryError naming it.
 */
export async function evaluateTargets(
  targets: string[],
  window: TimeWindow,
  opts: EvaluateOptions,
  request?: RequestState,
): Promise<Series[]> {
  const parsed: Expression[] = [];
  targets.forEach((t, i) => {
    if (t.trim() === '') return;
    try {
      parsed.push(parseTarget(t, { maxDepth: opts.maxDepth }));
    } catch (err) {
      if (err instanceof QueryError) throw new QueryError(`target ${i + 1}: ${err.message}`);
      throw err;
    }
  });
  const ev = new Evaluator(opts, request ?? { xFilesFactor: opts.xFilesFactor, shared: new Map() });
  // prefetchData: all paths of all targets before any function runs.
  const paths = new Set<string>();
  for (const node of parsed) ev.collectPaths(node, undefined, paths);
  for (const path of paths) await ev.fetch(path, window);
  const out: Series[] = [];
  for (const node of parsed) {
    const result = await ev.evaluate(node, window, undefined);
    if (!Array.isArray(result))
      throw new QueryError(`target "${ev.print(node)}" is not a seriesList (it evaluates to a constant)`);
    out.push(...result);
  }
  return out;
}

class Evaluator {
  private readonly fetched = new Map<string, Promise<Series[]>>();

  constructor(
    private readonly opts: EvaluateOptions,
    private readonly request: RequestState,
  ) {}

  print(node: Node): string {
    return node.kind === 'path' ? node.text : node.kind === 'call' ? `${node.name}(...)` : node.kind;
  }

  /** One fetch per path and window (prefetchData); callers get their own series over shared values. */
  async fetch(path: string, window: TimeWindow): Promise<Series[]> {
    const key = fetchKey(path, window);
    let p = this.fetched.get(key);
    if (!p) {
      p = this.opts.fetch(path, window);
      this.fetched.set(key, p);
    }
    return (await p).map((s) => ({ ...s, tags: { ...s.tags } }));
  }

  /**
   * fetchData: only what was prefetched. Upstream prefetches the paths under positional arguments
   * only, so a path given as a keyword argument (`transformNull(a, referenceSeries=b)`) evaluates to
   * an empty seriesList there; we keep that, since answers must match graphite-web's.
   */
  private async prefetched(path: string, window: TimeWindow): Promise<Series[]> {
    return this.fetched.has(fetchKey(path, window)) ? this.fetch(path, window) : [];
  }

  // extractPathExpressions: paths under calls' positional arguments (not keyword ones, as upstream).
  collectPaths(node: Node, replacements: Replacements | undefined, out: Set<string>): void {
    if (node.kind === 'template') {
      this.collectPaths(node.body, this.templateReplacements(node), out);
    } else if (node.kind === 'path') {
      out.add(substitute(node.path, replacements, true) as string);
    } else if (node.kind === 'call') {
      // seriesByTag is resolved by the fetch (STORE.fetch upstream): the call as written is its path.
      if (node.name === 'seriesByTag' && node.raw) out.add(node.raw);
      else for (const a of node.args) this.collectPaths(a, replacements, out);
    }
  }

  private templateReplacements(node: TemplateNode): Replacements {
    const r: Replacements = new Map();
    for (const kw of node.kwargs) r.set(kw.name, literal(kw.value));
    node.args.forEach((a, i) => {
      r.set(String(i + 1), literal(a));
    });
    for (const [k, v] of Object.entries(this.opts.template ?? {})) r.set(k, v);
    return r;
  }

  async evaluate(node: Node, window: TimeWindow, replacements: Replacements | undefined): Promise<Value> {
    switch (node.kind) {
      case 'string':
        return node.value;
      case 'number':
        return new PyNumber(node.value, node.float);
      case 'boolean':
        return node.value;
      case 'none':
        return null;
      case 'infinity':
        return new PyNumber(Number.POSITIVE_INFINITY, true);
      case 'template':
        return this.evaluate(node.body, window, this.templateReplacements(node));
      case 'path': {
        const path = substitute(node.path, replacements, false);
        if (typeof path !== 'string') return path;
        return this.prefetched(path, window);
      }
      case 'call':
        // evaluateTokens: `if tokens.call.funcname == 'seriesByTag': return fetchData(call.raw)`.
        if (node.name === 'seriesByTag' && node.raw) return this.prefetched(node.raw, window);
        return this.call(node, window, replacements);
    }
  }

  private async call(
    node: Extract<Node, { kind: 'call' }>,
    window: TimeWindow,
    replacements: Replacements | undefined,
  ): Promise<Series[]> {
    const spec = this.opts.registry.get(node.name);
    if (!spec)
      throw new QueryError(
        node.name === 'template'
          ? `invalid template() at position ${node.pos}: only string and number arguments are allowed`
          : `unknown function "${node.name}" at position ${node.pos}`,
      );
    const args: Value[] = [];
    for (const a of node.args) args.push(await this.evaluate(a, window, replacements));
    const kwargs = new Map<string, Value>();
    for (const kw of node.kwargs) kwargs.set(kw.name, await this.evaluate(kw.value, window, replacements));
    const bound = bindArgs(node.name, spec, args, kwargs);
    this.opts.checkpoint?.();
    const ctx: FunctionContext = {
      window,
      tz: this.opts.tz,
      xFilesFactor: this.request.xFilesFactor,
      rawArgs: node.args,
      evaluateOver: async (n, w) => {
        const paths = new Set<string>();
        this.collectPaths(n, replacements, paths);
        for (const p of paths) await this.fetch(p, w);
        const v = await this.evaluate(n, w, replacements);
        return Array.isArray(v) ? v : [];
      },
      lookup: (name) => this.opts.registry.get(name),
      request: this.request,
      events: this.opts.events,
      // evaluateTarget with a fresh prefetch (applyByNode, aliasQuery: newContext['prefetch'] = {}),
      // sharing the request's state.
      evaluateTarget: (target, w) =>
        evaluateTargets([target], w, { ...this.opts, xFilesFactor: this.request.xFilesFactor }, this.request),
    };
    return spec.impl(ctx, bound);
  }
}

function fetchKey(path: string, window: TimeWindow): string {
  return `${window.from}:${window.until}:${window.now}:${path}`;
}

function literal(node: TemplateNode['args'][number]): string | PyNumber {
  return node.kind === 'number' ? new PyNumber(node.value, node.float) : node.value;
}

/**
 * Template substitution in a path, as upstream: a path that is exactly `$name` becomes the value
 * itself (a number, or a string that looks numeric read as a float); otherwise each `$name` in the
 * path is replaced by the value's text. During prefetch (`asText`) only the replacement is done.
 */
function substitute(
  path: string,
  replacements: Replacements | undefined,
  asText: boolean,
): string | PyNumber {
  if (!replacements) return path;
  let expression = path;
  for (const [name, value] of replacements) {
    if (path === `$${name}`) {
      if (asText) continue;
      if (value instanceof PyNumber) return value;
      if (/^-?[\d.]+$/.test(value)) return new PyNumber(Number(value), true);
      return value;
    }
    expression = expression.replaceAll(`$${name}`, value instanceof PyNumber ? numberText(value) : value);
  }
  return expression;
}

function numberText(n: PyNumber): string {
  return n.float && Number.isInteger(n.value) ? `${n.value}.0` : String(n.value);
}
