// Graphite path globs, one path segment at a time. graphite-web's standard finder splits a pattern
// on '.', expands {a,b} alternatives (graphite/finders/__init__.py expand_braces) and matches each
// directory entry with Python's fnmatch: `*` any run, `?` one character, `[abc]` `[a-z]` a class,
// `[!a]` a negated class, `]` first in a class is literal. Because matching is per segment, `*` and
// `?` never cross a '.'; we make that explicit so the same matcher serves whole metric names split
// on '.'. Where fnmatch quietly treats a malformed pattern as literal text ("a[bc", "{a,b"), we
// refuse it with the position, since such a query is almost always a typo.

/** A malformed glob: says what is wrong, where (0-based position) and quotes the pattern. */
export class GlobError extends Error {
  constructor(
    readonly pattern: string,
    readonly position: number,
    readonly problem: string,
  ) {
    super(`${problem} at position ${position} in '${pattern}'`);
    this.name = 'GlobError';
  }
}

/** A compiled segment glob. */
export interface GlobMatcher {
  /** The segment pattern as given. */
  readonly pattern: string;
  /** True when the pattern has no wildcard: it matches `literals` exactly and nothing else. */
  readonly isLiteral: boolean;
  /** The exact names a literal pattern stands for (brace alternatives expanded); empty otherwise. */
  readonly literals: readonly string[];
  /** Whether one segment (no '.') matches. */
  test(name: string): boolean;
}

/** True when `segment` has a wildcard (*, ? or [) after brace expansion; graphite's `has_wildcard`. */
export function hasWildcard(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/**
 * Expands {a,b} alternatives, innermost-first as graphite-web's expand_braces does (`x{a,b}y` ->
 * `xay`, `xby`; `{a,{b,c}}` -> a, b, c; `{}` -> the empty alternative), without duplicates, in
 * first-seen order. Throws GlobError on an unclosed '{' or a '}' without its '{'.
 */
export function expandBraces(pattern: string): string[] {
  validate(pattern);
  const out: string[] = [];
  const seen = new Set<string>();
  const expand = (s: string): void => {
    const m = /\{([^{}]*)\}/.exec(s);
    if (!m) {
      if (!seen.has(s)) {
        seen.add(s);
        out.push(s);
      }
      return;
    }
    for (const alt of m[1].split(',')) expand(s.slice(0, m.index) + alt + s.slice(m.index + m[0].length));
  };
  expand(pattern);
  return out;
}

/**
 * Finds what fnmatch would silently take literally: an unclosed '[' or '{', a '}' without '{', and
 * a reversed range such as [z-a] (fnmatch drops it and the class can never match).
 */
function validate(pattern: string): void {
  const open: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '[') i = classEnd(pattern, i, pattern);
    else if (c === '{') open.push(i);
    else if (c === '}') {
      if (open.length === 0) throw new GlobError(pattern, i, "'}' without a matching '{'");
      open.pop();
    }
  }
  if (open.length > 0) throw new GlobError(pattern, open[open.length - 1], 'unclosed {');
}

/** Index of the ']' closing the class opened at `open`; checks its ranges. */
function classEnd(v: string, open: number, whole: string): number {
  let j = open + 1;
  if (v[j] === '!') j++;
  if (v[j] === ']') j++; // a leading ']' is a member, as in fnmatch
  while (j < v.length && v[j] !== ']') j++;
  if (j >= v.length) throw new GlobError(whole, open, 'unclosed [');
  for (const { lo, hi } of ranges(v.slice(open + 1, j).replace(/^!/, ''))) {
    if (lo.codePointAt(0)! > hi.codePointAt(0)!)
      throw new GlobError(whole, open, `empty range ${lo}-${hi} in [..]`);
  }
  return j;
}

type Member = { lo: string; hi: string };

function ranges(body: string): Member[] {
  const members = Array.from(body);
  const out: Member[] = [];
  for (let k = 0; k < members.length; k++) {
    if (members[k + 1] === '-' && k + 2 < members.length) {
      out.push({ lo: members[k], hi: members[k + 2] });
      k += 2;
    } else {
      out.push({ lo: members[k], hi: members[k] });
    }
  }
  return out;
}

/** Compiles the glob of one path segment. Throws GlobError when malformed or when it contains '.'. */
export function compileGlob(segment: string): GlobMatcher {
  const variants = expandBraces(segment);
  const dot = segment.indexOf('.');
  if (dot >= 0) throw new GlobError(segment, dot, "'.' inside one segment (split the path on '.' first)");
  if (!variants.some(hasWildcard)) {
    const literals = variants;
    const set = new Set(literals);
    return { pattern: segment, isLiteral: true, literals, test: (name) => set.has(name) };
  }
  const source = variants.map(translate).join('|');
  const re = new RegExp(`^(?:${source})$`, 'su');
  return { pattern: segment, isLiteral: false, literals: [], test: (name) => re.test(name) };
}

/** Compiles a whole dotted pattern into one matcher per segment. */
export function compilePathGlob(pattern: string): GlobMatcher[] {
  return splitSegments(pattern).map(compileGlob);
}

/**
 * Splits a dotted pattern into segments, keeping dots inside {..} or [..] with their segment so
 * that an alternative like {a.b,c} reports a clear error instead of a confusing half-brace.
 */
export function splitSegments(pattern: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
    else if (c === '.' && depth === 0) {
      parts.push(pattern.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(pattern.slice(start));
  return parts;
}

/** One brace-free variant to a regular expression source, fnmatch's rules minus crossing '.'. */
function translate(variant: string): string {
  let out = '';
  let i = 0;
  while (i < variant.length) {
    const c = variant[i];
    if (c === '*') {
      while (variant[i + 1] === '*') i++;
      out += '[^.]*';
      i++;
    } else if (c === '?') {
      out += '[^.]';
      i++;
    } else if (c === '[') {
      // A class split by brace expansion (a{[,]}b) is caught here, on the variant.
      const close = classEnd(variant, i, variant);
      const negate = variant[i + 1] === '!';
      let body = '';
      for (const { lo, hi } of ranges(variant.slice(i + (negate ? 2 : 1), close))) {
        body += lo === hi ? escapeChar(lo) : `${escapeChar(lo)}-${escapeChar(hi)}`;
      }
      out += negate ? `[^.${body}]` : `[${body}]`;
      i = close + 1;
    } else {
      const cp = variant.codePointAt(i)!;
      out += escapeChar(String.fromCodePoint(cp));
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return out;
}

function escapeChar(ch: string): string {
  return `\\u{${ch.codePointAt(0)!.toString(16)}}`;
}
