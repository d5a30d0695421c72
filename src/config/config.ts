import { readFileSync } from 'node:fs';
import { GRAPHITE_KEYS, parseStatsdConfig, TOP_KEYS } from '../ingest/statsd/config.js';
import { type IniSection, parseIni } from './ini.js';

/**
 * Carbonado's own configuration: one INI file in carbon.conf's dialect (docs/config.md lists every option
 * with its default). Flags override the file; the file overrides the defaults below.
 */
export interface CarbonadoConfig {
  server: {
    /** The whisper root. Pointed at an existing Graphite whisper directory, it is served as is. */
    dataDir: string;
    /** Directory holding storage-schemas.conf / storage-aggregation.conf; empty for the shipped defaults. */
    schemasDir: string;
    bind: string;
    /** Names this process in its self-metrics: carbon.agents.<instance>.* */
    instance: string;
  };
  listeners: { linePort: number; udpPort: number; picklePort: number; httpPort: number };
  storage: {
    /**
     * carbon's WHISPER_SPARSE_CREATE. Default true, unlike carbon: carbon preallocates with fallocate(2),
     * which Node cannot call, and zero-filling instead writes every byte of every new file (778 KB a
     * metric with the default schema), 50-100x slower to create. A sparse file reads the same to every
     * whisper tool; its blocks are allocated as points arrive. False zero-fills as whisper.create does.
     */
    sparseCreate: boolean;
    /**
     * Threads writing whisper files; 0 picks one per core, at most 4. A metric is always written by the
     * same thread, so its writes stay in order.
     */
    writeThreads: number;
  };
  ingest: {
    /** Longest plaintext line accepted, bytes (twisted's LineReceiver MAX_LENGTH); longer ones are dropped whole and counted. */
    maxLineLength: number;
    /** Largest pickle frame accepted, bytes (carbon's PICKLE_RECEIVER_MAX_LENGTH). */
    maxPickleFrame: number;
    /**
     * Synthetic points run through scratch copies of the receive and write paths at start, before the
     * listeners open, so V8 has compiled them when the first load comes (src/cli/warmup.ts); 0 skips it.
     */
    warmupPoints: number;
  };
  cache: {
    /** carbon's MAX_CACHE_SIZE, in points; Infinity for no limit. */
    maxCacheSize: number;
    /** Reading resumes when the cache falls below this fraction of maxCacheSize (carbon: 0.95). */
    lowWatermark: number;
    /** carbon's CACHE_WRITE_STRATEGY: max, sorted or naive. */
    writeStrategy: 'max' | 'sorted' | 'naive';
    /** carbon's MAX_UPDATES_PER_SECOND; Infinity for no limit. */
    maxUpdatesPerSecond: number;
    /** carbon's MAX_CREATES_PER_MINUTE; Infinity for no limit. */
    maxCreatesPerMinute: number;
    /** Write-ahead log directory; empty for <dataDir>/.carbonado-wal (hidden, so finders skip it). */
    walDir: string;
    /** How often the write-ahead log is written out, ms: the most a kill -9 can lose. 0 turns the log off. */
    walFlushInterval: number;
    /** fdatasync each write-out too (survives power loss, not only a killed process). */
    walFsync: boolean;
  };
  carbon: {
    /** Self-metrics go to <prefix>.agents.<instance>.* as carbon-cache's do. */
    metricPrefix: string;
    /** Seconds between self-metric reports; 0 turns them off. */
    metricInterval: number;
  };
  http: {
    maxTargets: number;
    maxSeries: number;
    maxDataPoints: number;
  };
  statsd: {
    /** StatsD over UDP and TCP (Etsy's 8125); 0 turns it off. */
    port: number;
    /** StatsD's admin interface (Etsy's 8126); 0 turns it off. */
    adminPort: number;
    /** Etsy's own option names and values (flushInterval, percentThreshold, graphite.legacyNamespace…). */
    options: Record<string, unknown>;
  };
}

/**
 * The most `ingest.warmup_points` may ask for. The scratch cache holds every warm-up point at once:
 * 1,000,000 took 2.6 s of start-up and 310 MB of peak RSS on 2 cores (5,000,000: 7.8 s and 1 GB).
 */
export const MAX_WARMUP_POINTS = 1_000_000;

export function defaultConfig(): CarbonadoConfig {
  return {
    server: { dataDir: './data', schemasDir: '', bind: '127.0.0.1', instance: 'a' },
    listeners: { linePort: 2003, udpPort: 2003, picklePort: 2004, httpPort: 8080 },
    storage: { sparseCreate: true, writeThreads: 0 },
    ingest: { maxLineLength: 16384, maxPickleFrame: 1 << 20, warmupPoints: 300_000 },
    cache: {
      maxCacheSize: Number.POSITIVE_INFINITY,
      lowWatermark: 0.95,
      writeStrategy: 'sorted',
      maxUpdatesPerSecond: Number.POSITIVE_INFINITY,
      maxCreatesPerMinute: Number.POSITIVE_INFINITY,
      walDir: '',
      walFlushInterval: 1000,
      walFsync: true,
    },
    carbon: { metricPrefix: 'carbon', metricInterval: 60 },
    http: { maxTargets: 100, maxSeries: 10_000, maxDataPoints: 50_000_000 },
    statsd: { port: 8125, adminPort: 8126, options: {} },
  };
}

type Section = keyof CarbonadoConfig;

