import { createHash } from 'node:crypto';

/**
 * The canonical form of a tagged name `name;tag=value;...`: tags sorted, as carbon's cache stores it
 * (carbon/cache.py normalises with TaggedSeries.parse(metric).path, whose format() sorts the
 * ";tag=value" strings). Throws on what TaggedSeries.parse_carbon refuses.
 */
export function normalizeTagged(metric: string): string {
  const segments = metric.split(';');
  const name = segments[0];
  if (!name) throw new Error(`cannot parse tagged name '${metric}': no metric name before the first ';'`);
  const tags = new Map<string, string>();
  for (const segment of segments.slice(1)) {
    const eq = segment.indexOf('=');
    const tag = eq < 0 ? '' : segment.slice(0, eq);
    const value = eq < 0 ? '' : segment.slice(eq + 1);
    if (!tag) throw new Error(`cannot parse tagged name '${metric}': segment '${segment}' is not tag=value`);
    if (!value) throw new Error(`cannot parse tagged name '${metric}': tag '${tag}' has an empty value`);
    if (/[;!^=]/.test(tag))
      throw new Error(`cannot parse tagged name '${metric}': tag '${tag}' contains one of ;!^=`);
    if (value.startsWith('~'))
      throw new Error(`cannot parse tagged name '${metric}': value of tag '${tag}' starts with '~'`);
    tags.set(tag, value);
  }
  const sanitized = name.replace(/^~+/, '');
  if (!sanitized) throw new Error(`cannot parse tagged name '${metric}': name is only '~'`);
  tags.set('name', sanitized);
  const parts: string[] = [];
  for (const [tag, value] of tags) if (tag !== 'name') parts.push(`;${tag}=${value}`);
  // Python sorts the formatted strings by code point; JS's default sort compares UTF-16 units, which
  // only differs for astral characters — we compare code points to match.
  parts.sort(compareCodePoints);
  return tags.get('name') + parts.join('');
}

function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i].codePointAt(0) ?? 0) - (y[i].codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * The relative file path (without .wsp) carbon uses for a metric, segments joined by `/`:
 * TaggedSeries.encode(metric, os.sep, hash_only) of graphite-carbon 1.1.7. A tagged name goes to
 * `_tagged/<sha256[0:3]>/<sha256[3:6]>/<sha256>` (TAG_HASH_FILENAMES = True, carbon's default) or
 * with `hashOnly` false to `.../<name with . replaced by _DOT_>`. Untagged names just map dots to
 * directories (a leading separator is trimmed as carbon does).
 */
export function encodeMetricPath(metric: string, hashOnly = true): string {
  if (metric.includes(';')) {
    const hash = createHash('sha256').update(metric, 'utf8').digest('hex');
    return [
      '_tagged',
      hash.slice(0, 3),
      hash.slice(3, 6),
      hashOnly ? hash : metric.replaceAll('.', '_DOT_'),
    ].join('/');
  }
  return metric.replaceAll('.', '/').replace(/^\/+/, '');
}
