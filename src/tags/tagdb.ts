import fs from 'node:fs';
import { compileUserRegex } from '../query/functions/regex.js';
import { readJournalLines } from '../storage/journal.js';
import { compileTagExpressions, type TagMatcher } from './match.js';
import { compareCodePoints, parseTaggedSeries, TagSyntaxError } from './tagged-series.js';

// The tag database: which tagged series exist and their tags, answering what graphite-web 1.1.8's
// LocalDatabaseTagDB (tags/localdatabase.py) and BaseTagDB (tags/base.py) answer.
//
// Why a journal and not a rebuild from the whisper tree: carbon stores a tagged series under
// _tagged/<hash>/<hash>/<sha256>.wsp (TAG_HASH_FILENAMES = True), so the names cannot be read back
// from the files. Carbon solves this by posting every new tagged name to graphite-web's tag DB;
// here the index lives in memory and each change is appended to one line of a journal file in the
// data directory (`+path` adds, `-path` deletes), replayed at start and rewritten compact when
// mostly deletions. New tagged series are rare next to datapoints, so a synchronous append per
// change costs nothing on the ingest path, and a crash loses at most the line being written.

/** One tag in /tags: graphite-web numbers tags in the order they were first seen. */
export interface TagInfo {
  id: number;
  tag: string;
}

/** One value of a tag in /tags/<tag>: how many series carry it. */
export interface TagValueInfo {
  id: number;
  value: string;
  count: number;
}

/** Options of a query that lists: an anchored regex filter and a row limit. */
export interface ListOptions {
  filter?: string;
  limit?: number;
}

/** Longest tagged name accepted (upstream's column holds 191+ bytes; we keep a generous bound). */
const MAX_PATH_LENGTH = 10_000;

/** The tag index: in memory, durable through an optional journal file. */
export class TagDB {
  /** Canonical path -> its tags. */
  private readonly series = new Map<string, Map<string, string>>();
  /** tag -> value -> paths carrying it. */
  private readonly byTag = new Map<string, Map<string, Set<string>>>();
  /**
   * Ids as the SQL tables' AUTOINCREMENT gives them: each tag_series of a new series tries to insert
   * every one of its tags and values (INSERT OR IGNORE), and sqlite spends an id on each attempt,
   * ignored or not; a tag or value keeps the id of its first insert, never reused or removed.
   */
  private readonly tagIds = new Map<string, number>();
  private readonly valueIds = new Map<string, number>();
  private tagAttempts = 0;
  private valueAttempts = 0;
  private journalLines = 0;

  private constructor(private readonly journal: string | undefined) {}

  /** An index kept only in memory (tests, or a node whose tags another node keeps). */
  static inMemory(): TagDB {
    return new TagDB(undefined);
  }

  /**
   * Opens the index journaled at `file`, replaying it. A torn last line (a crash mid-append) is
   * skipped; the journal is rewritten compact when most of its lines are undone by later ones.
   */
  static open(file: string): TagDB {
    const db = new TagDB(file);
    const lines = readJournalLines(file);
    for (const line of lines) {
      try {
        if (line[0] === '+') {
          const parsed = parseTaggedSeries(line.slice(1));
          db.apply(parsed.path, parsed.tags);
        } else if (line[0] === '-') db.remove(line.slice(1));
      } catch {
        // A line that no longer parses is skipped; the rest of the journal still counts.
      }
    }
    db.journalLines = lines.length;
    if (db.journalLines > 1000 && db.journalLines > 2 * db.series.size) db.compact();
    return db;
  }

  /** Number of series in the index. */
  get size(): number {
    return this.series.size;
  }

  /** True when `path` (canonical) is indexed. */
  has(path: string): boolean {
    return this.series.has(path);
  }

  /** tag_series: adds a series (any spelling) and returns its canonical path. */
  tagSeries(name: string): string {
    if (name.length > MAX_PATH_LENGTH || /[\r\n]/.test(name))
      throw new TagSyntaxError(
        `cannot parse path: longer than ${MAX_PATH_LENGTH} characters or holds a line break`,
      );
    const parsed = parseTaggedSeries(name);
    if (this.series.has(parsed.path)) return parsed.path;
    this.apply(parsed.path, parsed.tags);
    this.append(`+${parsed.path}\n`);
    return parsed.path;
  }

  /** tag_multi_series: adds each, in order; the canonical paths. */
  tagMultiSeries(names: string[]): string[] {
    return names.map((n) => this.tagSeries(n));
  }

  /** del_series for each name: removes it when indexed. Tags and values stay listed, as upstream. */
  delSeries(names: string[]): true {
    for (const name of names) {
      const p = parseTaggedSeries(name).path;
      if (!this.series.has(p)) continue;
      this.remove(p);
      this.append(`-${p}\n`);
    }
    return true;
  }

  /** The tags of an indexed series, or undefined. */
  getSeries(path: string): Map<string, string> | undefined {
    return this.series.get(parseTaggedSeries(path).path);
  }

