import { QueryError } from '../errors.js';

// User regexes (aliasSub, grep, exclude) run on the server, so they are bounded before use:
// JavaScript's engine backtracks, and a pattern like (a+)+$ on a long name can take exponential
// time. We refuse the constructs that cause it — a quantified group that itself holds an unbounded
// quantifier (nested quantifiers) and backreferences — and cap the pattern and the subject length.
// What stays is matched in time polynomial in the (capped) name length. Python's syntax is
// translated where it differs: (?P<name>...) is (?<name>...).

/** Longest pattern accepted. */
export const MAX_PATTERN_LENGTH = 1000;
/** Longest text a user regex is run on (series names are far shorter). */
export const MAX_SUBJECT_LENGTH = 10_000;

/** Compiles a Python-style user regex for `func`, or a QueryError saying what is refused and where. */
export function compileUserRegex(pattern: string, func: string, flags = ''): RegExp {
  const refuse = (at: number, why: string) =>
    new QueryError(`${func}: regex ${JSON.stringify(pattern)} refused at position ${at}: ${why}`);
  if (pattern.length > MAX_PATTERN_LENGTH)
    throw refuse(MAX_PATTERN_LENGTH, `longer than ${MAX_PATTERN_LENGTH} characters`);
  // One frame per open group: whether an unbounded quantifier occurs inside it.
  const groups: boolean[] = [];
  let unboundedInside = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      if (/[1-9]/.test(pattern[i + 1] ?? '') || pattern[i + 1] === 'k')
        throw refuse(i, 'backreferences are not allowed');
      i++;
      continue;
    }
    if (c === '[') {
      // Skip a character class: ']' first is literal; escapes inside.
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      i = j;
      continue;
    }
    if (c === '(') {
      if (pattern.startsWith('(?P=', i)) throw refuse(i, 'backreferences are not allowed');
      groups.push(unboundedInside);
      unboundedInside = false;
      continue;
    }
    if (c === ')') {
      const inner: boolean = unboundedInside;
      unboundedInside = groups.pop() ?? false;
      const q = pattern[i + 1];
      if (inner && (q === '*' || q === '+' || q === '{'))
        throw refuse(
          i + 1,
          'a quantified group holds a quantifier (nested quantifiers can take exponential time)',
        );
      unboundedInside ||= inner || q === '*' || q === '+' || q === '{';
      continue;
    }
    if (c === '*' || c === '+' || c === '{') unboundedInside = true;
  }
  try {
    return new RegExp(pattern.replaceAll('(?P<', '(?<'), flags);
  } catch (err) {
    throw new QueryError(`${func}: invalid regex ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

/** Refuses a subject too long to run a user regex on. */
export function checkSubject(subject: string, func: string): string {
  if (subject.length > MAX_SUBJECT_LENGTH)
    throw new QueryError(`${func}: a series name longer than ${MAX_SUBJECT_LENGTH} characters`);
  return subject;
}

/**
 * Python's re.sub(pattern, replacement, subject): every match replaced, the replacement's \1, \g<1>
 * and \g<name> standing for groups (an unmatched group is empty), \\ for a backslash, \n for a line
 * break. JavaScript's own `$` syntax is not used, so a '$' in the replacement is literal as in Python.
 */
export function pySub(re: RegExp, replacement: string, subject: string): string {
  const global = re.global ? re : new RegExp(re.source, `${re.flags}g`);
  return subject.replace(global, (...m: unknown[]) => {
    const named = typeof m[m.length - 1] === 'object' ? (m[m.length - 1] as Record<string, string>) : {};
    const groups = m.slice(0, typeof m[m.length - 1] === 'object' ? -3 : -2) as (string | undefined)[];
    return replacement.replace(
      /\\(?:g<([^>]+)>|(\d{1,2})|(.))/g,
      (_, g: string, d: string, other: string) => {
        if (g !== undefined) return (/^\d+$/.test(g) ? groups[Number(g)] : named[g]) ?? '';
        if (d !== undefined) return groups[Number(d)] ?? '';
        if (other === 'n') return '\n';
        if (other === 't') return '\t';
        return other === '\\' ? '\\' : `\\${other}`;
      },
    );
  });
}
