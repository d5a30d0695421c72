import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIni } from './ini.js';
import { type Archive, parseArchiveList } from './retention.js';

/**
 * Carbon's storage-schemas.conf and storage-aggregation.conf (carbon/storage.py): rules tried in file
 * order, the first whose `pattern` regex is found in the metric name wins, and a built-in default
 * closes each list — 60s for a week, and xFilesFactor 0.5 with `average`, as carbon's.
 */
export interface StorageSchema {
  name: string;
  pattern: RegExp;
  archives: Archive[];
}

export interface AggregationRule {
  name: string;
  pattern: RegExp;
  xFilesFactor?: number;
  aggregationMethod?: string;
}

/** What a new whisper file is created with. */
export interface WhisperSchema {
  archives: Archive[];
  xFilesFactor: number;
  aggregationMethod: string;
}

export const AGGREGATION_METHODS = ['average', 'sum', 'last', 'max', 'min', 'avg_zero', 'absmax', 'absmin'];

const DEFAULT_ARCHIVES: Archive[] = [{ secondsPerPoint: 60, points: 60 * 24 * 7 }];

/** The files shipped for `npm start` when no schemas directory is given. */
export const DEFAULT_STORAGE_SCHEMAS = `# Carbonado's default storage-schemas.conf (carbon's format).
[carbon]
pattern = ^carbon\\.
retentions = 10s:1d,1m:7d

[default]
pattern = .*
retentions = 10s:6h,1m:7d,10m:1y
`;

export const DEFAULT_STORAGE_AGGREGATION = `# Carbonado's default storage-aggregation.conf (carbon's format).
[min]
pattern = \\.min$
xFilesFactor = 0.1
aggregationMethod = min

[max]
pattern = \\.max$
xFilesFactor = 0.1
aggregationMethod = max

[sum]
pattern = \\.count$
xFilesFactor = 0
aggregationMethod = sum

[default_average]
pattern = .*
xFilesFactor = 0.5
aggregationMethod = average
`;

function compilePattern(pattern: string, file: string, section: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (e) {
    throw new Error(`${file} [${section}]: bad pattern '${pattern}': ${(e as Error).message}`);
  }
}

export function parseStorageSchemas(text: string, file = 'storage-schemas.conf'): StorageSchema[] {
  const schemas: StorageSchema[] = [];
  for (const section of parseIni(text, file)) {
    const pattern = section.options.get('pattern');
    const retentions = section.options.get('retentions');
    // carbon skips a section without pattern or retentions (logging it); a config error is louder here
    // because a silently skipped rule sends metrics to the wrong retention for years.
    if (!pattern) throw new Error(`${file} [${section.name}] (line ${section.line}): missing 'pattern'`);
    if (!retentions)
      throw new Error(`${file} [${section.name}] (line ${section.line}): missing 'retentions'`);
    let archives: Archive[];
    try {
      archives = parseArchiveList(retentions);
    } catch (e) {
      throw new Error(`${file} [${section.name}] (line ${section.line}): ${(e as Error).message}`);
    }
    schemas.push({ name: section.name, pattern: compilePattern(pattern, file, section.name), archives });
  }
  return schemas;
}

export function parseStorageAggregation(text: string, file = 'storage-aggregation.conf'): AggregationRule[] {
  const rules: AggregationRule[] = [];
  for (const section of parseIni(text, file)) {
    const where = `${file} [${section.name}] (line ${section.line})`;
    const pattern = section.options.get('pattern');
    if (!pattern) throw new Error(`${where}: missing 'pattern'`);
    const rule: AggregationRule = {
      name: section.name,
      pattern: compilePattern(pattern, file, section.name),
    };
    const xff = section.options.get('xfilesfactor');
    if (xff !== undefined) {
      const x = Number(xff);
      if (xff === '' || !Number.isFinite(x) || x < 0 || x > 1)
        throw new Error(`${where}: xFilesFactor got '${xff}'; want a number from 0 to 1`);
      rule.xFilesFactor = x;
    }
    const method = section.options.get('aggregationmethod');
    if (method !== undefined) {
      if (!AGGREGATION_METHODS.includes(method))
        throw new Error(
          `${where}: aggregationMethod got '${method}'; want one of ${AGGREGATION_METHODS.join(', ')}`,
        );
      rule.aggregationMethod = method;
    }
    rules.push(rule);
  }
  return rules;
}

/** Resolves the schema of a new metric: first matching rule of each file, then the defaults. */
export class SchemaResolver {
  constructor(
    readonly schemas: StorageSchema[],
    readonly aggregation: AggregationRule[],
  ) {}

  schemaFor(metric: string): WhisperSchema {
    const schema = this.schemas.find((s) => s.pattern.test(metric));
    const rule = this.aggregation.find((r) => r.pattern.test(metric));
    return {
      archives: schema ? schema.archives : DEFAULT_ARCHIVES,
      // whisper.create's defaults when carbon passes None.
      xFilesFactor: rule?.xFilesFactor ?? 0.5,
      aggregationMethod: rule?.aggregationMethod ?? 'average',
    };
  }
}

/**
 * Reads storage-schemas.conf and storage-aggregation.conf from `dir` (an existing /etc/carbon works), or
 * the shipped defaults when `dir` is undefined. A missing storage-aggregation.conf is allowed, as in carbon.
 */
export function loadSchemas(dir: string | undefined): SchemaResolver {
  if (dir === undefined) {
    return new SchemaResolver(
      parseStorageSchemas(DEFAULT_STORAGE_SCHEMAS),
      parseStorageAggregation(DEFAULT_STORAGE_AGGREGATION),
    );
  }
  const schemasFile = join(dir, 'storage-schemas.conf');
  if (!existsSync(schemasFile)) throw new Error(`${schemasFile} not found (--schemas-dir ${dir})`);
  const schemas = parseStorageSchemas(readFileSync(schemasFile, 'utf8'), schemasFile);
  const aggFile = join(dir, 'storage-aggregation.conf');
  const aggregation = existsSync(aggFile)
    ? parseStorageAggregation(readFileSync(aggFile, 'utf8'), aggFile)
    : [];
  return new SchemaResolver(schemas, aggregation);
}
