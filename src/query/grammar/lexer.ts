// Token readers for render targets, each matching one terminal of graphite-web 1.1.8's pyparsing
// grammar (render/grammar_unsafe.py). They read at a position and return what they matched with the
// position after it, or null; they never throw, so the parser decides what was wanted there.

/** Characters that end a path element unless escaped with a backslash (upstream's `symbols`). */
const SYMBOLS = `(){},.'"\\|`;

/** A backslash may escape a symbol or '=' (upstream's `escapedChar`). */
const ESCAPABLE = `${SYMBOLS}=`;

/**
 * A character allowed unescaped in a metric path: printable ASCII except the symbols
 * (upstream's `validMetricChars` with UTF8_METRICS = False, the default).
 */
export function isMetricChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code >= 33 && code <= 126 && !SYMBOLS.includes(c);
}

/** pyparsing's default whitespace: skipped between tokens, never inside a path. */
export function skipSpace(text: string, pos: number): number {
  while (pos < text.length && ' \t\n\r'.includes(text[pos])) pos++;
  return pos;
}

/** An identifier (function or keyword-argument name): `[A-Za-z_][A-Za-z0-9_]*`. */
export function readIdentifier(text: string, pos: number): { name: string; end: number } | null {
  const m = /[A-Za-z_][A-Za-z0-9_]*/y;
  m.lastIndex = pos;
  const r = m.exec(text);
  return r ? { name: r[0], end: pos + r[0].length } : null;
}

// intNumber -?\d+, floatNumber -?\d+\.\d+, sciNumber (float|int)[eE](int).
const NUMBER = /-?\d+(\.\d+)?([eE]-?\d+)?/y;

/**
 * A number literal. Upstream only takes a number when a ',' or ')' or the end of the line follows
 * (its `afterNumber` look-ahead); otherwise the text is read as a path (`1.5.x`, `5min`).
 */
export function readNumber(
  text: string,
  pos: number,
): { value: number; float: boolean; text: string; end: number } | null {
  NUMBER.lastIndex = pos;
  const m = NUMBER.exec(text);
  if (!m) return null;
  const end = pos + m[0].length;
  if (!followedByDelimiter(text, end)) return null;
  const float = m[1] !== undefined || m[2] !== undefined;
  return { value: Number(m[0]), float, text: m[0], end };
}

/** True when, after whitespace, the next character ends an argument: ',' ')' or the end. */
export function followedByDelimiter(text: string, pos: number): boolean {
  const at = skipSpace(text, pos);
  return at === text.length || text[at] === ',' || text[at] === ')';
}

/**
 * A bare word true/false/none/inf, any case, as a whole word (upstream's CaselessKeyword: not followed
 * by [A-Za-z0-9_$]). We also want a delimiter after it; `none.x` is then a path, where upstream fails.
 */
export function readKeyword(
  text: string,
  pos: number,
): { word: 'true' | 'false' | 'none' | 'inf'; end: number } | null {
  const m = /(true|false|none|inf)(?![A-Za-z0-9_$])/iy;
  m.lastIndex = pos;
  const r = m.exec(text);
  if (!r) return null;
  const end = pos + r[0].length;
  if (!followedByDelimiter(text, end)) return null;
  return { word: r[1].toLowerCase() as 'true' | 'false' | 'none' | 'inf', end };
}

// pyparsing's quotedString: a doubled quote or a backslash escape (\x with hex digits) may appear
// inside; no line breaks.
const DOUBLE_QUOTED = /"((?:[^"\n\r\\]|""|\\(?:[^x]|x[0-9a-fA-F]+))*)"/y;
const SINGLE_QUOTED = /'((?:[^'\n\r\\]|''|\\(?:[^x]|x[0-9a-fA-F]+))*)'/y;

/** A string in either quote; `value` is the text between the quotes, untouched. */
export function readString(
  text: string,
  pos: number,
): { value: string; quote: '"' | "'"; end: number } | null {
  const quote = text[pos];
  if (quote !== '"' && quote !== "'") return null;
  const re = quote === '"' ? DOUBLE_QUOTED : SINGLE_QUOTED;
  re.lastIndex = pos;
  const m = re.exec(text);
  return m ? { value: m[1], quote, end: pos + m[0].length } : null;
}

/**
 * A path expression: elements joined by '.', each a run of metric characters, backslash-escaped
 * symbols and `{a,b}` alternatives (whose parts cannot hold '.'). Returns null when no element
 * starts at `pos`; `error` when an element is cut short (an unclosed brace, a trailing '.').
 */
export function readPath(
  text: string,
  pos: number,
): { path: string; text: string; end: number } | { error: string; at: number } | null {
  let path = '';
  let i = pos;
  for (;;) {
    const element = readElement(text, i);
    if (element === null) {
      if (i === pos) return null;
      // The '.' before this point was a separator with no element after it: leave it unread, so the
      // caller reports what follows the path.
      return { path: path.slice(0, -1), text: text.slice(pos, i - 1), end: i - 1 };
    }
    if ('error' in element) return element;
    path += element.value;
    i = element.end;
    if (text[i] !== '.') return { path, text: text.slice(pos, i), end: i };
    path += '.';
    i++;
  }
}

function readElement(
  text: string,
  pos: number,
): { value: string; end: number } | { error: string; at: number } | null {
  let value = '';
  let i = pos;
  for (;;) {
    const part = readPartial(text, i);
    if (part) {
      value += part.value;
      i = part.end;
      continue;
    }
    if (text[i] === '{') {
      const alternatives: string[] = [];
      let j = i + 1;
      for (;;) {
        const alt = readPartial(text, j);
        if (!alt) return { error: `want a name inside '{...}' (opened at position ${i})`, at: j };
        alternatives.push(alt.value);
        j = alt.end;
        if (text[j] === ',') {
          j++;
          continue;
        }
        if (text[j] === '}') break;
        return { error: `want ',' or '}' to go on the '{' opened at position ${i}`, at: j };
      }
      value += `{${alternatives.join(',')}}`;
      i = j + 1;
      continue;
    }
    return i === pos ? null : { value, end: i };
  }
}

// partialPathElem: one or more metric characters or escaped symbols.
function readPartial(text: string, pos: number): { value: string; end: number } | null {
  let value = '';
  let i = pos;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && ESCAPABLE.includes(text[i + 1])) {
      value += text[i + 1];
      i += 2;
    } else if (isMetricChar(c)) {
      value += c;
      i++;
    } else break;
  }
  return i === pos ? null : { value, end: i };
}