  /** find_series: the paths matching every expression, sorted. Throws TagQueryError when bad. */
  findSeries(exprs: string[]): string[] {
    const matchers = compileTagExpressions(exprs);
    const narrowing = matchers.filter((m) => !m.matchesEmpty);
    // Start from the smallest candidate set an exact match gives, else from every series with the tag.
    let candidates: Iterable<string> | undefined;
    let best = Number.POSITIVE_INFINITY;
    for (const m of narrowing) {
      const values = this.byTag.get(m.tag);
      if (!values) return [];
      if (m.operator === '=') {
        const set = values.get(m.spec);
        if (!set) return [];
        if (set.size < best) [candidates, best] = [set, set.size];
      }
    }
    if (!candidates) {
      const values = this.byTag.get(narrowing[0].tag);
      candidates = values ? [...values.values()].flatMap((s) => [...s]) : [];
    }
    const out: string[] = [];
    for (const p of candidates) {
      const tags = this.series.get(p);
      if (tags && matchers.every((m) => matches(m, tags))) out.push(p);
    }
    return out.sort(compareCodePoints);
  }

  /** list_tags: every tag ever seen (even without series now), sorted, filtered by an anchored regex. */
  listTags(opts: ListOptions = {}): TagInfo[] {
    const re = anchored(opts.filter);
    const out = [...this.tagIds]
      .filter(([tag]) => !re || re.test(tag))
      .sort(([a], [b]) => compareCodePoints(a, b))
      .map(([tag, id]) => ({ id, tag }));
    return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
  }

  /** get_tag: the tag with its values, or null when never seen. */
  getTag(tag: string, opts: ListOptions = {}): { id: number; tag: string; values: TagValueInfo[] } | null {
    const id = this.tagIds.get(tag);
    if (id === undefined) return null;
    return { id, tag, values: this.listValues(tag, opts) };
  }

  /** list_values: the values series carry for a tag now, with their counts, sorted. */
  listValues(tag: string, opts: ListOptions = {}): TagValueInfo[] {
    const re = anchored(opts.filter);
    const out = [...(this.byTag.get(tag) ?? new Map<string, Set<string>>())]
      .filter(([value, paths]) => paths.size > 0 && (!re || re.test(value)))
      .sort(([a], [b]) => compareCodePoints(a, b))
      .map(([value, paths]) => ({ id: this.valueIds.get(value) ?? 0, value, count: paths.size }));
    return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
  }

  /** auto_complete_tags: tags of the series matching `exprs` (all tags when none), by prefix. */
  autoCompleteTags(exprs: string[], tagPrefix: string | undefined, limit: number): string[] {
    let tags: string[];
    if (exprs.length === 0) tags = [...this.tagIds.keys()];
    else {
      const searched = new Set(compileTagExpressions(exprs).map((m) => m.tag));
      const found = new Set<string>();
      for (const p of this.findSeries(exprs))
        for (const t of this.series.get(p)?.keys() ?? []) if (!searched.has(t)) found.add(t);
      tags = [...found];
    }
    return tags
      .filter((t) => !tagPrefix || t.startsWith(tagPrefix))
      .sort(compareCodePoints)
      .slice(0, limit);
  }

  /** auto_complete_values: values of `tag` among the series matching `exprs` (all when none). */
  autoCompleteValues(exprs: string[], tag: string, valuePrefix: string | undefined, limit: number): string[] {
    let values: string[];
    if (exprs.length === 0) values = this.listValues(tag).map((v) => v.value);
    else {
      const found = new Set<string>();
      for (const p of this.findSeries([...exprs, `${tag}!=`])) {
        const v = this.series.get(p)?.get(tag);
        if (v !== undefined) found.add(v);
      }
      values = [...found];
    }
    return values
      .filter((v) => !valuePrefix || v.startsWith(valuePrefix))
      .sort(compareCodePoints)
      .slice(0, limit);
  }

  private apply(p: string, tags: Map<string, string>): void {
    if (this.series.has(p)) return;
    for (const tag of tags.keys()) {
      this.tagAttempts++;
      if (!this.tagIds.has(tag)) this.tagIds.set(tag, this.tagAttempts);
    }
    for (const value of tags.values()) {
      this.valueAttempts++;
      if (!this.valueIds.has(value)) this.valueIds.set(value, this.valueAttempts);
    }
    this.series.set(p, tags);
    for (const [tag, value] of tags) {
      let values = this.byTag.get(tag);
      if (!values) {
        values = new Map();
        this.byTag.set(tag, values);
      }
      const paths = values.get(value);
      if (paths) paths.add(p);
      else values.set(value, new Set([p]));
    }
  }

  private remove(p: string): void {
    const tags = this.series.get(p);
    if (!tags) return;
    this.series.delete(p);
    for (const [tag, value] of tags) this.byTag.get(tag)?.get(value)?.delete(p);
  }

  private append(line: string): void {
    if (!this.journal) return;
    fs.appendFileSync(this.journal, line);
    this.journalLines++;
  }

  // Rewrites the journal as one `+` line per live series, through a temp file and a rename so a
  // crash leaves the old or the new journal, never half of one. Tag and value ids of tags no
  // series carries any more are not kept across the rewrite (they only number /tags rows).
  private compact(): void {
    if (!this.journal) return;
    const tmp = `${this.journal}.tmp`;
    fs.writeFileSync(tmp, [...this.series.keys()].map((p) => `+${p}\n`).join(''));
    fs.renameSync(tmp, this.journal);
    this.journalLines = this.series.size;
  }
}

function matches(m: TagMatcher, tags: Map<string, string>): boolean {
  const value = tags.get(m.tag);
  if (value === undefined) return m.matchesEmpty;
  return m.test(value);
}

// list_tags / list_values filters: a regex anchored as `^(filter)` unless it starts with '^'.
function anchored(filter: string | undefined): RegExp | undefined {
  if (!filter) return undefined;
  return compileUserRegex(filter.startsWith('^') ? filter : `^(${filter})`, 'tags filter');
}