/** The file's option names are the snake_case of the fields above, as carbon.conf's are UPPER_SNAKE. */
function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function parseValue(current: unknown, text: string, where: string): unknown {
  if (typeof current === 'number') {
    const t = text.toLowerCase();
    if (t === 'inf' || t === 'infinity' || t === 'unlimited') return Number.POSITIVE_INFINITY;
    const n = Number(text);
    if (text === '' || !Number.isFinite(n) || n < 0)
      throw new Error(`${where}: got '${text}'; want a number >= 0 or inf`);
    return n;
  }
  if (typeof current === 'boolean') {
    const t = text.toLowerCase();
    if (['true', 'yes', 'on', '1'].includes(t)) return true;
    if (['false', 'no', 'off', '0'].includes(t)) return false;
    throw new Error(`${where}: got '${text}'; want true or false`);
  }
  return text;
}

/** Applies an INI text onto `config`; unknown sections or options are errors (a typo must not pass). */
export function applyConfigText(config: CarbonadoConfig, text: string, file: string): CarbonadoConfig {
  for (const section of parseIni(text, file)) applySection(config, section, file);
  validateConfig(config);
  return config;
}

function applySection(config: CarbonadoConfig, section: IniSection, file: string): void {
  if (section.name === 'statsd') {
    applyStatsdSection(config, section, file);
    return;
  }
  if (!(section.name in config)) {
    throw new Error(
      `${file}: unknown section [${section.name}]; want one of ${Object.keys(config).join(', ')}`,
    );
  }
  const target = config[section.name as Section] as Record<string, unknown>;
  const byOption = new Map(Object.keys(target).map((k) => [snake(k), k]));
  for (const [option, text] of section.options) {
    const key = byOption.get(option);
    const where = `${file} [${section.name}] ${option}`;
    if (!key) throw new Error(`${where}: unknown option; want one of ${[...byOption.keys()].join(', ')}`);
    target[key] = parseValue(target[key], text, where);
  }
}

/** Etsy's option names by their lowercased form (INI option names are case-insensitive). */
const ETSY_OPTIONS = new Map<string, string[]>([
  ...[...TOP_KEYS].filter((k) => k !== 'graphite').map((k): [string, string[]] => [k.toLowerCase(), [k]]),
  ...[...GRAPHITE_KEYS].map((k): [string, string[]] => [`graphite.${k.toLowerCase()}`, ['graphite', k]]),
]);

/**
 * [statsd]: `port` and `admin_port`, then Etsy's options by their own names — `flushInterval = 10000`,
 * `percentThreshold = 90,99`, `graphite.legacyNamespace = false`; `histogram` takes Etsy's JSON list.
 */
function applyStatsdSection(config: CarbonadoConfig, section: IniSection, file: string): void {
  for (const [option, text] of section.options) {
    const where = `${file} [statsd] ${option}`;
    if (option === 'port' || option === 'admin_port') {
      const key = option === 'port' ? 'port' : 'adminPort';
      config.statsd[key] = parseValue(config.statsd[key], text, where) as number;
      continue;
    }
    const path = ETSY_OPTIONS.get(option);
    if (!path)
      throw new Error(`${where}: unknown option; want port, admin_port or one of Etsy's statsd options`);
    let value: unknown = text;
    if (path[0] === 'histogram') {
      try {
        value = JSON.parse(text);
      } catch {
        throw new Error(
          `${where}: got '${text}'; want Etsy's JSON list, e.g. [{"metric":"","bins":[10,100,"inf"]}]`,
        );
      }
    }
    if (path.length === 2) {
      const graphite = (config.statsd.options.graphite ?? {}) as Record<string, unknown>;
      graphite[path[1]] = value;
      config.statsd.options.graphite = graphite;
    } else config.statsd.options[path[0]] = value;
  }
}

export function validateConfig(config: CarbonadoConfig): void {
  parseStatsdConfig(config.statsd.options);
  for (const [name, port] of Object.entries({
    statsdPort: config.statsd.port,
    statsdAdminPort: config.statsd.adminPort,
  })) {
    if (!Number.isInteger(port) || port > 65535)
      throw new Error(`statsd.${snake(name)} got ${port}; want 0-65535`);
  }
  const { cache, listeners } = config;
  const threads = config.storage.writeThreads;
  if (!Number.isInteger(threads) || threads > 64)
    throw new Error(`storage.write_threads got ${threads}; want 0 (one per core, at most 4) to 64`);
  const warmup = config.ingest.warmupPoints;
  if (!Number.isInteger(warmup) || warmup > MAX_WARMUP_POINTS)
    throw new Error(`ingest.warmup_points got ${warmup}; want 0 (off) to ${MAX_WARMUP_POINTS}`);
  if (!['max', 'sorted', 'naive'].includes(cache.writeStrategy))
    throw new Error(`cache.write_strategy got '${cache.writeStrategy}'; want max, sorted or naive`);
  if (cache.lowWatermark <= 0 || cache.lowWatermark > 1)
    throw new Error(`cache.low_watermark got ${cache.lowWatermark}; want a fraction in (0, 1]`);
  for (const [name, port] of Object.entries(listeners)) {
    if (!Number.isInteger(port) || port > 65535)
      throw new Error(`listeners.${snake(name)} got ${port}; want 0-65535`);
  }
}

export function loadConfigFile(path: string, config = defaultConfig()): CarbonadoConfig {
  return applyConfigText(config, readFileSync(path, 'utf8'), path);
}
