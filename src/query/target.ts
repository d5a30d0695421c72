import { QueryError } from './errors.js';

/**
 * Classifies a render target for the first API, which serves plain paths and globs only: a target
 * with a function call (or a pipe) is refused, naming the function, until the evaluator lands.
 * Returns the path expression, or null for a blank target (graphite-web skips those).
 */
export function plainPathTarget(target: string): string | null {
  const t = target.trim();
  if (t === '') return null;
  const call = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(t);
  if (call) throw new QueryError(`functions are not supported yet: "${call[1]}" in target "${target}"`);
  const pipe = t.indexOf('|');
  if (pipe >= 0)
    throw new QueryError(`functions are not supported yet: pipe at position ${pipe} in target "${target}"`);
  // Braces may hold commas ({a,b}); quotes, '=' and whitespace only occur in function calls.
  const bad = /[()"'=\s]/.exec(t);
  if (bad)
    throw new QueryError(
      `invalid target "${target}": ${JSON.stringify(bad[0])} at position ${bad.index} (function arguments are not supported yet)`,
    );
  return t;
}
