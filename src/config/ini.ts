/**
 * The INI dialect carbon reads its files with (Python's ConfigParser as carbon's OrderedConfigParser uses
 * it): `[section]` headers, `key = value` or `key: value`, whole-line comments starting with # or ;,
 * indented continuation lines, option names case-insensitive (lowercased), sections kept in file order.
 * Pure: text in, sections or an error naming the line out.
 */
export interface IniSection {
  name: string;
  /** Line of the section header, 1-based, for error messages. */
  line: number;
  options: Map<string, string>;
}

export class IniError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'IniError';
  }
}

export function parseIni(text: string, file = '<config>'): IniSection[] {
  const sections: IniSection[] = [];
  let current: IniSection | undefined;
  let lastKey: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const lineNo = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      if (trimmed === '') lastKey = undefined;
      continue;
    }
    if (/^\s/.test(raw) && current && lastKey !== undefined) {
      // Continuation line: ConfigParser joins it to the previous value with a newline.
      current.options.set(lastKey, `${current.options.get(lastKey)}\n${trimmed}`);
      continue;
    }
    if (trimmed.startsWith('[')) {
      const close = trimmed.indexOf(']');
      if (close < 0) throw new IniError(file, lineNo, `got '${trimmed}'; want a section header '[name]'`);
      const name = trimmed.slice(1, close).trim();
      if (name === '') throw new IniError(file, lineNo, 'empty section name');
      if (sections.some((s) => s.name === name))
        throw new IniError(file, lineNo, `section '${name}' appears twice`);
      current = { name, line: lineNo, options: new Map() };
      sections.push(current);
      lastKey = undefined;
      continue;
    }
    const eq = firstSeparator(trimmed);
    if (eq <= 0) throw new IniError(file, lineNo, `got '${trimmed}'; want 'key = value'`);
    if (!current) throw new IniError(file, lineNo, `'${trimmed}' comes before any [section]`);
    const key = trimmed.slice(0, eq).trim().toLowerCase();
    current.options.set(key, trimmed.slice(eq + 1).trim());
    lastKey = key;
  }
  return sections;
}

function firstSeparator(s: string): number {
  const e = s.indexOf('=');
  const c = s.indexOf(':');
  if (e < 0) return c;
  if (c < 0) return e;
  return Math.min(e, c);
}
