import { QueryError } from '../query/errors.js';
import { compileUserRegex } from '../query/functions/regex.js';
import { parseTagSpec, type TagSpec } from './tagged-series.js';

// How LocalDatabaseTagDB (graphite-web 1.1.8, tags/localdatabase.py) matches tag expressions. A
// regex is anchored at the start of the value (wrapped as `^(spec)` unless it starts with '^'). An
// expression that matches the empty value also matches series without the tag; the others need the
// tag present. At least one expression must need a value, else the query would list everything.

/** A checked tag expression, ready to test values. */
export interface TagMatcher extends TagSpec {
  /** True when a series without the tag (value '') passes. */
  matchesEmpty: boolean;
  test(value: string): boolean;
}

/** Compiles tag expressions; throws a TagQueryError for a bad one or when all match the empty value. */
export function compileTagExpressions(exprs: string[]): TagMatcher[] {
  const matchers = exprs.map((expr) => {
    let spec: TagSpec;
    try {
      spec = parseTagSpec(expr);
    } catch (err) {
      throw new TagQueryError((err as Error).message);
    }
    return compileOne(spec);
  });
  if (matchers.every((m) => m.matchesEmpty))
    throw new TagQueryError('At least one tagspec must not match the empty string');
  return matchers;
}

/** A tag query that cannot run: a bad expression or nothing to narrow by (400 upstream). */
export class TagQueryError extends QueryError {
  constructor(message: string) {
    super(message);
    this.name = 'TagQueryError';
  }
}

function compileOne(spec: TagSpec): TagMatcher {
  switch (spec.operator) {
    case '=':
      return { ...spec, matchesEmpty: spec.spec === '', test: (v) => v === spec.spec };
    case '!=':
      return { ...spec, matchesEmpty: spec.spec !== '', test: (v) => v !== spec.spec };
    case '=~':
    case '!=~': {
      const anchored = spec.spec.startsWith('^') ? spec.spec : `^(${spec.spec})`;
      let re: RegExp;
      try {
        re = compileUserRegex(anchored, 'seriesByTag');
      } catch (err) {
        throw new TagQueryError((err as Error).message);
      }
      const positive = spec.operator === '=~';
      const test = (v: string) => re.test(v) === positive;
      return { ...spec, spec: anchored, matchesEmpty: test(''), test };
    }
  }
}
